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

/**
 * {@code flood score}: per-token log-probabilities, mean NLL and perplexity of texts given on the command line or
 * in the rows of an input, in input order, each row's own columns first.
 */
final class ScoreCommand implements Command {

    private static final String LONG = "Texts longer than the window";
    private static final String BENCH = "Benchmark";

    private static final List<Option> OPTIONS = Stream.of(
            EngineOptions.OPTIONS,
            InputOptions.options("text", "text-column", "text"),
            List.of(
                    Option.value(LONG, "max-length", "N", "tokens in one window (default: the model's context); a"
                            + " longer text is scored in strided sliding windows, each token once"),
                    Option.value(LONG, "stride", "N", "tokens between window starts, below --max-length (default half"
                            + " of it): a token scored by a later window has at least max-length - stride before it"),
                    Option.flag(LONG, "no-sliding-window", "fail texts longer than --max-length instead"),
                    Option.value(BENCH, "workload", "NAME", "score a benchmark workload instead of texts: "
                            + String.join(" or ", Workload.SCORING) + " (docs/performance.md); prints tokens/s as a"
                            + " table, or with --json one JSON object"),
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
        return "flood score --model DIR (--text TEXT... | --input PATH [--text-column NAME]) [--output FILE] "
                + "[--json] [--max-length N] [--stride N] [--no-sliding-window] [options]\n"
                + "       flood score --model DIR --workload S|S-long [--texts N] [--json] [options]";
    }

    @Override
    public String outputHelp() {
        return "Output: each input row's columns (JSON Lines: as given; Parquet: with their types), then tokens,"
                + " token_ids, token_logprobs (entry i is log p(token i+1 | tokens before it)), mean_nll, perplexity,"
                + " windows (how many sliding windows scored the text; 0 when it failed) and error (when the row"
                + " failed: an empty text, or one of a single token, has nothing to score). A --text is a row with"
                + " one column, text.";
    }

    @Override
    public String exitStatus() {
        return Usage.EXIT_STATUS + "  With --workload: 0 when every text was scored, 1 when one failed (the run is"
                + " not a measurement).\n";
    }

    @Override
    public List<Option> options() {
        return OPTIONS;
    }

    @Override
    public int run(ParsedArgs args, Streams streams) throws UsageException, IOException {
        EngineConfig config = EngineOptions.config(args);
        ScoreOptions options = scoreOptions(args);
        if (args.has("workload")) {
            return runWorkload(args, config, options, streams);
        }
        RecordSink.Target target = RecordSink.Target.from(args);
        TextColumn column = new TextColumn(args.string("text-column", "text"));
        OutputColumns output = new OutputColumns(ScoreRecords.SCHEMA, args.string("result-prefix", ""));
        Counts counts = new Counts();
        RowOutcomes outcomes = new RowOutcomes();
        try (InputSource input = InputOptions.open(args, "text", column, output);
             FloodEngine engine = FloodEngine.open(config);
             RecordSink sink = RecordSink.open(target, streams, input, output, ScoreRecords::plain)) {
            Progress progress = new Progress(streams, name(), input.count());
            OrderedWindow<RowPrompt, ScoreResult> window = new OrderedWindow<>(
                    GenerateCommand.WINDOW_PER_RUNNING * engine.config().maxRunningRequests(), (item, result) -> {
                        sink.write(item, ScoreRecords.record(item, result));
                        counts.add(result);
                        outcomes.add(result.isError() ? item.row().located(result.error()) : null);
                        progress.advance();
                    });
            for (InputRow row; (row = input.next()) != null; ) {
                RowPrompt item = InputOptions.read(row, column, output);
                window.add(item, submit(engine, item, options));
            }
            window.finish();
            progress.finish();
            streams.err().println(counts.summary(outcomes, progress.seconds()));
            streams.err().println(PrefixCacheLine.of(engine.config(), engine.metrics()));
        }
        return outcomes.finish(name(), streams.err());
    }

    /**
     * Queues one row. A text with nothing to predict is an error for its row, not a null perplexity: the empty text
     * is refused before it runs, a text of one token (a model that adds no BOS) once it is tokenized.
     */
    private static CompletableFuture<ScoreResult> submit(FloodEngine engine, RowPrompt item, ScoreOptions options) {
        if (item.error() != null) {
            return CompletableFuture.completedFuture(ScoreResult.failed(item.error()));
        }
        if (item.messages() != null) {
            return CompletableFuture.completedFuture(ScoreResult.failed("score takes a text, not chat messages"));
        }
        if (item.text().isEmpty()) {
            return CompletableFuture.completedFuture(ScoreResult.failed("empty text: nothing to score"));
        }
        return engine.submitScore(ScoreRequest.of(item.text(), options)).thenApply(result ->
                result.isError() || !result.tokenLogprobs().isEmpty() ? result
                        : ScoreResult.failed("the text is one token: scoring needs two or more (the first is not"
                                + " predicted)"));
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
        if (!args.list("text").isEmpty() || Stream.of("input", "input-format", "text-column", "output",
                "result-prefix").anyMatch(args::has)) {
            throw new UsageException("--workload scores its own texts: leave out --text, --input, --input-format,"
                    + " --text-column, --output and --result-prefix");
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
            ObjectNode report = new ScoreBench(workload, numTexts, options).run(engine, streams);
            streams.out().println(args.flag("json") ? TextSink.json(report) : ScoreBench.table(report));
            if (report.has("first_error")) {
                streams.err().println("score: " + report.get("failed").asLong() + " texts failed; the first: "
                        + report.get("first_error").asText());
                return Main.FAILED;
            }
        }
        return Main.OK;
    }

    /** Token totals for the summary line: only tokens the engine computed, so failed rows count none. */
    private static final class Counts {
        private long tokens;

        void add(ScoreResult result) {
            if (!result.isError()) {
                tokens += result.tokens();
            }
        }

        String summary(RowOutcomes outcomes, double seconds) {
            return String.format(Locale.ROOT, "score: texts %d, failed %d, tokens %d, %.2f s, %.1f tokens/s",
                    outcomes.rows(), outcomes.failed(), tokens, seconds, tokens / seconds);
        }
    }
}
