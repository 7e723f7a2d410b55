package dev.flood.cli;

import dev.flood.api.EngineConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The options that open an engine, shared by every command, and their translation into an {@link EngineConfig}. */
final class EngineOptions {

    private static final String SECTION = "Model and engine";
    /** The engine's own defaults, shown in help and used for options not given. */
    private static final EngineConfig DEFAULTS = EngineConfig.builder(Path.of(".")).build();

    static final List<Option> OPTIONS = List.of(
            Option.value(SECTION, "model", "DIR",
                    "Hugging Face model folder: config.json, tokenizer.json, *.safetensors (./flood defaults to"
                            + " the demo model in models/flood-demo)"),
            Option.value(SECTION, "load-format", "FORMAT",
                    "safetensors (default) or dummy: random weights of config.json's shapes"),
            Option.value(SECTION, "backend", "NAME", "cpu (default) or cuda"),
            Option.value(SECTION, "devices", "LIST",
                    "GPU ordinals of the pipeline stages, one stage each, e.g. 0,1 (two GPUs) or 0,0 (two stages on"
                            + " GPU 0); default 0"),
            Option.value(SECTION, "stages", "N", "pipeline stages on the CPU backend (cuda: one per device; default 1)"),
            Option.value(SECTION, "stage-layers", "LIST",
                    "decoder layers per stage, e.g. 17,15 (default: split so the stages cost about the same)"),
            Option.value(SECTION, "steps-in-flight", "N",
                    "most steps in flight at once (default: stages + 1; 1 runs one step at a time)"),
            Option.value(SECTION, "threads", "N", "CPU backend worker threads (default: all " + DEFAULTS.threads() + " cores)"),
            Option.value(SECTION, "cache-tokens", "N", "KV cache size in token slots (default: sized from free memory)"),
            Option.value(SECTION, "max-batch-tokens", "N",
                    "tokens in one forward step, decodes plus prefill chunks (default: cpu "
                            + EngineConfig.CPU_MAX_BATCH_TOKENS + ", cuda chosen from the model and GPU memory)"),
            Option.value(SECTION, "quantization", "MODE",
                    "auto (default: the checkpoint's own, FP8 where it is stored so and the GPU has FP8), none (bf16),"
                            + " or fp8 (FP8 weights and products; backend cuda on a Hopper GPU)"),
            Option.value(SECTION, "cuda-graphs", "on|off",
                    "run decode-only steps as CUDA graphs on the cuda backend (default off; --profile runs eager;"
                            + " dense models only)"),
            Option.value(SECTION, "max-running", "N",
                    "most requests in the running batch (default: cpu " + EngineConfig.CPU_MAX_RUNNING_REQUESTS
                            + ", cuda chosen from the model and GPU memory)"),
            Option.flag(SECTION, "no-prefix-caching",
                    "compute every prompt whole (default: a prompt prefix already computed, such as a shared system"
                            + " prompt, is read from the KV cache)"));

    private EngineOptions() {
    }

    static EngineConfig config(ParsedArgs args) throws UsageException {
        String loadFormat = args.choice("load-format", "safetensors", List.of("safetensors", "dummy"));
        EngineConfig.Builder builder = EngineConfig.builder(Path.of(args.required("model")))
                .loadFormat(EngineConfig.LoadFormat.valueOf(loadFormat.toUpperCase(Locale.ROOT)))
                .backend(args.choice("backend", DEFAULTS.backend(), List.of("cpu", "cuda")))
                .devices(intList(args, "devices", DEFAULTS.devices()))
                .stages(args.intValue("stages", DEFAULTS.stages(), 1))
                .stageLayers(intList(args, "stage-layers", DEFAULTS.stageLayers()))
                .stepsInFlight(args.intValue("steps-in-flight", DEFAULTS.stepsInFlight(), 1))
                .threads(args.intValue("threads", DEFAULTS.threads(), 1))
                .cacheTokens(args.intValue("cache-tokens", DEFAULTS.cacheTokens(), 0))
                .maxBatchTokens(args.intValue("max-batch-tokens", DEFAULTS.maxBatchTokens(), 1))
                .maxRunningRequests(args.intValue("max-running", DEFAULTS.maxRunningRequests(), 1))
                .quantization(EngineConfig.Quantization.valueOf(args.choice("quantization", "auto",
                        List.of("auto", "none", "fp8")).toUpperCase(Locale.ROOT)))
                .cudaGraphs(EngineConfig.CudaGraphs.valueOf(args.choice("cuda-graphs", "off",
                        List.of("on", "off")).toUpperCase(Locale.ROOT)))
                .prefixCaching(args.flag("no-prefix-caching") ? EngineConfig.PrefixCaching.OFF
                        : EngineConfig.PrefixCaching.ON);
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** A comma-separated list of integers, e.g. {@code 0,1}; {@code fallback} when the option is absent. */
    private static List<Integer> intList(ParsedArgs args, String name, List<Integer> fallback) throws UsageException {
        if (!args.has(name)) {
            return fallback;
        }
        List<Integer> values = new ArrayList<>();
        for (String part : args.string(name, "").split(",", -1)) {
            values.add(ParsedArgs.parse(name, part, Integer::parseInt, "a comma-separated list of integers"));
        }
        return values;
    }
}
