package dev.flood.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.EngineConfig;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.estimate.Calibration;
import dev.flood.estimate.CalibrationStore;
import dev.flood.estimate.Estimator;
import dev.flood.estimate.JobEstimate;
import dev.flood.estimate.JobSample;
import dev.flood.estimate.ModelShape;
import dev.flood.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * {@code flood estimate}: what {@code flood generate} would cost on the same input and options, before it runs:
 * the rows, their prompt tokens (every row tokenized, or a uniform sample with a 95% interval), the tokens to be
 * generated, the steps the engine's scheduler would plan, and the time and GPU-hours on this machine's calibrated
 * device ({@link Estimator}). Loads the tokenizer and config.json, not the weights.
 */
final class EstimateCommand implements Command {

    private static final String IO = "Input";
    private static final String SECTION = "Estimate";
    private static final int DEFAULT_SAMPLE = 10_000;

    private static final List<Option> OPTIONS = Stream.of(
            EngineOptions.OPTIONS,
            List.of(
                    Option.repeated(IO, "prompt", "TEXT", "a prompt (repeatable; instead of --input)"),
                    Option.value(IO, "input", "PATH", "prompts from a file or folder, as flood generate reads them"
                            + " (.jsonl, .parquet, .csv, .tsv)"),
                    Option.value(IO, "input-format", "FORMAT", "read --input as " + InputFormat.names()
                            + " whatever the file names say"),
                    Option.value(IO, "field", "NAME", "the JSONL field or Parquet column of the prompt"
                            + " (default prompt)"),
                    Option.value(SECTION, "expected-output-tokens", "N", "tokens each row is expected to generate"
                            + " (default: its max tokens, the most it may)"),
                    Option.value(SECTION, "sample", "N", "count the prompt tokens of a uniform sample of N rows when"
                            + " the input has more (default " + DEFAULT_SAMPLE + ")"),
                    Option.value(SECTION, "calibration", "FILE", "the calibrations flood bench saved"
                            + " (./flood: ~/.flood/calibration.json)"),
                    Option.flag(SECTION, "json", "print one JSON object instead of a table")),
            SamplingOptions.OPTIONS).flatMap(List::stream).toList();

    @Override
    public String name() {
        return "estimate";
    }

    @Override
    public String summary() {
        return "Estimate a generate job's tokens, time and GPU-hours before running it (calibrated by flood bench).";
    }

    @Override
    public String synopsis() {
        return "flood estimate --model DIR [--prompt TEXT]... [--input FILE] [--expected-output-tokens N] [options]";
    }

    @Override
    public List<Option> options() {
        return OPTIONS;
    }

    @Override
    public String outputHelp() {
        return "Output: the job's estimated compute time, tokens and cost from the saved calibration (a table, or"
                + " JSON with --json); it writes no rows.";
    }

    @Override
    public int run(ParsedArgs args, Streams streams) throws UsageException, IOException {
        EngineConfig config = EngineOptions.config(args);
        SamplingOptions sampling = SamplingOptions.from(args);
        List<String> prompts = args.list("prompt");
        if (prompts.isEmpty() && !args.has("input")) {
            throw new UsageException("give at least one --prompt TEXT or an --input FILE");
        }
        Path calibrationFile = args.path("calibration");
        if (calibrationFile == null) {
            throw new UsageException("give --calibration FILE, the calibrations flood bench saved");
        }
        int sampleSize = args.intValue("sample", DEFAULT_SAMPLE, 2);
        Integer expectedOutput = args.has("expected-output-tokens")
                ? args.intValue("expected-output-tokens", 1, 1) : null;
        ModelConfig model = ModelConfigReader.read(config.modelPath());
        String device = Calibration.deviceOf(config);
        String shape = ModelShape.of(model).key();
        Calibration calibration = new CalibrationStore(calibrationFile).find(device, shape).orElse(null);
        if (calibration == null) {
            streams.err().println("flood estimate: no calibration for " + device + " and model shape " + shape
                    + " in " + calibrationFile + "; calibrate this machine once with:\n  " + benchCommand(args)
                    + "\n(--load-format dummy measures the same speed without reading the weights)");
            return 1;
        }
        Reservoir rows = new Reservoir(sampleSize);
        TextColumn column = new TextColumn(args.string("field", "prompt"));
        OutputColumns output = new OutputColumns(GenerationRecords.SCHEMA, "");
        try (InputSource input = InputOptions.open(args, "prompt", column, output)) {
            for (InputRow row; (row = input.next()) != null; ) {
                rows.add(InputOptions.read(row, column, output), sampling);
            }
        }
        if (rows.counted == 0) {
            throw new UsageException("no row of the input could be read" + (rows.firstError == null ? ""
                    : "; the first: " + rows.firstError));
        }
        JobSample job;
        try (Tokenizer tokenizer = Tokenizer.load(config.modelPath())) {
            job = rows.sample(tokenizer, expectedOutput);
        }
        JobEstimate estimate = Estimator.estimate(config, model, job, calibration);
        ObjectNode report = report(estimate, rows, expectedOutput, calibrationFile);
        streams.out().println(args.flag("json") ? TextSink.json(report) : table(report));
        return 0;
    }

