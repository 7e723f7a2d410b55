package dev.flood.cli;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * {@code flood generate}: completions of prompts given on the command line or in the rows of an input (JSON
 * Lines, Parquet, CSV; a file or a folder), written in input order as they finish, each row's own columns first.
 */
final class GenerateCommand implements Command {

    /** Items in flight per running request: enough queued work to keep the batch full, bounded memory. */
    static final int WINDOW_PER_RUNNING = 4;

    private static final List<Option> OPTIONS = Stream.of(
            EngineOptions.OPTIONS,
            InputOptions.options("prompt", "prompt-column", "prompt"),
            ChatOptions.OPTIONS,
            SamplingOptions.OPTIONS).flatMap(List::stream).toList();

    @Override
    public String name() {
        return "generate";
    }

    @Override
    public String summary() {
        return "Generate completions of prompts (from --prompt or the rows of --input), in input order.";
    }

    @Override
    public String synopsis() {
        return "flood generate --model DIR (--prompt TEXT... | --input PATH [--prompt-column NAME]) [--output FILE] "
                + "[--json] [--chat] [--system TEXT] [--json-schema FILE|--regex PATTERN|--choice TEXT...] [options]";
    }

    @Override
    public String outputHelp() {
        return "Output: each input row's columns (JSON Lines: as given; Parquet: with their types), then text,"
                + " token_ids, finish_reason (stop, length or error), prompt_tokens, completion_tokens, logprobs (when"
                + " asked: per generated token id, token, logprob and the top alternatives) and error (when the row"
                + " failed). A --prompt is a row with one column, prompt. A JSON Lines row without the prompt column"
                + " but with a 'messages' array of {role, content} objects is sent as chat messages, and so is a row"
                + " of a Parquet file without the prompt column but with a 'messages' column list<struct<role,"
                + " content>>.";
    }

    @Override
    public List<Option> options() {
        return OPTIONS;
    }

    @Override
    public int run(ParsedArgs args, Streams streams) throws UsageException, IOException {
        EngineConfig config = EngineOptions.config(args);
        SamplingOptions sampling = SamplingOptions.from(args);
        Shape shape = new Shape(sampling, ChatOptions.from(args));
        RecordSink.Target target = RecordSink.Target.from(args);
        String promptColumn = args.string("prompt-column", "prompt");
        String messagesColumn = args.string("messages-column", TextColumn.MESSAGES);
        if (promptColumn.equals(messagesColumn)) {
            throw new UsageException("--prompt-column and --messages-column must differ, both are '" + promptColumn
                    + "'");
        }
        TextColumn column = new TextColumn(promptColumn, messagesColumn);
        OutputColumns output = new OutputColumns(GenerationRecords.SCHEMA, args.string("result-prefix", ""));
        Counts counts = new Counts();
        RowOutcomes outcomes = new RowOutcomes();
        try (InputSource input = InputOptions.open(args, "prompt", column, output);
             FloodEngine engine = FloodEngine.open(config);
             RecordSink sink = RecordSink.open(target, streams, input, output, GenerationRecords::plain)) {
            Progress progress = new Progress(streams, name(), input.count());
            OrderedWindow<RowPrompt, GenerationResult> window = new OrderedWindow<>(
                    WINDOW_PER_RUNNING * engine.config().maxRunningRequests(), (item, result) -> {
                        sink.write(item, GenerationRecords.record(item, result, engine.tokenizer()));
                        counts.add(result);
                        outcomes.add(result.isError() ? item.row().located(result.error()) : null);
                        progress.advance(result.completionTokens(), maxTokens(sampling, item));
                    });
            for (InputRow row; (row = input.next()) != null; ) {
                RowPrompt item = InputOptions.read(row, column, output);
                progress.expect(maxTokens(sampling, item));
                window.add(item, submit(engine, shape, item, progress));
            }
            window.finish();
            progress.finish();
            streams.err().println(counts.summary(outcomes, progress.seconds()));
            streams.err().println(PrefixCacheLine.of(engine.config(), engine.metrics()));
        }
        return outcomes.finish(name(), streams.err());
    }

    /** The most tokens a row may generate; 0 for one that fails before it runs. */
    private static int maxTokens(SamplingOptions sampling, RowPrompt item) {
        if (item.error() != null) {
            return 0;
        }
        try {
            return (item.row().columns() instanceof JsonColumns json ? sampling.withOverrides(json.object())
                    : sampling.base()).maxNewTokens();
        } catch (IllegalArgumentException e) {
            return 0;
        }
    }

    /**
     * Queues one row, its tokens counted by {@code progress}; a row that cannot run, or whose sampling values are
     * bad, completes at once with its error.
     */
    private static CompletableFuture<GenerationResult> submit(FloodEngine engine, Shape shape, RowPrompt item,
                                                              Progress progress) {
        if (item.error() != null) {
            return CompletableFuture.completedFuture(GenerationResult.failed(item.error(), 0));
        }
        SamplingParams params;
        try {
            // per-row sampling settings come from JSON Lines rows only; other formats' columns are data
            params = item.row().columns() instanceof JsonColumns json ? shape.sampling().withOverrides(json.object())
                    : shape.sampling().base();
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(GenerationResult.failed(e.getMessage(), 0));
        }
        return engine.submit(shape.chat().request(item, params),
                (textDelta, newTokenIds) -> progress.generated(newTokenIds.size()));
    }

    /** The command line's settings of every request. */
    private record Shape(SamplingOptions sampling, ChatOptions chat) {
    }

    /** Token totals for the summary line: only tokens the engine computed, so failed rows count none. */
    private static final class Counts {
        private long promptTokens;
        private long generatedTokens;

        void add(GenerationResult result) {
            if (!result.isError()) {
                promptTokens += result.promptTokens();
                generatedTokens += result.completionTokens();
            }
        }

        String summary(RowOutcomes outcomes, double seconds) {
            return String.format(Locale.ROOT, "generate: prompts %d, failed %d, prompt tokens %d, generated tokens %d, "
                    + "%.2f s, %.1f generated tokens/s, %.1f total tokens/s", outcomes.rows(), outcomes.failed(),
                    promptTokens, generatedTokens, seconds, generatedTokens / seconds,
                    (promptTokens + generatedTokens) / seconds);
        }
    }
}
