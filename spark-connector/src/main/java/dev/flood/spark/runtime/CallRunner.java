package dev.flood.spark.runtime;

import dev.flood.api.FloodEngine;
import dev.flood.api.FloodException;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreOptions;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import dev.flood.spark.FloodSettings;
import dev.flood.spark.RowSeeds;
import java.util.concurrent.CompletableFuture;

/** One call of one task: submits a row's input to the engine and turns the result into the column's value. */
public final class CallRunner {

    private final FloodFunction function;
    private final FloodSettings settings;
    private final FloodEngine engine;
    private final SamplingParams sampling;
    private final ScoreOptions scoring;

    public CallRunner(FloodFunction function, FloodSettings settings, FloodEngine engine) {
        this.function = function;
        this.settings = settings;
        this.engine = engine;
        this.sampling = settings.sampling();
        this.scoring = settings.scoring();
    }

    FloodEngine engine() {
        return engine;
    }

    CompletableFuture<?> submit(CallInput input) {
        return switch (function) {
            case GENERATE -> engine.submit(GenerateRequest.of(input.text(),
                    sampling.toBuilder().seed(RowSeeds.seed(settings, input.text())).build()), GenerationListener.NONE);
            case PERPLEXITY -> engine.submitScore(ScoreRequest.of(input.text(), scoring));
            case SCORE -> engine.submitOptions(input.text(), input.choices());
        };
    }

    /**
     * The column's value for one finished request; throws {@link FloodException} for a failed row when the
     * call's on_error is fail.
     *
     * @param rowNumber the row's 0-based position in the task's partition, for the error message
     */
    Object value(CallInput input, Object raw, long rowNumber) {
        String error = ResultValues.errorOf(raw);
        if (error != null && settings.onError() == FloodSettings.OnError.FAIL) {
            throw new FloodException(function.sqlName() + " failed on row " + rowNumber + " of its partition ("
                    + "on_error=fail): " + error);
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
