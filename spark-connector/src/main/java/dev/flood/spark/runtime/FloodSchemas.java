package dev.flood.spark.runtime;

import dev.flood.spark.FloodSettings;
import dev.flood.spark.typed.OutputSchema;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The type of each function's column, plain or struct. Every field is nullable. */
public final class FloodSchemas {

    /** One alternative at a generated position. */
    static final StructType TOP_LOGPROB = struct(
            field("token_id", DataTypes.IntegerType),
            field("token", DataTypes.StringType),
            field("logprob", DataTypes.DoubleType));

    /** One generated token's log-probability and its top alternatives. */
    static final StructType TOKEN_LOGPROBS = struct(
            field("token_id", DataTypes.IntegerType),
            field("logprob", DataTypes.DoubleType),
            field("top", array(TOP_LOGPROB)));

    /** flood_generate and flood_chat with output=struct; {@code logprobs} is null unless the logprobs option is > 0. */
    public static final StructType GENERATION = struct(
            field("text", DataTypes.StringType),
            field("finish_reason", DataTypes.StringType),
            field("prompt_tokens", DataTypes.IntegerType),
            field("completion_tokens", DataTypes.IntegerType),
            field("logprobs", array(TOKEN_LOGPROBS)),
            field("error", DataTypes.StringType));

    /** flood_perplexity with output=struct; {@code windows}: sliding windows the text was scored in (1 if it fits). */
    public static final StructType PERPLEXITY = struct(
            field("perplexity", DataTypes.DoubleType),
            field("mean_nll", DataTypes.DoubleType),
            field("tokens", DataTypes.IntegerType),
            field("token_logprobs", array(DataTypes.DoubleType)),
            field("windows", DataTypes.IntegerType),
            field("error", DataTypes.StringType));

    /** flood_score with output=struct. */
    public static final StructType SCORE = struct(
            field("best", DataTypes.IntegerType),
            field("best_choice", DataTypes.StringType),
            field("log_likelihoods", array(DataTypes.DoubleType)),
            field("choice_tokens", array(DataTypes.IntegerType)),
            field("error", DataTypes.StringType));

    private FloodSchemas() {
    }

    /**
     * flood_generate or flood_chat with output_schema and output=struct: the typed value, then the fields of
     * {@link #GENERATION}.
     */
    public static StructType typedGeneration(DataType value) {
        StructField[] fields = new StructField[GENERATION.fields().length + 1];
        fields[0] = field("value", value);
        System.arraycopy(GENERATION.fields(), 0, fields, 1, GENERATION.fields().length);
        return struct(fields);
    }

    /**
     * Plain: the text (generate, chat), the perplexity (perplexity) or the best choice (score); with an output
     * schema (generate and chat only) the typed value, plain or in {@link #typedGeneration}.
     *
     * @param outputSchema null without one
     */
    public static DataType dataType(FloodFunction function, FloodSettings.Output output, OutputSchema outputSchema) {
        boolean plain = output == FloodSettings.Output.PLAIN;
        if (outputSchema != null) {
            if (function != FloodFunction.GENERATE && function != FloodFunction.CHAT) {
                throw new IllegalArgumentException(function.sqlName() + ": output_schema applies to flood_generate "
                        + "and flood_chat only");
            }
            return plain ? outputSchema.valueType() : typedGeneration(outputSchema.valueType());
        }
        return switch (function) {
            case GENERATE, CHAT -> plain ? DataTypes.StringType : GENERATION;
            case PERPLEXITY -> plain ? DataTypes.DoubleType : PERPLEXITY;
            case SCORE -> plain ? DataTypes.StringType : SCORE;
        };
    }

    private static StructType struct(StructField... fields) {
        return DataTypes.createStructType(fields);
    }

    private static StructField field(String name, DataType type) {
        return DataTypes.createStructField(name, type, true);
    }

    private static ArrayType array(DataType element) {
        return DataTypes.createArrayType(element, true);
    }
}
