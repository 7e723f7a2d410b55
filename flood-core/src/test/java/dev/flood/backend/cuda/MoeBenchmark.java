package dev.flood.backend.cuda;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.backend.ExpertRouting;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.RouterSpec;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.config.MoeConfig;
import dev.flood.model.CausalLM;
import dev.flood.weights.DummyWeights;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Where one decoder layer of a mixture-of-experts shape spends its time on the GPU (tools/gpu/run-models-tests.sh runs
 * it; default shape Qwen3-30B-A3B: 128 experts, top-8, experts 768 wide): the model cut to one layer with dummy
 * weights, one step timed whole (embedding, attention, router, experts, combine, norms) beside its two expert GEMMs
 * alone (the same routing and shapes), for decode steps of 256, 512 and 1024 requests at context 512 and a prefill step
 * of 16 x 1024 tokens. Prints per step: the layer's time, the expert GEMMs' time and share of it, and their achieved
 * TFLOP/s (2 x pairs x out x in per GEMM) and GB/s (each expert's weights read once, activations once). Timed on the
 * host around a device synchronization, median of 20 runs after at least 300 ms of warm-up (an idle H200 needs tens of
 * milliseconds to reach full clock). Not a JUnit test.
 *
 * <p>usage: {@code java -cp <tests>:<jars> dev.flood.backend.cuda.MoeBenchmark [SHAPE_DIR]}
 */
public final class MoeBenchmark {

    private static final String DEFAULT_SHAPE = "flood-core/src/test/resources/shapes/qwen3-30b-a3b";
    private static final int[] DECODE_REQUESTS = {256, 512, 1024};
    private static final int DECODE_CONTEXT = 512;
    private static final int PREFILL_REQUESTS = 16;
    private static final int PREFILL_TOKENS = 1024;
    private static final long WARMUP_NANOS = 300_000_000L;
    private static final int REPS = 20;

    private final CudaBackend cuda;
    private final ModelConfig config;
    private final CausalLM layer;
    private final ExpertWeights experts;
    private final List<String> table = new ArrayList<>();

    /** One sparse layer's weights, loaded apart from the model's so that the GEMMs can be timed alone. */
    private record ExpertWeights(Weight norm, Weight router, Weight gateUp, Weight down, MoeConfig moe,
                                 RouterSpec spec) {
    }

    private MoeBenchmark(CudaBackend cuda, ModelConfig config) {
        this.cuda = cuda;
        this.config = config;
        MoeConfig moe = config.moe();
        int hidden = config.hiddenSize();
        int width = moe.expertIntermediateSize();
        DummyWeights weights = new DummyWeights(config, 7);
        this.layer = CausalLM.load(config, weights, cuda);
        List<String> gateUpNames = new ArrayList<>();
        List<String> downNames = new ArrayList<>();
        for (int e = 0; e < moe.numExperts(); e++) {
            gateUpNames.add("timed.experts." + e + ".gate_proj.weight");
            gateUpNames.add("timed.experts." + e + ".up_proj.weight");
            downNames.add("timed.experts." + e + ".down_proj.weight");
        }
        this.experts = new ExpertWeights(
                cuda.loadVector(weights, List.of("timed.norm.weight"), List.of(hidden)),
                cuda.loadMatrix(weights, List.of("timed.gate.weight"), List.of(moe.numExperts()), hidden),
                cuda.loadMatrix(weights, gateUpNames, Collections.nCopies(2 * moe.numExperts(), width), hidden),
                cuda.loadMatrix(weights, downNames, java.util.Collections.nCopies(moe.numExperts(), hidden), width),
                moe, new RouterSpec(moe.numExpertsPerToken(), moe.normTopkProb()));
    }

    public static void main(String[] args) throws IOException {
        ModelConfig config = oneLayer(Path.of(args.length > 0 ? args[0] : DEFAULT_SHAPE));
        if (config.moe() == null || config.moe().numExperts() == 0) {
            throw new IllegalArgumentException(config.architecture() + " has no experts");
        }
        try (CudaBackend cuda = CudaBackend.open(0)) {
            int capacity = Math.max(DECODE_REQUESTS[DECODE_REQUESTS.length - 1] * DECODE_CONTEXT,
                    PREFILL_REQUESTS * PREFILL_TOKENS);
            MoeBenchmark benchmark = new MoeBenchmark(cuda, config);
            cuda.allocateCache(1, capacity, config.kvSize());
            for (int requests : DECODE_REQUESTS) {
                benchmark.step("decode " + requests + " x 1 at context " + DECODE_CONTEXT,
                        batch(requests, 1, DECODE_CONTEXT));
            }
            benchmark.step("prefill " + PREFILL_REQUESTS + " x " + PREFILL_TOKENS,
                    batch(PREFILL_REQUESTS, PREFILL_TOKENS, PREFILL_TOKENS));
            System.out.println();
            System.out.println("GPU: " + cuda.deviceName() + "; one layer of " + config.architecture() + " ("
                    + config.moe().numExperts() + " experts, top-" + config.moe().numExpertsPerToken() + ", hidden "
                    + config.hiddenSize() + ", experts " + config.moe().expertIntermediateSize() + " wide)");
            benchmark.table.forEach(System.out::println);
        }
    }

    /** Times one step of the one-layer model, then its two expert GEMMs alone on the same routing. */
    private void step(String name, ForwardBatch batch) {
        double layerMs = medianMilliseconds(() -> layer.forward(batch));
        int numTokens = batch.numTokens();
        MoeConfig moe = experts.moe();
        int width = moe.expertIntermediateSize();
        int hidden = config.hiddenSize();
        int pairs = numTokens * moe.numExpertsPerToken();
        // Inputs: rows of the router's table, normalized to bf16 as the layer's post-attention norm leaves them.
        ForwardBatch routed = uniformIds(batch, moe.numExperts());
        cuda.beginStep(routed);
        Tensor embedded = cuda.allocate(numTokens, hidden);
        cuda.embed(experts.router(), routed, embedded);
        Tensor x = cuda.allocate(numTokens, hidden);
        cuda.rmsNorm(embedded, experts.norm(), (float) config.rmsNormEps(), x);
        Tensor logits = cuda.allocate(numTokens, moe.numExperts());
        cuda.linear(x, experts.router(), null, logits);
        ExpertRouting routing = cuda.routeExperts(logits, experts.spec());
        Tensor gateUp = cuda.allocate(pairs, 2 * width);
        Tensor activated = cuda.allocate(pairs, width);
        Tensor out = cuda.allocate(pairs, hidden);
        cuda.expertLinear(x, routing, experts.gateUp(), gateUp);
        cuda.siluMul(gateUp, activated);
        double gateUpMs = medianMilliseconds(() -> cuda.expertLinear(x, routing, experts.gateUp(), gateUp));
        double downMs = medianMilliseconds(() -> cuda.expertLinear(activated, routing, experts.down(), out));
        double expertsTouched = moe.numExperts() * (1 - Math.pow(1 - (double) moe.numExpertsPerToken()
                / moe.numExperts(), numTokens));
        double flops = 2.0 * pairs * 3.0 * width * hidden;
        double bytes = expertsTouched * 3.0 * width * hidden * 2 + pairs * (hidden * 2.0 + 2 * width * 4.0)
                + pairs * (width * 2.0 + hidden * 4.0);
        double gemmMs = gateUpMs + downMs;
        table.add(String.format("%-30s layer %8.3f ms   expert GEMMs %8.3f ms (%4.1f%% of the layer; gate/up %.3f,"
                + " down %.3f)  %6.1f TFLOP/s  %7.1f GB/s", name, layerMs, gemmMs, 100 * gemmMs / layerMs, gateUpMs,
                downMs, flops / (gemmMs * 1e-3) / 1e12, bytes / (gemmMs * 1e-3) / 1e9));
    }

    /** The batch with token ids below {@code rows} (rows of the router's table). */
    private static ForwardBatch uniformIds(ForwardBatch batch, int rows) {
        int[] ids = IntStream.range(0, batch.numTokens()).map(i -> (i * 7919) % rows).toArray();
        return new ForwardBatch(ids, batch.positions(), batch.slotMapping(), batch.cuSeqlensQ(), batch.contextLens(),
                batch.cuExtents(), batch.extentStarts(), batch.extentLengths(), batch.logitRows());
    }

    /** {@code requests} requests of {@code queryLen} new tokens at context {@code context}, each in one extent. */
    private static ForwardBatch batch(int requests, int queryLen, int context) {
        int numTokens = requests * queryLen;
        int[] ids = new int[numTokens];
        int[] positions = new int[numTokens];
        int[] slots = new int[numTokens];
        int[] cuSeqlensQ = new int[requests + 1];
        int[] contextLens = new int[requests];
        int[] cuExtents = new int[requests + 1];
        int[] starts = new int[requests];
        int[] lengths = new int[requests];
        for (int r = 0; r < requests; r++) {
            cuSeqlensQ[r + 1] = (r + 1) * queryLen;
            contextLens[r] = context;
            cuExtents[r + 1] = r + 1;
            starts[r] = r * context;
            lengths[r] = context;
            for (int i = 0; i < queryLen; i++) {
                int t = r * queryLen + i;
                ids[t] = 100 + (r * 7919 + i * 104729) % 1000;
                positions[t] = context - queryLen + i;
                slots[t] = r * context + positions[t];
            }
        }
        return new ForwardBatch(ids, positions, slots, cuSeqlensQ, contextLens, cuExtents, starts, lengths, new int[0]);
    }

    private double medianMilliseconds(Runnable work) {
        long warmupEnd = System.nanoTime() + WARMUP_NANOS;
        while (System.nanoTime() < warmupEnd) {
            work.run();
            cuda.synchronize("benchmark warm-up");
        }
        double[] times = new double[REPS];
        for (int i = 0; i < REPS; i++) {
            long start = System.nanoTime();
            work.run();
            cuda.synchronize("benchmark run");
            times[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(times);
        return (times[REPS / 2 - 1] + times[REPS / 2]) / 2;
    }

    /** The shape's config with one layer (written to a temporary folder and read back, as the engine reads it). */
    private static ModelConfig oneLayer(Path shape) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(shape.resolve("config.json").toFile());
        config.put("num_hidden_layers", 1);
        config.remove("mlp_only_layers");
        Path dir = Files.createTempDirectory("flood-moe-benchmark");
        try {
            json.writeValue(dir.resolve("config.json").toFile(), config);
            return ModelConfigReader.read(dir);
        } finally {
            Files.deleteIfExists(dir.resolve("config.json"));
            Files.deleteIfExists(dir);
        }
    }
}
