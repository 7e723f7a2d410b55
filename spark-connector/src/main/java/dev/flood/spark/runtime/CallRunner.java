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
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** One call of one task: submits a row's input to the engine and turns the result into the column's value. */
public final class CallRunner {

    private final FloodFunction function;
    private final FloodSettings settings;
    private final FloodEngine engine;
    private final SamplingParams sampling;
    private final ScoreOptions scoring;
    private final String system;             // null: prompts go as plain text
    private final ResponseFormat format;     // null: unconstrained

    public CallRunner(FloodFunction function, FloodSettings settings, FloodEngine engine) {
        this.function = function;
        this.settings = settings;
        this.engine = engine;
        this.sampling = settings.sampling();
        this.scoring = settings.scoring();
        this.system = settings.system();
        this.format = settings.responseFormat();
    }

    FloodEngine engine() {
        return engine;
    }

    CompletableFuture<?> submit(CallInput input) {
        if (input.isTokens() && input.tokenIds().contains(null)) {
            return CompletableFuture.completedFuture(GenerationResult.failed("the prompt's token id at index "
                    + input.tokenIds().indexOf(null) + " is NULL", 0));
        }
        return switch (function) {
            case GENERATE -> engine.submit(input.isTokens() ? tokensRequest(input.tokenIds())
                    : generateRequest(input.text()), GenerationListener.NONE);
            case PERPLEXITY -> engine.submitScore(ScoreRequest.of(input.text(), scoring));
            case SCORE -> engine.submitOptions(input.text(), input.choices());
        };
    }

    /** Token ids as a request: with the call's seed for them, in the call's format (a system message needs text). */
    private GenerateRequest tokensRequest(List<Integer> tokenIds) {
        GenerateRequest request = GenerateRequest.ofTokens(tokenIds, sampling.toBuilder()
                .seed(RowSeeds.seedOfTokenIds(settings, tokenIds)).build());
        return format == null ? request : request.withResponseFormat(format);
    }

    /** A prompt as a request: with the call's seed for it, as a chat with the system message if given, in its format. */
    private GenerateRequest generateRequest(String prompt) {
        SamplingParams params = sampling.toBuilder().seed(RowSeeds.seed(settings, prompt)).build();
        GenerateRequest request = system == null || prompt == null ? GenerateRequest.of(prompt, params)
                : GenerateRequest.ofMessages(List.of(ChatMessage.system(system), ChatMessage.user(prompt)), params);
        return format == null ? request : request.withResponseFormat(format);
    }

    /**
     * The column's value for one finished request; throws {@link RowFailure} for a failed row when the call's
     * on_error is fail, naming the row by its key column (if key_column names one), its prompt and its position.
     */
    Object value(CallInput input, Object raw, RowFailure.RowPosition position) {
        String error = ResultValues.errorOf(raw);
        if (error != null && settings.onError() == FloodSettings.OnError.FAIL) {
            throw RowFailure.of(function, input, settings.value(FloodOptions.KEY_COLUMN), position, error);
        }
        return ResultValues.of(function, settings.output(), input, raw);
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
