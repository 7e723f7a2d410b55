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
 * {@code flood generate}: completions of prompts given on the command line or in a JSONL or Parquet file,
 * written in input order as they finish.
 */
final class GenerateCommand implements Command {

    private static final String IO = "Input and output";
    /** Items in flight per running request: enough queued work to keep the batch full, bounded memory. */
    static final int WINDOW_PER_RUNNING = 4;

    private static final List<Option> OPTIONS = Stream.of(
            EngineOptions.OPTIONS,
            List.of(
                    Option.repeated(IO, "prompt", "TEXT", "a prompt (repeatable; these run before --input's)"),
                    Option.value(IO, "input", "FILE", "prompts from FILE.jsonl (a JSON object per line) or FILE.parquet"),
                    Option.value(IO, "field", "NAME", "the JSONL field or Parquet column of the prompt (default prompt)"),
                    Option.value(IO, "output", "FILE", "write results to FILE: .parquet for Parquet, .jsonl for JSON Lines"),
                    Option.flag(IO, "json", "JSON Lines: prompt, text, token_ids, finish_reason, prompt_tokens, "
                            + "completion_tokens, logprobs (if asked), error (if failed)")),
            ChatOptions.OPTIONS,
            SamplingOptions.OPTIONS).flatMap(List::stream).toList();

    @Override
    public String name() {
        return "generate";
    }

    @Override
    public String summary() {
        return "Generate completions of prompts (from --prompt, JSONL or Parquet), in input order.";
    }

    @Override
    public String synopsis() {
        return "flood generate --model DIR [--prompt TEXT]... [--input FILE.jsonl|FILE.parquet] [--output FILE] [--json]"
                + " [--chat] [--system TEXT] [--json-schema FILE|--regex PATTERN|--choice TEXT...] [options]";
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
        List<String> prompts = args.list("prompt");
        if (prompts.isEmpty() && !args.has("input")) {
            throw new UsageException("give at least one --prompt TEXT or an --input FILE");
        }
        Counts counts = new Counts();
        try (InputSource input = InputSource.open(prompts, "prompt", args.path("input"), args.string("field", "prompt"));
             FloodEngine engine = FloodEngine.open(config);
             RecordSink sink = RecordSink.open(args, streams, GenerationRecords.SCHEMA, GenerationRecords::plain)) {
            Progress progress = new Progress(streams, name(), input.count());
            OrderedWindow<InputItem, GenerationResult> window = new OrderedWindow<>(
                    WINDOW_PER_RUNNING * engine.config().maxRunningRequests(), (item, result) -> {
                        sink.write(GenerationRecords.record(item, result, engine.tokenizer()));
                        counts.add(result);
                        progress.advance(result.completionTokens(), maxTokens(sampling, item));
                    });
            for (InputItem item; (item = input.next()) != null; ) {
                progress.expect(maxTokens(sampling, item));
                window.add(item, submit(engine, shape, item, progress));
            }
            window.finish();
            progress.finish();
            streams.err().println(counts.summary(progress.seconds()));
            streams.err().println(PrefixCacheLine.of(engine.config(), engine.metrics()));
        }
        return 0;
    }

    /** The most tokens an item may generate; 0 for one that fails before it runs. */
    private static int maxTokens(SamplingOptions sampling, InputItem item) {
        if (item.error() != null) {
            return 0;
        }
        try {
            return sampling.withOverrides(item.line()).maxNewTokens();
        } catch (IllegalArgumentException e) {
            return 0;
        }
    }

    /**
     * Queues one item, its tokens counted by {@code progress}; an item whose input or sampling values are bad
     * completes at once with its error.
     */
    private static CompletableFuture<GenerationResult> submit(FloodEngine engine, Shape shape, InputItem item,
                                                              Progress progress) {
        if (item.error() != null) {
            return CompletableFuture.completedFuture(GenerationResult.failed(item.error(), 0));
        }
        SamplingParams params;
        try {
            params = shape.sampling().withOverrides(item.line());
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(GenerationResult.failed(e.getMessage(), 0));
        }
        return engine.submit(shape.chat().request(item, params),
                (textDelta, newTokenIds) -> progress.generated(newTokenIds.size()));
    }

    /** The command line's settings of every request. */
    private record Shape(SamplingOptions sampling, ChatOptions chat) {
    }

    /** Totals for the summary line. */
    private static final class Counts {
        private long prompts;
        private long failed;
        private long promptTokens;
        private long generatedTokens;

        void add(GenerationResult result) {
            prompts++;
            failed += result.isError() ? 1 : 0;
            promptTokens += result.promptTokens();
            generatedTokens += result.completionTokens();
        }

        String summary(double seconds) {
            return String.format(Locale.ROOT, "generate: prompts %d, failed %d, prompt tokens %d, generated tokens %d, "
                    + "%.2f s, %.1f generated tokens/s, %.1f total tokens/s", prompts, failed, promptTokens,
                    generatedTokens, seconds, generatedTokens / seconds, (promptTokens + generatedTokens) / seconds);
        }
    }
}
