package dev.flood.spark;

import dev.flood.spark.runtime.CallSpec;
import dev.flood.spark.runtime.FloodFunction;
import dev.flood.spark.runtime.FloodSchemas;
import dev.flood.spark.runtime.MessagesColumn;
import dev.flood.spark.runtime.RowPartitionTask;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Function1;
import scala.jdk.javaapi.CollectionConverters;

/**
 * {@code df.transform(...)} helpers for sessions without {@link FloodSparkExtensions}: each appends one column,
 * computed by the same partition runner, with the same options and precedence, as the SQL functions.
 * <pre>{@code
 * df.transform(FloodTransforms.generate("prompt", "completion", Map.of("max_tokens", "32")))
 * }</pre>
 * They run as a plain {@code mapPartitions}, so the Spark UI shows no Flood metrics for them.
 */
public final class FloodTransforms {

    private FloodTransforms() {
    }

    public static Function1<Dataset<Row>, Dataset<Row>> generate(String promptColumn, String outputColumn,
                                                                 Map<String, String> options) {
        return df -> apply(df, FloodFunction.GENERATE, new String[] {promptColumn}, outputColumn, options);
    }

    /** {@code messagesColumn} holds an {@code array<struct<role: string, content: string>>} per row. */
    public static Function1<Dataset<Row>, Dataset<Row>> chat(String messagesColumn, String outputColumn,
                                                             Map<String, String> options) {
        return df -> apply(df, FloodFunction.CHAT, new String[] {messagesColumn}, outputColumn, options);
    }

    public static Function1<Dataset<Row>, Dataset<Row>> perplexity(String textColumn, String outputColumn,
                                                                   Map<String, String> options) {
        return df -> apply(df, FloodFunction.PERPLEXITY, new String[] {textColumn}, outputColumn, options);
    }

    /** {@code choicesColumn} holds an array of strings per row. */
    public static Function1<Dataset<Row>, Dataset<Row>> score(String promptColumn, String choicesColumn,
                                                              String outputColumn, Map<String, String> options) {
        return df -> apply(df, FloodFunction.SCORE, new String[] {promptColumn, choicesColumn}, outputColumn, options);
    }

    private static Dataset<Row> apply(Dataset<Row> df, FloodFunction function, String[] inputColumns,
                                      String outputColumn, Map<String, String> options) {
        StructType schema = df.schema();
        int[] indexes = new int[inputColumns.length];
        for (int i = 0; i < inputColumns.length; i++) {
            indexes[i] = schema.fieldIndex(inputColumns[i]);
            DataType actual = schema.fields()[indexes[i]].dataType();
            if (!accepts(function, i, actual)) {
                throw new IllegalArgumentException(function.sqlName() + ": column '" + inputColumns[i] + "' must be "
                        + expected(function, i) + ", got " + actual.simpleString());
            }
        }
        if (java.util.Arrays.asList(schema.fieldNames()).contains(outputColumn)) {
            throw new IllegalArgumentException(function.sqlName() + ": output column '" + outputColumn
                    + "' already exists");
        }
        FloodSettings settings = FloodSettings.resolve(CollectionConverters.asJava(df.sparkSession().conf().getAll()),
                options);
        String keyColumn = settings.value(FloodOptions.KEY_COLUMN);
        if (keyColumn != null && !java.util.Arrays.asList(schema.fieldNames()).contains(keyColumn)) {
            throw new IllegalArgumentException(function.sqlName() + ": " + FloodOptions.KEY_COLUMN.key() + " '"
                    + keyColumn + "' names no column of the input (" + String.join(", ", schema.fieldNames()) + ")");
        }
        StructType output = schema.add(outputColumn, FloodSchemas.dataType(function, settings.output(),
                settings.outputSchema()), true);
        RowPartitionTask task = new RowPartitionTask(new CallSpec(function, settings), schema, indexes,
                keyColumn == null ? -1 : schema.fieldIndex(keyColumn));
        return df.mapPartitions(task, Encoders.row(output));
    }

    /**
     * Column 0 is the prompt or text (flood_generate's may be token ids), or flood_chat's messages; flood_score's
     * column 1 its choices.
     */
    private static boolean accepts(FloodFunction function, int column, DataType actual) {
        if (function == FloodFunction.CHAT) {
            return MessagesColumn.problem(actual).isEmpty();
        }
        if (column == 1) {
            return actual instanceof ArrayType array && array.elementType().equals(DataTypes.StringType);
        }
        boolean tokenIds = actual instanceof ArrayType array && array.elementType().equals(DataTypes.IntegerType);
        return actual.equals(DataTypes.StringType) || (function == FloodFunction.GENERATE && tokenIds);
    }

    private static String expected(FloodFunction function, int column) {
        if (function == FloodFunction.CHAT) {
            return MessagesColumn.TYPE;
        }
        if (column == 1) {
            return "array<string>";
        }
        return function == FloodFunction.GENERATE ? "string or array<int>" : "string";
    }
}
