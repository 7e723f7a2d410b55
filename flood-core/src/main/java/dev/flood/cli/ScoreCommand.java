package dev.flood.cli;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
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

    private static final List<Option> OPTIONS = Stream.of(
            EngineOptions.OPTIONS,
            InputOptions.options("text", "text-column", "text")).flatMap(List::stream).toList();

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
                + "[--json] [options]";
    }

    @Override
    public String outputHelp() {
        return "Output: each input row's columns (JSON Lines: as given; Parquet: with their types), then tokens,"
                + " token_ids, token_logprobs (entry i is log p(token i+1 | tokens 0..i)), mean_nll, perplexity and"
                + " error (when the row failed: an empty text, or one of a single token, has nothing to score). A"
                + " --text is a row with one column, text.";
    }

    @Override
    public List<Option> options() {
        return OPTIONS;
    }

    @Override
    public int run(ParsedArgs args, Streams streams) throws UsageException, IOException {
        EngineConfig config = EngineOptions.config(args);
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
                window.add(item, submit(engine, item));
            }
            window.finish();
            progress.finish();
            streams.err().println(counts.summary(outcomes, progress.seconds()));
        }
        return outcomes.finish(name(), streams.err());
    }

    /**
     * Queues one row. A text with nothing to predict is an error for its row, not a null perplexity: the empty text
     * is refused before it runs, a text of one token (a model that adds no BOS) once it is tokenized.
     */
    private static CompletableFuture<ScoreResult> submit(FloodEngine engine, RowPrompt item) {
        if (item.error() != null) {
            return CompletableFuture.completedFuture(ScoreResult.failed(item.error()));
        }
        if (item.text().isEmpty()) {
            return CompletableFuture.completedFuture(ScoreResult.failed("empty text: nothing to score"));
        }
        return engine.submitScore(item.text()).thenApply(result -> result.isError() || !result.tokenLogprobs().isEmpty()
                ? result
                : ScoreResult.failed("the text is one token: scoring needs two or more (the first is not predicted)"));
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
