package dev.flood.cli;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.api.ScoreResult;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/** {@code flood score}: per-token log-probabilities, mean NLL and perplexity of texts, in input order. */
final class ScoreCommand implements Command {

    private static final String IO = "Input and output";

    private static final List<Option> OPTIONS = Stream.of(
            EngineOptions.OPTIONS,
            List.of(
                    Option.repeated(IO, "text", "TEXT", "a text to score (repeatable; these run before --input's)"),
                    Option.value(IO, "input", "FILE", "texts from FILE.jsonl (a JSON object per line) or FILE.parquet"),
                    Option.value(IO, "field", "NAME", "the JSONL field or Parquet column of the text (default text)"),
                    Option.value(IO, "output", "FILE", "write results to FILE: .parquet for Parquet, .jsonl for JSON Lines"),
                    Option.flag(IO, "json", "JSON Lines: text, tokens, token_ids, token_logprobs, mean_nll, "
                            + "perplexity, error (if failed)"))).flatMap(List::stream).toList();

    @Override
    public String name() {
        return "score";
    }

    @Override
    public String summary() {
        return "Score texts: per-token log-probabilities, mean negative log-likelihood, perplexity.";
    }

    @Override
    public String synopsis() {
        return "flood score --model DIR [--text TEXT]... [--input FILE.jsonl|FILE.parquet] [--field text] "
                + "[--output FILE] [--json] [options]";
    }

    @Override
    public List<Option> options() {
        return OPTIONS;
    }

    @Override
    public int run(ParsedArgs args, Streams streams) throws UsageException, IOException {
        EngineConfig config = EngineOptions.config(args);
        List<String> texts = args.list("text");
        if (texts.isEmpty() && !args.has("input")) {
            throw new UsageException("give at least one --text TEXT or an --input FILE");
        }
        Counts counts = new Counts();
        try (InputSource input = InputSource.open(texts, "text", args.path("input"), args.string("field", "text"));
             FloodEngine engine = FloodEngine.open(config);
             RecordSink sink = RecordSink.open(args, streams, ScoreRecords.SCHEMA, ScoreRecords::plain)) {
            Progress progress = new Progress(streams, name(), input.count());
            OrderedWindow<InputItem, ScoreResult> window = new OrderedWindow<>(
                    GenerateCommand.WINDOW_PER_RUNNING * engine.config().maxRunningRequests(), (item, result) -> {
                        sink.write(ScoreRecords.record(item, result));
                        counts.add(result);
                        progress.advance();
                    });
            for (InputItem item; (item = input.next()) != null; ) {
                window.add(item, item.error() != null
                        ? CompletableFuture.completedFuture(ScoreResult.failed(item.error()))
                        : engine.submitScore(item.text()));
            }
            window.finish();
            progress.finish();
            streams.err().println(counts.summary(progress.seconds()));
        }
        return 0;
    }

    /** Totals for the summary line. */
    private static final class Counts {
        private long texts;
        private long failed;
        private long tokens;

        void add(ScoreResult result) {
            texts++;
            failed += result.isError() ? 1 : 0;
            tokens += result.tokens();
        }

        String summary(double seconds) {
            return String.format(Locale.ROOT, "score: texts %d, failed %d, tokens %d, %.2f s, %.1f tokens/s",
                    texts, failed, tokens, seconds, tokens / seconds);
        }
    }
}