    /** The bench command line that calibrates what this one asks for. */
    private static String benchCommand(ParsedArgs args) {
        StringBuilder command = new StringBuilder("./flood bench --model ").append(args.string("model", "DIR"));
        for (String option : List.of("backend", "devices", "stages", "threads")) {
            if (args.has(option)) {
                command.append(" --").append(option).append(' ').append(args.string(option, ""));
            }
        }
        return command.toString();
    }

    /**
     * The input's rows: how many, and a uniform sample of them (reservoir sampling, seeded, so an estimate is
     * repeatable) with each one's expected output tokens. Rows that cannot be read are counted apart.
     */
    private static final class Reservoir {
        private final int capacity;
        private final Random random = new Random(0);
        private final List<String> texts = new ArrayList<>();
        private final List<Integer> outputs = new ArrayList<>();
        long counted;
        long unreadable;
        String firstError;

        Reservoir(int capacity) {
            this.capacity = capacity;
        }

        void add(RowPrompt item, SamplingOptions sampling) {
            int maxTokens;
            try {
                if (item.error() != null) {
                    throw new IllegalArgumentException(item.error());
                }
                maxTokens = (item.row().columns() instanceof JsonColumns json ? sampling.withOverrides(json.object())
                        : sampling.base()).maxNewTokens();
            } catch (IllegalArgumentException e) {
                unreadable++;
                firstError = firstError == null ? item.row().located(e.getMessage()) : firstError;
                return;
            }
            counted++;
            if (texts.size() < capacity) {
                texts.add(item.text());
                outputs.add(maxTokens);
                return;
            }
            long slot = (long) (random.nextDouble() * counted);
            if (slot < capacity) {
                texts.set((int) slot, item.text());
                outputs.set((int) slot, maxTokens);
            }
        }

        JobSample sample(Tokenizer tokenizer, Integer expectedOutput) {
            int[] promptTokens = new int[texts.size()];
            int[] outputTokens = new int[texts.size()];
            for (int i = 0; i < promptTokens.length; i++) {
                promptTokens[i] = tokenizer.encode(texts.get(i)).length;
                outputTokens[i] = expectedOutput != null ? expectedOutput : outputs.get(i);
            }
            return new JobSample(counted, promptTokens, outputTokens);
        }
    }

    private static ObjectNode report(JobEstimate e, Reservoir rows, Integer expectedOutput, Path calibrationFile) {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("rows", e.rows());
        r.put("unreadable_rows", rows.unreadable);
        r.put("runnable_rows", e.runnable());
        r.put("counted_rows", rows.texts.size());
        putRange(r, "prompt_tokens", e.promptTokens());
        r.put("generated_tokens", e.generatedTokens());
        r.put("output_tokens_from", expectedOutput != null ? "expected-output-tokens" : "max-tokens");
        r.put("steps", e.steps());
        r.put("cache_tokens", e.cacheTokens());
        putRange(r, "compute_seconds", e.computeSeconds());
        r.put("open_seconds", e.openSeconds());
        putRange(r, "wall_seconds", e.wallSeconds());
        r.put("gpus", e.devices());
        putRange(r, "gpu_hours", e.gpuHours());
        ObjectNode c = r.putObject("calibration");
        c.put("device", e.calibration().device());
        c.put("model_shape", e.calibration().modelShape());
        c.put("measured_at", e.calibration().measuredAt());
        c.put("load_format", e.calibration().loadFormat());
        c.put("seconds_per_step", e.calibration().model().secondsPerStep());
        c.put("seconds_per_gmac", e.calibration().model().secondsPerGigaMac());
        c.put("seconds_per_attention_gmac", e.calibration().model().secondsPerAttentionGigaMac());
        c.put("file", calibrationFile.toString());
        return r;
    }

