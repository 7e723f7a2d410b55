package dev.flood.flink.table;

import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.flink.FloodOptions;
import dev.flood.flink.OutputSchema;
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.internal.FloodMetrics;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.annotation.Internal;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.catalog.DataTypeFactory;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.inference.CallContext;
import org.apache.flink.table.types.inference.InputTypeStrategies;
import org.apache.flink.table.types.inference.TypeInference;
import org.apache.flink.table.types.logical.LogicalTypeFamily;

/**
 * What {@link FloodGenerate} and {@link FloodChat} share: their type inference and how a result becomes the SQL
 * value. Each takes its input and, optionally, an output schema as a string literal; the result is
 * <ul>
 *   <li>a {@code ROW} of the output schema's type when it is known while the query is planned: the literal second
 *       argument, else {@code flood.output-schema} given to the function's constructor (decoding is held to its
 *       JSON schema and the JSON parsed into the row);</li>
 *   <li>else the text, a {@code STRING} (with {@code flood.output-schema} set only on the job, the JSON text).</li>
 * </ul>
 * A row whose output is not a complete value (cut by max tokens before its JSON closed) is NULL and counted as an
 * error, or fails the query with {@code flood.on-error} FAIL; never half-parsed.
 */
@Internal
abstract class GenerationFunction extends FloodTableFunction {

    private final String constructorSchema;

    /** The output schema of the second argument: a literal, so the same in every call; parsed on the first. */
    private transient OutputSchema argumentSchema;

    GenerationFunction(Map<String, String> options, TaskManagerSlots slots) {
        super(options, slots, FloodMetrics.GENERATED_TOKENS);
        this.constructorSchema = options.get(FloodOptions.OUTPUT_SCHEMA.key());
    }

    /** The type of the function's first argument. */
    abstract DataType inputType();

    @Override
    public TypeInference getTypeInference(DataTypeFactory typeFactory) {
        return TypeInference.newBuilder()
                .inputTypeStrategy(InputTypeStrategies.or(
                        InputTypeStrategies.sequence(InputTypeStrategies.explicit(inputType())),
                        InputTypeStrategies.sequence(InputTypeStrategies.explicit(inputType()),
                                InputTypeStrategies.and(InputTypeStrategies.logical(LogicalTypeFamily.CHARACTER_STRING),
                                        InputTypeStrategies.LITERAL))))
                .outputTypeStrategy(this::outputType)
                .build();
    }

    private Optional<DataType> outputType(CallContext call) {
        try {
            if (call.getArgumentDataTypes().size() == 2) {
                String schema = call.getArgumentValue(1, String.class).orElseThrow(() -> call.newValidationError(
                        "%s: the output schema must be a non-NULL string literal", functionName()));
                return Optional.of(OutputSchema.parse(schema).dataType());
            }
            return Optional.of(constructorSchema != null ? OutputSchema.parse(constructorSchema).dataType()
                    : DataTypes.STRING());
        } catch (IllegalArgumentException e) {
            throw call.newValidationError("%s: %s", functionName(), e.getMessage());
        }
    }

    /**
     * Submits {@code request} and completes {@code result} with its SQL value.
     *
     * @param schemaArgument the literal second argument, or null when the call has none
     */
    final void generate(CompletableFuture<Object> result, GenerateRequest request, String schemaArgument) {
        OutputSchema typed = typedOutput(schemaArgument);
        GenerateRequest held = schemaArgument == null ? request : request.withResponseFormat(typed.format());
        started();
        engine().submit(held, GenerationListener.NONE).whenComplete((r, error) -> {
            if (error != null) {
                finish(result, null, 0, "the engine failed: " + error);
            } else {
                complete(result, r, typed);
            }
        });
    }

    /**
     * The output schema the query was planned with, or null for text. Giving it both as an argument and in the
     * options (or with another format) is a mistake in the query, which fails.
     */
    private OutputSchema typedOutput(String schemaArgument) {
        if (schemaArgument == null) {
            return constructorSchema == null ? null : settings().shape().output();
        }
        if (argumentSchema == null) {
            if (settings().shape().format() != null) {
                throw new IllegalArgumentException(functionName() + " has an output schema argument, and its options"
                        + " set another format (" + settings().shape().format() + "): give one of them");
            }
            argumentSchema = OutputSchema.parse(schemaArgument);
        }
        return argumentSchema;
    }

    private void complete(CompletableFuture<Object> result, GenerationResult r, OutputSchema typed) {
        if (r.error() != null) {
            String reason = r.isError() ? "" : " (finish_reason " + r.finishReason().wireName() + ")";
            finish(result, null, r.completionTokens(), r.error() + reason);
        } else if (typed == null) {
            finish(result, r.text(), r.completionTokens(), null);
        } else {
            try {
                finish(result, typed.toRow(r.text()), r.completionTokens(), null);
            } catch (IllegalArgumentException e) {
                finish(result, null, r.completionTokens(), e.getMessage() + " (finish_reason "
                        + r.finishReason().wireName() + ")");
            }
        }
    }
}
