package dev.flood.spark.runtime;

import dev.flood.api.GenerationResult;
import dev.flood.api.OptionScores;
import dev.flood.api.ScoreResult;
import dev.flood.api.TokenLogprobs;
import dev.flood.api.TopLogprob;
import dev.flood.spark.FloodSettings;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Engine results as Spark external values (String, Double, Integer, scala.collection.Seq, Row) in the layout of
 * {@link FloodSchemas}. Arrays are Scala sequences: the physical operator's Catalyst converters take them, and so
 * does the Row encoder of the transform helpers, which refuses java.util.List. A failed row is null in plain output and a struct whose only non-null field (besides
 * generation's finish reason and prompt tokens) is {@code error} in struct output.
 */
final class ResultValues {

    private ResultValues() {
    }

    /** The error of a raw engine result, or null if it succeeded. */
    static String errorOf(Object raw) {
        if (raw instanceof GenerationResult r) {
            return r.error();
        }
        if (raw instanceof ScoreResult r) {
            return r.error();
        }
        return ((OptionScores) raw).error();
    }

    static Object of(FloodFunction function, FloodSettings.Output output, CallInput input, Object raw) {
        boolean plain = output == FloodSettings.Output.PLAIN;
        return switch (function) {
            case GENERATE, CHAT -> plain ? plainText((GenerationResult) raw) : generation((GenerationResult) raw);
            case PERPLEXITY -> plain ? plainPerplexity((ScoreResult) raw) : perplexity((ScoreResult) raw);
            case SCORE -> plain ? bestChoice((OptionScores) raw, input.choices()) : score((OptionScores) raw, input.choices());
        };
    }

    /**
     * A generation with output_schema: the typed value alone (plain), or the value before the generation's fields
     * ({@link FloodSchemas#typedGeneration}). {@code value} is null when the row failed or was cut off.
     */
    static Object typed(FloodSettings.Output output, GenerationResult r, Object value) {
        if (output == FloodSettings.Output.PLAIN) {
            return value;
        }
        Row generation = generation(r);
        Object[] fields = new Object[generation.length() + 1];
        fields[0] = value;
        for (int i = 0; i < generation.length(); i++) {
            fields[i + 1] = generation.get(i);
        }
        return RowFactory.create(fields);
    }

    private static String plainText(GenerationResult r) {
        return r.isError() ? null : r.text();
    }

    private static Row generation(GenerationResult r) {
        Object logprobs = r.logprobs().isEmpty() ? null
                : seq(r.logprobs().stream().map(ResultValues::tokenLogprobs).toList());
        return RowFactory.create(r.isError() ? null : r.text(), r.finishReason().wireName(), r.promptTokens(),
                r.completionTokens(), logprobs, r.error());
    }

    private static Row tokenLogprobs(TokenLogprobs t) {
        Object top = seq(t.top().stream().map(ResultValues::topLogprob).toList());
        return RowFactory.create(t.tokenId(), t.logprob(), top);
    }

    private static Row topLogprob(TopLogprob t) {
        return RowFactory.create(t.tokenId(), t.token(), t.logprob());
    }

    private static Double plainPerplexity(ScoreResult r) {
        return r.isError() ? null : r.perplexity();
    }

    private static Row perplexity(ScoreResult r) {
        if (r.isError()) {
            return RowFactory.create(null, null, null, null, null, r.error());
        }
        return RowFactory.create(r.perplexity(), r.meanNll(), r.tokens(), seq(r.tokenLogprobs()), r.windows(), null);
    }

    private static String bestChoice(OptionScores s, List<String> choices) {
        return s.isError() ? null : choices.get(s.best());
    }

    private static Row score(OptionScores s, List<String> choices) {
        if (s.isError()) {
            return RowFactory.create(null, null, null, null, s.error());
        }
        return RowFactory.create(s.best(), choices.get(s.best()), seq(s.logLikelihoods()), seq(s.optionTokens()), null);
    }

    private static scala.collection.immutable.Seq<?> seq(List<?> elements) {
        return CollectionConverters.asScala(elements).toSeq();
    }
}