    private static void putRange(ObjectNode report, String key, JobEstimate.Range range) {
        ObjectNode node = report.putObject(key);
        node.put("value", range.value());
        node.put("low", range.low());
        node.put("high", range.high());
    }

    private static String table(ObjectNode r) {
        StringBuilder t = new StringBuilder();
        ObjectNode c = (ObjectNode) r.get("calibration");
        t.append(String.format(Locale.ROOT, "Estimate: %,d rows on %s%n", r.get("rows").asLong(),
                c.get("device").asText()));
        if (r.get("unreadable_rows").asLong() > 0 || r.get("runnable_rows").asLong() < r.get("rows").asLong()) {
            row(t, "rows that would fail", String.format(Locale.ROOT, "%,d unreadable, %,d too long for the context"
                    + " or the cache", r.get("unreadable_rows").asLong(),
                    r.get("rows").asLong() - r.get("runnable_rows").asLong()));
        }
        boolean exact = r.get("counted_rows").asLong() == r.get("rows").asLong();
        row(t, "prompt tokens", tokens(r.get("prompt_tokens").get("value").asDouble()) + (exact ? " (every row)"
                : String.format(Locale.ROOT, " (95%%: %s to %s, from %,d sampled rows)",
                tokens(r.get("prompt_tokens").get("low").asDouble()),
                tokens(r.get("prompt_tokens").get("high").asDouble()), r.get("counted_rows").asLong())));
        row(t, "generated tokens", String.format(Locale.ROOT, "%,d (%s)", r.get("generated_tokens").asLong(),
                r.get("output_tokens_from").asText().equals("max-tokens") ? "at most: each row's max tokens"
                        : "--expected-output-tokens per row"));
        row(t, "steps", String.format(Locale.ROOT, "%,d (the engine's scheduler, simulated; cache of %,d tokens)",
                r.get("steps").asLong(), r.get("cache_tokens").asLong()));
        row(t, "compute time", range(r.get("compute_seconds")));
        row(t, "engine open", duration(r.get("open_seconds").asDouble()) + (c.get("load_format").asText()
                .equals("dummy") ? " (calibrated with dummy weights: reading real ones takes longer)" : ""));
        row(t, "wall time", range(r.get("wall_seconds")));
        row(t, "GPU-hours", r.get("gpus").asInt() == 0 ? "none (CPU backend)" : String.format(Locale.ROOT,
                "%.3g on %d GPU%s", r.get("gpu_hours").get("value").asDouble(), r.get("gpus").asInt(),
                r.get("gpus").asInt() == 1 ? "" : "s"));
        row(t, "calibration", String.format(Locale.ROOT, "flood bench, %s: %.3g ms per step, %.3g s per GMAC, %.3g"
                + " s per attention GMAC (%s)", c.get("measured_at").asText(),
                c.get("seconds_per_step").asDouble() * 1e3, c.get("seconds_per_gmac").asDouble(),
                c.get("seconds_per_attention_gmac").asDouble(), c.get("file").asText()));
        return t.toString().stripTrailing();
    }

    private static void row(StringBuilder table, String label, String value) {
        table.append(String.format(Locale.ROOT, "  %-22s%s%n", label, value));
    }

    private static String tokens(double count) {
        return String.format(Locale.ROOT, "%,d", Math.round(count));
    }

    private static String range(com.fasterxml.jackson.databind.JsonNode range) {
        double value = range.get("value").asDouble();
        double low = range.get("low").asDouble();
        double high = range.get("high").asDouble();
        return duration(value) + (low == value && high == value ? ""
                : " (95%: " + duration(low) + " to " + duration(high) + ")");
    }

    /** Seconds as {@code 2 h 5 min}, {@code 4 min 12 s}, {@code 12.3 s} or {@code 25 ms}. */
    static String duration(double seconds) {
        if (seconds >= 3600) {
            long minutes = Math.round(seconds / 60);
            return minutes / 60 + " h " + minutes % 60 + " min";
        }
        if (seconds >= 60) {
            long whole = Math.round(seconds);
            return whole / 60 + " min " + whole % 60 + " s";
        }
        return seconds >= 1 ? String.format(Locale.ROOT, "%.1f s", seconds)
                : String.format(Locale.ROOT, "%.0f ms", seconds * 1e3);
    }
}
