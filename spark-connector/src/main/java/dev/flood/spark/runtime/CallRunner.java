package dev.flood.spark.runtime;

import dev.flood.api.ChatMessage;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.ResponseFormat;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreOptions;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import dev.flood.spark.FloodOptions;
import dev.flood.spark.FloodSettings;
import dev.flood.spark.RowSeeds;
import dev.flood.spark.typed.OutputSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One call of one task: submits a row's input to the engine and turns the result into the column's value.
 * flood_generate and flood_chat build their requests on one path ({@link #generateRequest}); with output_schema
 * the generated JSON is parsed into the call's typed value here.
 */
public final class CallRunner {

    private final FloodFunction function;
    private final FloodSettings settings;
    private final FloodEngine engine;
    private final SamplingParams sampling;
    private final ScoreOptions scoring;
    private final String system;             // null: no system message
    private final ResponseFormat format;     // null: unconstrained
    private final OutputSchema outputSchema; // null: the output is text

    public CallRunner(FloodFunction function, FloodSettings settings, FloodEngine engine) {
        this.function = function;
        this.settings = settings;
        this.engine = engine;
        this.sampling = settings.sampling();
        this.scoring = settings.scoring();
        this.system = settings.system();
        this.format = settings.responseFormat();
        this.outputSchema = settings.outputSchema();
    }

    FloodEngine engine() {
        return engine;
    }

    CompletableFuture<?> submit(CallInput input) {
        return switch (function) {
            case GENERATE, CHAT -> submitGeneration(input);
            case PERPLEXITY -> engine.submitScore(ScoreRequest.of(input.text(), scoring));
            case SCORE -> engine.submitOptions(input.text(), input.choices());
        };
    }

    /** A row whose input cannot make a request (a null token id, message, role or content) fails alone here. */
    private CompletableFuture<?> submitGeneration(CallInput input) {
        GenerateRequest request;
        try {
            request = generateRequest(input);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(GenerationResult.failed(e.getMessage(), 0));
        }
        return engine.submit(request, GenerationListener.NONE);
    }

    /**
     * The row's request: its prompt as token ids, as chat messages (flood_chat's, or a text prompt as the user
     * message after the system message), or as text; seeded for that prompt ({@link RowSeeds}); in the call's
     * format. A null text prompt goes to the engine as a request without a prompt, which fails it with "prompt is
     * null".
     */
    private GenerateRequest generateRequest(CallInput input) {
        GenerateRequest request;
        if (input.isTokens()) {
            int nullAt = input.tokenIds().indexOf(null);
            if (nullAt >= 0) {
                throw new IllegalArgumentException("the prompt's token id at index " + nullAt + " is NULL");
            }
            request = GenerateRequest.ofTokens(input.tokenIds(), seeded(RowSeeds.seedOfTokenIds(settings,
                    input.tokenIds())));
        } else if (function == FloodFunction.CHAT) {
            if (input.messages() == null) {
                throw new IllegalArgumentException("messages are null");
            }
            List<ChatMessage> messages = MessagesColumn.chatMessages(input.messages());
            request = GenerateRequest.ofMessages(withSystem(messages), seeded(RowSeeds.seedOfMessages(settings,
                    messages)));
        } else {
            String prompt = input.text();
            SamplingParams params = seeded(RowSeeds.seed(settings, prompt));
            request = system == null || prompt == null ? GenerateRequest.of(prompt, params)
                    : GenerateRequest.ofMessages(withSystem(List.of(ChatMessage.user(prompt))), params);
        }
        return format == null ? request : request.withResponseFormat(format);
    }

    private SamplingParams seeded(long seed) {
        return sampling.toBuilder().seed(seed).build();
    }

    private List<ChatMessage> withSystem(List<ChatMessage> messages) {
        if (system == null) {
            return messages;
        }
        List<ChatMessage> all = new ArrayList<>(messages.size() + 1);
        all.add(ChatMessage.system(system));
        all.addAll(messages);
        return all;
    }

    /**
     * The column's value for one finished request; throws {@link RowFailure} for a failed row when the call's
     * on_error is fail, naming the row by its key column (if key_column names one), its prompt and its position.
     * With output_schema, a row whose complete output does not fit the value type (a DECIMAL overflow) fails too.
     */
    Object value(CallInput input, Object raw, RowFailure.RowPosition position) {
        Object typed = null;
        if (outputSchema != null && ResultValues.errorOf(raw) == null) {
            GenerationResult result = (GenerationResult) raw;
            try {
                typed = outputSchema.read(result.text());
            } catch (IllegalArgumentException e) {
                raw = new GenerationResult(result.text(), result.tokenIds(), result.promptTokens(),
                        result.completionTokens(), result.finishReason(), result.logprobs(),
                        "the output does not fit output_schema: " + e.getMessage());
            }
        }
        String error = ResultValues.errorOf(raw);
        if (error != null && settings.onError() == FloodSettings.OnError.FAIL) {
            throw RowFailure.of(function, input, settings.value(FloodOptions.KEY_COLUMN), position, error);
        }
        return outputSchema == null ? ResultValues.of(function, settings.output(), input, raw)
                : ResultValues.typed(settings.output(), (GenerationResult) raw, typed);
    }

    static long promptTokens(Object raw) {
        if (raw instanceof GenerationResult r) {
            return r.promptTokens();
        }
        return raw instanceof ScoreResult r ? r.tokens() : 0;
    }

    static long generatedTokens(Object raw) {
        return raw instanceof GenerationResult r ? r.completionTokens() : 0;
    }
}
