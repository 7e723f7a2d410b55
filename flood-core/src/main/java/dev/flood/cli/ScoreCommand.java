package dev.flood.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.api.ScoreOptions;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/** {@code flood score}: per-token log-probabilities, mean NLL and perplexity of texts, in input order. */
final class ScoreCommand implements Command {

    private static final String IO = "Input and output";
    private static final String LONG = "Texts longer than the window";
    private static final String BENCH = "Benchmark";

    private static final List<Option> OPTIONS = Stream.of(
            EngineOptions.OPTIONS,
            List.of(
                    Option.repeated(IO, "text", "TEXT", "a text to score (repeatable; these run before --input's)"),
                    Option.value(IO, "input", "FILE", "texts from FILE.jsonl (a JSON object per line) or FILE.parquet"),
                    Option.value(IO, "field", "NAME", "the JSONL field or Parquet column of the text (default text)"),
                    Option.value(IO, "output", "FILE", "write results to FILE: .parquet for Parquet, .jsonl for JSON Lines"),
                    Option.flag(IO, "json", "JSON Lines: text, tokens, token_ids, token_logprobs, mean_nll, "
                            + "perplexity, windows, error (if failed); with --workload, one JSON report"),
                    Option.value(LONG, "max-length", "N", "tokens in one window (default: the model's context); a"
                            + " longer text is scored in strided sliding windows, each token once"),
                    Option.value(LONG, "stride", "N", "tokens between window starts, below --max-length (default half"
                            + " of it): a token scored by a later window has at least max-length - stride before it"),
                    Option.flag(LONG, "no-sliding-window", "fail texts longer than --max-length instead"),
                    Option.value(BENCH, "workload", "NAME", "score a benchmark workload instead of texts: "
                            + String.join(" or ", Workload.SCORING) + " (docs/performance.md); prints tokens/s"),
                    Option.value(BENCH, "texts", "N", "with --workload, its first N texts (default all)")))
            .flatMap(List::stream).toList();

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
                + "[--output FILE] [--json] [--max-length N] [--stride N] [--no-sliding-window] [options]\n"
                + "       flood score --model DIR --workload S|S-long [--texts N] [--json] [options]";
    }

    @Override
    public List<Option> options() {
        return OPTIONS;
    }

    @Override
    public int run(ParsedArgs args, Streams streams) throws UsageException, IOException {
        EngineConfig config = EngineOptions.config(args);
        ScoreOptions options = scoreOptions(args);
        List<String> texts = args.list("text");
        if (args.has("workload")) {
            return runWorkload(args, config, options, streams);
        }
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
                String error = item.messages() != null ? "score takes a text, not chat messages" : item.error();
                window.add(item, error != null
                        ? CompletableFuture.completedFuture(ScoreResult.failed(error))
                        : engine.submitScore(ScoreRequest.of(item.text(), options)));
            }
            window.finish();
            progress.finish();
            streams.err().println(counts.summary(progress.seconds()));
            streams.err().println(PrefixCacheLine.of(engine.config(), engine.metrics()));
        }
        return 0;
    }

    /** How texts past the window are scored, from --max-length, --stride and --no-sliding-window. */
    static ScoreOptions scoreOptions(ParsedArgs args) throws UsageException {
        int maxLength = args.intValue("max-length", 0, 2);
        int stride = args.intValue("stride", 0, 1);
        if (maxLength > 0 && stride >= maxLength) {
            throw new UsageException("--stride " + stride + " must be below --max-length " + maxLength
                    + ": each window after the first reaches back over tokens already scored");
        }
        return new ScoreOptions(maxLength, stride,
                args.flag("no-sliding-window") ? ScoreOptions.LongTexts.REJECT : ScoreOptions.LongTexts.SLIDING_WINDOW);
    }

    private int runWorkload(ParsedArgs args, EngineConfig config, ScoreOptions options, Streams streams)
            throws UsageException {
        if (!args.list("text").isEmpty() || args.has("input") || args.has("output")) {
            throw new UsageException("--workload scores its own texts: leave out --text, --input and --output");
        }
        Workload workload;
        try {
            workload = Workload.scoring(args.string("workload", ""));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--workload: " + e.getMessage());
        }
        int size = workload.inputLengths().size();
        int numTexts = args.intValue("texts", size, 1);
        if (numTexts > size) {
            throw new UsageException("--texts must be at most " + size + " (workload " + workload.name() + "'s size)"
                    + ", got " + numTexts);
        }
        try (FloodEngine engine = FloodEngine.open(config)) {
            ObjectNode report = new ScoreBench(workload, numTexts, options).run(engine, config, streams);
            streams.out().println(args.flag("json") ? TextSink.json(report) : ScoreBench.table(report));
            if (report.has("first_error")) {
                streams.err().println("score: " + report.get("failed").asLong() + " texts failed; the first: "
                        + report.get("first_error").asText());
                return 1;
            }
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
