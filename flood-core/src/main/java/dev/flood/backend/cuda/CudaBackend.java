package dev.flood.backend.cuda;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineConfig.CudaGraphs;
import dev.flood.api.EngineConfig.Quantization;
import dev.flood.api.FloodException;
import dev.flood.backend.AttentionShape;
import dev.flood.backend.Backend;
import dev.flood.backend.ExpertRouting;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Handoff;
import dev.flood.backend.HeadSpan;
import dev.flood.backend.OutOfDeviceMemoryException;
import dev.flood.backend.OutputSpec;
import dev.flood.backend.PendingOutputs;
import dev.flood.backend.RotaryTable;
import dev.flood.backend.RouterSpec;
import dev.flood.backend.ScoredRows;
import dev.flood.backend.StepHead;
import dev.flood.backend.StepLimits;
import dev.flood.backend.StepTime;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.backend.profile.Ceilings;
import dev.flood.backend.profile.OpClock;
import dev.flood.config.ModelConfig;
import dev.flood.sampling.RowLogprobs;
import dev.flood.sampling.SamplingState;
import dev.flood.weights.DType;
import dev.flood.weights.WeightSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import jcuda.Pointer;

/**
 * The CUDA backend: Flood's kernels (flood-kernels' fatbin) and cuBLAS on one GPU, one stream, in order. One
 * backend per pipeline stage; two stages on one GPU are two backends, each with its own stream.
 *
 * <p>Precision: weights bf16 (matrices) and float32 (norm weights, biases); the KV cache bf16; GEMMs take bf16
 * and accumulate in float32, and write float32 but for the gated MLP's gate/up product, which they write in bf16 as
 * a bf16 model does ({@link #linearForActivation}); a row's values never depend on the rest of the batch
 * ({@link Blas}). With FP8 quantization ({@link Fp8Linear}) the linear layers' weights are E4M3 with float32 scales
 * and their inputs are quantized to E4M3 per token; they still accumulate and write float32, but {@link Fp8Gemm}
 * takes cuBLASLt's own choice of algorithm per row count, so an FP8 row's values may depend on the batch.
 * Activations carry the type their producer writes:
 * <ul>
 *   <li>float32: the residual stream ({@link #embed}, {@link #addRmsNorm}: kept in float32 so 30-odd layers of
 *       adds do not round to bf16 each time), every {@link #linear} output (qkv, the projections, logits,
 *       and the chunked logits of {@link #lmHeadLogprobs}),
 *       and {@link #headRmsNorm} / {@link #rotary} in place on qkv;
 *   <li>bf16: what feeds a GEMM: {@link #rmsNorm} / {@link #addRmsNorm} outputs, {@link #attention} and
 *       {@link #siluMul} outputs, the gate/up product. {@link #linear} rounds a float32 input to bf16 first.
 * </ul>
 * So per layer the only roundings to bf16 are the GEMM inputs, the gate/up product and the cache, as in a bf16
 * model with float32 accumulation. Compared with the float32 {@link dev.flood.backend.cpu.CpuBackend}, relative
 * errors of about 1e-2 on logits are expected.
 *
 * <p>Per step: {@link #beginStep} takes the next of the step slots ({@link StepSlots}: workspace, pinned staging
 * and readback, drawn-token buffer, end event; {@link #prepareSteps} makes one per step in flight), waits only for
 * the step that used that slot last, and uploads the batch's arrays once (pinned memory, one asynchronous copy);
 * each op then launches kernels without waiting. {@link #launchOutputs} queues sampling and log-probabilities,
 * and scoring's chunked lm_head in the slot's workspace, with asynchronous copies of the results into the slot's
 * pinned readback, and {@link #endStep} records the slot's end event, so the thread running steps never waits for
 * a step's results. Only {@link #toHost} and the synchronous {@link #sample}, {@link #logprobs} and
 * {@link #lmHeadLogprobs} wait for the device. A CUDA error fails the call that
 * observes it with the error's name.
 *
 * <p>Decode-only steps may run as CUDA graphs ({@link DecodeGraphs}): from the end of {@link #beginStep} the
 * ops' launches are captured, and the first call that needs the forward pass done (the outputs, a hand-off,
 * {@link #endStep}, or any read) launches the captured graph; results are the same as eager.
 *
 * <p>Threads: one thread at a time runs steps (each call makes the context current on its thread); a pending
 * output's {@code await} runs on the engine thread and only waits on the slot's end event and reads its readback.
 *
 * <p>Why this file is long (over 600 lines): it is the one place that implements {@link Backend}'s forty-odd ops
 * for the GPU, and each is a few lines that bind the device, check shapes and hand over to the component that owns
 * the work (kernels, cuBLAS, attention, MoE, outputs, graphs, FP8). Splitting the ops over several classes would
 * split one interface's implementation, not two concepts.
 */
public final class CudaBackend implements Backend {

    private final CudaDevice device;
    private final Kernels kernels;
    private final Blas blas;
    private final StepSlots slots;
    private final WeightUploader weights;
    private final DeviceSampling sampling;
    private final LmHeadLogprobs lmHeadLogprobs;
    private final DeviceOutputs outputs;
    private final SegmentAttention segmentAttention;
    private final CudaMoe moe;
    private KvCache cache;
    private final RotaryCache rotaryCache;
    private final Fp8Linear fp8;
    private final LinearProducts linears;
    private final DecodeGraphs graphs;
    private StepMetadata step;

    private CudaBackend(CudaDevice device, Options options) {
        this.device = device;
        this.kernels = new Kernels(device, options.checking());
        this.blas = new Blas(device);
        this.slots = new StepSlots(device);
        this.weights = new WeightUploader(device);
        GpuSampler gpuSampler = new GpuSampler(device, kernels);
        this.sampling = new DeviceSampling(gpuSampler, this);
        this.lmHeadLogprobs = new LmHeadLogprobs(device, kernels, blas, LmHeadLogprobs.DEFAULT_CHUNK_BYTES);
        this.outputs = new DeviceOutputs(this, gpuSampler, lmHeadLogprobs, kernels);
        this.segmentAttention = new SegmentAttention(kernels, options.prefillKernel());
        this.moe = new CudaMoe(kernels);
        this.rotaryCache = new RotaryCache(kernels, weights);
        this.fp8 = new Fp8Linear(device, kernels, weights, options.quantization());
        this.linears = new LinearProducts(kernels, blas, fp8, slots);
        this.graphs = new DecodeGraphs(device,
                options.checking() == LaunchChecking.SYNCHRONOUS ? CudaGraphs.OFF : options.graphs());
    }

    /**
     * How a backend is opened: launch checking, the prefill attention kernel, how linear weights are held, and
     * whether decode steps run as CUDA graphs (never with synchronous checking, which waits after every launch).
     */
    record Options(LaunchChecking checking, PrefillKernel prefillKernel, Quantization quantization,
                   CudaGraphs graphs) {

        static final Options DEFAULT = new Options(LaunchChecking.ASYNC, PrefillKernel.FASTEST, Quantization.AUTO,
                CudaGraphs.OFF);
    }

    /** Opens GPU {@code ordinal}; fails with the reason when the CUDA backend cannot run on this machine. */
    public static CudaBackend open(int ordinal) {
        return open(ordinal, Options.DEFAULT);
    }

    /**
     * Opens the device of pipeline stage {@code stage} with the configuration's quantization and CUDA graphs. Graphs
     * run on the first stage only (later stages begin each step by waiting for the activations another stream
     * hands them, which a capture cannot hold), and only on a GPU no other stage shares (a capture on one stream
     * of a context fails when another thread uses the context's legacy stream meanwhile).
     */
    public static CudaBackend open(EngineConfig config, int stage) {
        int ordinal = config.devices().get(stage);
        boolean graphsFit = stage == 0 && Collections.frequency(config.devices(), ordinal) == 1;
        return open(ordinal, new Options(LaunchChecking.ASYNC, PrefillKernel.FASTEST, config.quantization(),
                graphsFit ? config.cudaGraphs() : CudaGraphs.OFF));
    }

    /** As {@link #open(int)}; {@link LaunchChecking#SYNCHRONOUS} makes a fault name the kernel (tests, debugging). */
    public static CudaBackend open(int ordinal, LaunchChecking checking) {
        return open(ordinal, new Options(checking, PrefillKernel.FASTEST, Quantization.AUTO, CudaGraphs.OFF));
    }

    /** As {@link #open(int, LaunchChecking)} with the prefill attention kernel chosen (tests, benchmarks). */
    static CudaBackend open(int ordinal, LaunchChecking checking, PrefillKernel prefillKernel) {
        return open(ordinal, new Options(checking, prefillKernel, Quantization.AUTO, CudaGraphs.OFF));
    }

    static CudaBackend open(int ordinal, Options options) {
        Kernels.fatbin();
        CudaDevice device = CudaDevice.open(ordinal);
        try {
            if (options.quantization() == Quantization.FP8) {
                Fp8Support.require(device.computeCapability(), device.name() + " (device " + ordinal + ")");
            }
            return new CudaBackend(device, options);
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return "cuda";
    }

    /** The name of GPU {@code ordinal}, e.g. {@code NVIDIA H200}, without opening a backend on it. */
    public static String gpuName(int ordinal) {
        return CudaDevice.name(ordinal);
    }

    /** The GPU's name and ordinal, e.g. {@code NVIDIA H200 (device 0)}. */
    public String deviceName() {
        return device.name() + " (device " + device.ordinal() + ")";
    }

    /** The GPU's compute capability, 10 x major + minor (90 for H100 and H200). */
    int computeCapability() {
        return device.computeCapability();
    }

    /** The GPU's streaming multiprocessors (132 on H100 SXM and H200): a persistent kernel's most blocks. */
    int multiprocessors() {
        return device.multiprocessors();
    }

    /** Waits until every launched kernel has finished (benchmarks timing a step). */
    void synchronize(String what) {
        device.bind();
        device.synchronize(what);
    }

    /** The prefill attention variant this backend launches for a model of {@code headDim}. */
    AttentionVariant prefillVariant(int headDim) {
        return segmentAttention.prefillVariant(headDim);
    }

    @Override
    public Weight loadMatrix(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols) {
        device.bind();
        return weights.matrix(source, names, rowsPerPart, cols);
    }

    /** In FP8 where {@link Fp8Linear#load} says so, else bf16 as {@link #loadMatrix}. */
    @Override
    public Weight loadLinear(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols) {
        device.bind();
        Fp8Weight quantized = fp8.load(source, names, rowsPerPart, cols);
        return quantized != null ? quantized : weights.matrix(source, names, rowsPerPart, cols);
    }

    @Override
    public Weight loadVector(WeightSource source, List<String> names, List<Integer> lengths) {
        device.bind();
        return weights.vector(source, names, lengths);
    }

    /** Chosen by {@link GpuStepLimits} from the memory free now, after the weights. */
    @Override
    public StepLimits automaticStepLimits(ModelConfig model) {
        device.bind();
        return GpuStepLimits.choose(model, device.freeBytes());
    }

    /**
     * One step slot per step in flight, each with a workspace reserved for a step of {@code maxBatchTokens} and
     * room for that many drawn tokens.
     */
    @Override
    public void prepareSteps(ModelConfig model, EngineConfig config) {
        device.bind();
        graphs.finish();
        slots.prepare(config.maxStepsInFlight(), StepMemory.workspaceBytes(model, config.maxBatchTokens(),
                config.maxRunningRequests()) + fp8.scratchBytes(config.maxBatchTokens()), config.maxBatchTokens());
    }

    /** Sizes the cache of {@code cacheLayers} layers to 90% of the memory still free, capped at what the running
     * requests could use. */
    @Override
    public int suggestCacheTokens(int cacheLayers, ModelConfig model, EngineConfig config) {
        device.bind();
        long perToken = KvCache.bytesPerToken(cacheLayers, model.kvSize());
        long free = device.freeBytes();
        long byMemory = free / 10 * 9 / perToken;
        long byUse = (long) config.maxRunningRequests() * model.maxPositions();
        long needed = Math.min(byUse, config.maxBatchTokens());
        if (byMemory < needed) {
            throw new OutOfDeviceMemoryException(String.format("not enough GPU memory for a KV cache on %s: %.2f GiB"
                    + " free after %.2f GiB of weights and %.2f GiB of step workspace hold %d tokens, fewer than one"
                    + " step's %d; lower maxBatchTokens or use a GPU with more memory", deviceName(), free / (double) (1L << 30),
                    weights.bytes() / (double) (1L << 30), slots.workspaceBytes() / (double) (1L << 30),
                    byMemory, needed));
        }
        return (int) Math.min(Math.min(byMemory, byUse), Integer.MAX_VALUE);
    }

    @Override
    public void allocateCache(int numLayers, int capacityTokens, int kvSize) {
        device.bind();
        graphs.finish();
        if (cache != null) {
            device.synchronize("replacing the KV cache");
            cache.close();
            cache = null;
        }
        cache = KvCache.allocate(device, numLayers, capacityTokens, kvSize);
    }

    /**
     * Checks the batch, then starts it on the next step slot (see the class comment) and uploads its arrays; a
     * decode-only step's launches are captured from here on ({@link DecodeGraphs}).
     */
    @Override
    public void beginStep(ForwardBatch batch) {
        device.bind();
        graphs.finish();
        StepChecks.check(batch, cache);
        StepSlot slot = slots.begin();
        device.notePeak();
        step = StepMetadata.upload(batch, slot.staging, slot.workspace);
        segmentAttention.beginStep(slot);
        outputs.beginStep();
        fp8.beginStep(slot.workspace);
        graphs.begin(batch);
    }

    /** Launches the step's graph if it was captured, then marks the step's end. */
    @Override
    public void endStep() {
        device.bind();
        try {
            graphs.finish();
        } finally {
            slots.end();
        }
    }

    /** What CUDA graphs have done so far (tests and benchmarks). */
    DecodeGraphs.Stats graphStats() {
        return graphs.stats();
    }

    @Override
    public List<StepTime> drainStepTimes() {
        device.bind();
        return slots.drainTimes();
    }

    /** The step's metadata, failing if {@link #beginStep} was not called with this batch. */
    private StepMetadata step(ForwardBatch batch) {
        if (step == null || step.batch() != batch) {
            throw new IllegalStateException("beginStep was not called with this batch");
        }
        return step;
    }

    @Override
    public Tensor allocate(int rows, int cols) {
        return new CudaTensor(slots.current().workspace.take((long) rows * cols * Float.BYTES, "activation [" + rows
                + ", " + cols + "]"), rows, cols);
    }

    @Override
    public void embed(Weight table, ForwardBatch batch, Tensor out) {
        CudaWeight t = CudaWeight.of(table).require(DType.BF16, "embed");
        CudaTensor o = CudaTensor.of(out);
        StepChecks.tokenIds(batch, t.rows());
        StepChecks.shape("embed", o, batch.numTokens(), t.cols());
        long tokenIds = outputs.resolveDeferred(batch, step(batch).tokenIds(), t.rows(), slots.current());
        kernels.embedding(t.address(), tokenIds, o.address(), batch.numTokens(), t.cols());
        o.written(DType.F32);
    }

    @Override
    public void rmsNorm(Tensor x, Weight weight, float eps, Tensor out) {
        CudaTensor in = CudaTensor.of(x).require(DType.F32, "rmsNorm");
        CudaTensor o = CudaTensor.of(out);
        CudaWeight w = CudaWeight.of(weight).require(DType.F32, "rmsNorm");
        StepChecks.shape("rmsNorm", o, in.rows(), in.cols());
        StepChecks.vector("rmsNorm", w, in.cols());
        kernels.rmsNorm(in.address(), w.address(), eps, o.address(), in.rows(), in.cols());
        o.written(DType.BF16);
    }

    @Override
    public void addRmsNorm(Tensor residual, Tensor x, Weight weight, float eps, Tensor out) {
        CudaTensor res = CudaTensor.of(residual).require(DType.F32, "addRmsNorm residual");
        CudaTensor add = CudaTensor.of(x).require(DType.F32, "addRmsNorm");
        CudaTensor o = CudaTensor.of(out);
        CudaWeight w = CudaWeight.of(weight).require(DType.F32, "addRmsNorm");
        StepChecks.shape("addRmsNorm x", add, res.rows(), res.cols());
        StepChecks.shape("addRmsNorm out", o, res.rows(), res.cols());
        StepChecks.vector("addRmsNorm", w, res.cols());
        kernels.addRmsNorm(res.address(), add.address(), w.address(), eps, o.address(), res.rows(), res.cols());
        o.written(DType.BF16);
    }

    @Override
    public void linear(Tensor x, Weight weight, Weight bias, Tensor out) {
        linears.run(CudaTensor.of(x), weight, bias, CudaTensor.of(out), DType.F32);
    }

    /** The gate/up product in bf16, as a bf16 model rounds it (FP8 weights write float32, as in {@link #linear}). */
    @Override
    public void linearForActivation(Tensor x, Weight weight, Tensor out) {
        linears.run(CudaTensor.of(x), weight, null, CudaTensor.of(out), DType.BF16);
    }

    /** See {@link LinearProducts#runAdding}: the product added in the GEMM's epilogue where it can be. */
    @Override
    public void linearAdd(Tensor x, Weight weight, Weight bias, Tensor scratch, Tensor residual) {
        linears.runAdding(CudaTensor.of(x), weight, bias, CudaTensor.of(scratch), CudaTensor.of(residual));
    }

    @Override
    public void headRmsNorm(Tensor x, HeadSpan heads, Weight weight, float eps) {
        CudaTensor t = CudaTensor.of(x).require(DType.F32, "headRmsNorm");
        CudaWeight w = CudaWeight.of(weight).require(DType.F32, "headRmsNorm");
        StepChecks.vector("headRmsNorm", w, heads.headDim());
        if (heads.firstColumn() + heads.numHeads() * heads.headDim() > t.cols()) {
            throw new IllegalArgumentException("headRmsNorm: " + heads + " exceeds " + t.cols() + " columns");
        }
        kernels.headRmsNorm(t.address(), t.cols(), heads.firstColumn(), heads.numHeads(), heads.headDim(),
                w.address(), eps, t.rows());
    }

    @Override
    public void rotary(Tensor qkv, AttentionShape shape, RotaryTable rotary, ForwardBatch batch) {
        rotaryCache.rotate(CudaTensor.of(qkv), shape, rotary, step(batch));
    }

    /** One launch for both ({@link RotaryCache}). */
    @Override
    public void rotaryWriteCache(int layer, Tensor qkv, AttentionShape shape, RotaryTable rotary, ForwardBatch batch) {
        requireCache().check(layer, shape.kvSize());
        rotaryCache.rotateAndWrite(CudaTensor.of(qkv), shape, rotary, step(batch),
                new RotaryCache.KvLayer(cache.keys(layer), cache.values(layer)));
    }

    @Override
    public void writeCache(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch) {
        CudaTensor t = CudaTensor.of(qkv).require(DType.F32, "writeCache");
        StepChecks.shape("writeCache", t, batch.numTokens(), shape.qkvWidth());
        requireCache().check(layer, shape.kvSize());
        kernels.cacheWrite(t.address(), t.cols(), t.rows(), shape.kColumn(), shape.vColumn(), shape.kvSize(),
                step(batch).slotMapping(), cache.keys(layer), cache.values(layer));
    }

    @Override
    public void attention(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch, Tensor out) {
        CudaTensor t = CudaTensor.of(qkv).require(DType.F32, "attention");
        CudaTensor o = CudaTensor.of(out);
        StepChecks.shape("attention qkv", t, batch.numTokens(), shape.qkvWidth());
        StepChecks.shape("attention out", o, batch.numTokens(), shape.qSize());
        requireCache().check(layer, shape.kvSize());
        segmentAttention.run(new SegmentAttention.Call(layer, t, shape, step(batch), o), cache);
        o.written(DType.BF16);
    }

    @Override
    public void siluMul(Tensor gateUp, Tensor out) {
        CudaTensor in = CudaTensor.of(gateUp);
        if (in.dtype() != DType.BF16) {
            in.require(DType.F32, "siluMul");
        }
        CudaTensor o = CudaTensor.of(out);
        StepChecks.shape("siluMul", o, in.rows(), in.cols() / 2);
        kernels.siluMul(in.address(), in.dtype(), o.address(), in.rows(), o.cols());
        o.written(DType.BF16);
    }

    /** On the device; see {@link CudaMoe}. */
    @Override
    public ExpertRouting routeExperts(Tensor routerLogits, RouterSpec spec) {
        return moe.route(CudaTensor.of(routerLogits), spec, slots.current().workspace);
    }

    @Override
    public void expertLinear(Tensor x, ExpertRouting routing, Weight experts, Tensor out) {
        moe.linear(CudaTensor.of(x), CudaMoe.Routing.of(routing), CudaWeight.of(experts), CudaTensor.of(out),
                slots.current().workspace);
    }

    @Override
    public void combineExperts(Tensor expertOut, ExpertRouting routing, Tensor out) {
        moe.combine(CudaTensor.of(expertOut), CudaMoe.Routing.of(routing), CudaTensor.of(out));
    }

    @Override
    public Tensor gatherRows(Tensor x, int[] rows) {
        CudaTensor in = CudaTensor.of(x);
        if (in.dtype() == null) {
            throw new IllegalArgumentException("gatherRows of a tensor nothing has written");
        }
        for (int row : rows) {
            if (row < 0 || row >= in.rows()) {
                throw new IllegalArgumentException("gatherRows: row " + row + " outside [0, " + in.rows() + ")");
            }
        }
        if (isEveryRowInOrder(rows, in.rows())) {
            return in;
        }
        CudaTensor o = (CudaTensor) allocate(rows.length, in.cols());
        long rowList = step != null && rows == step.batch().logitRows() ? step.logitRows()
                : slots.current().staging.upload(slots.current().workspace, rows)[0].address();
        int unitsPerValue = in.dtype() == DType.F32 ? 2 : 1;
        kernels.gatherRows(in.address(), rowList, o.address(), rows.length, in.cols() * unitsPerValue);
        return o.written(in.dtype());
    }

    private static boolean isEveryRowInOrder(int[] rows, int numRows) {
        if (rows.length != numRows) {
            return false;
        }
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] != i) {
                return false;
            }
        }
        return true;
    }

    @Override
    public float[] toHost(Tensor x) {
        device.bind();
        graphs.finish();
        CudaTensor t = CudaTensor.of(x);
        int count = Math.multiplyExact(t.rows(), t.cols());
        float[] values = new float[count];
        if (t.dtype() == DType.F32) {
            device.copyToHost(Pointer.to(values), t.memory(), 4L * count);
        } else {
            t.require(DType.BF16, "toHost");
            short[] bits = new short[count];
            device.copyToHost(Pointer.to(bits), t.memory(), 2L * count);
            for (int i = 0; i < count; i++) {
                values[i] = Float.intBitsToFloat(bits[i] << 16);
            }
        }
        return values;
    }

    /** Samples on the GPU where the kernel applies, and waits; see {@link DeviceSampling}. */
    @Override
    public int[] sample(Tensor logits, List<SamplingState> states) {
        device.bind();
        graphs.finish();
        return sampling.sample(CudaTensor.of(logits).require(DType.F32, "sample"), states, slots.current());
    }

    @Override
    public List<RowLogprobs> logprobs(Tensor logits, int[] chosenTokens, int topN) {
        device.bind();
        graphs.finish();
        return sampling.logprobs(CudaTensor.of(logits).require(DType.F32, "logprobs"), chosenTokens, topN,
                slots.current());
    }

    /** In chunks of {@link LmHeadLogprobs#DEFAULT_CHUNK_BYTES} of logits, and waits; see {@link LmHeadLogprobs}. */
    @Override
    public List<RowLogprobs> lmHeadLogprobs(Tensor hidden, Weight lmHead, ScoredRows rows) {
        device.bind();
        graphs.finish();
        return lmHeadLogprobs.run(CudaTensor.of(hidden), CudaWeight.of(lmHead), rows, slots.current());
    }

    /** {@link #lmHeadLogprobs} with chunks of at most {@code chunkBytes} of logits (tests and benchmarks). */
    List<RowLogprobs> lmHeadLogprobs(Tensor hidden, Weight lmHead, ScoredRows rows, long chunkBytes) {
        device.bind();
        graphs.finish();
        return new LmHeadLogprobs(device, kernels, blas, chunkBytes)
                .run(CudaTensor.of(hidden), CudaWeight.of(lmHead), rows, slots.current());
    }

    /** Queues the step's outputs without waiting; see {@link DeviceOutputs}. */
    @Override
    public PendingOutputs launchOutputs(StepHead head, OutputSpec spec) {
        device.bind();
        graphs.finish();
        return outputs.launch(head, spec, slots.current(), slots.currentUse());
    }

    /** See {@link ActivationLink}. */
    @Override
    public Handoff handOff(List<Tensor> tensors) {
        device.bind();
        graphs.finish();
        return ActivationLink.send(device, tensors, slots.current());
    }

    /** See {@link ActivationLink}. */
    @Override
    public List<Tensor> receive(Handoff handoff) {
        device.bind();
        graphs.finish();
        return ActivationLink.receive(handoff, device, this);
    }

    /** A clock of CUDA events on this backend's stream, for {@link dev.flood.backend.profile.ProfilingBackend}. */
    public OpClock eventClock() {
        device.bind();
        return new CudaEventClock(device);
    }

    /** Measures the copy bandwidth and GEMM rates ({@link CeilingProbe}); before the cache takes the memory. */
    public Ceilings measureCeilings() {
        device.bind();
        graphs.finish();
        device.synchronize("measuring ceilings");
        return new CeilingProbe(device, kernels, blas, fp8).measure();
    }

    /** Fills the KV cache with random values, so that a benchmark step may attend to slots no step wrote. */
    public void fillCacheUniform(long seed) {
        device.bind();
        graphs.finish();
        requireCache().fillUniform(kernels, seed);
    }

    @Override
    public long peakDeviceMemoryBytes() {
        return device.peakUsedBytes();
    }

    /** Where this backend's device memory goes, and the device's peak use so far (for benchmarks). */
    public CudaMemoryReport memory() {
        device.bind();
        device.notePeak();
        return new CudaMemoryReport(weights.bytes(), cache == null ? 0 : cache.bytes(), slots.workspaceBytes(),
                slots.peakStepBytes(), device.peakUsedBytes(), device.totalBytes());
    }

    /** Layer {@code layer}'s key slab, then its value slab, widened to float32 (tests and debugging). */
    float[][] cacheToHost(int layer) {
        device.bind();
        graphs.finish();
        KvCache kv = requireCache();
        kv.check(layer, kv.kvSize());
        long values = (long) kv.capacityTokens() * kv.kvSize();
        float[][] slabs = new float[2][];
        for (int s = 0; s < 2; s++) {
            short[] bits = new short[Math.toIntExact(values)];
            DeviceAllocation slab = s == 0 ? kv.keySlab(layer) : kv.valueSlab(layer);
            device.copyToHost(Pointer.to(bits), slab.whole(), 2 * values);
            slabs[s] = new float[bits.length];
            for (int i = 0; i < bits.length; i++) {
                slabs[s][i] = Float.intBitsToFloat(bits[i] << 16);
            }
        }
        return slabs;
    }

    private KvCache requireCache() {
        if (cache == null) {
            throw new IllegalStateException("allocateCache was not called");
        }
        return cache;
    }

    /**
     * Frees everything. Each part is released even when an earlier one fails (after a fault the context refuses
     * every call); the first failure is rethrown at the end.
     */
    @Override
    public void close() {
        List<Runnable> steps = new ArrayList<>(List.of(device::bind, graphs::close,
                () -> device.synchronize("closing the backend")));
        if (cache != null) {
            steps.add(cache::close);
        }
        steps.addAll(List.of(weights::close, slots::close, fp8::close, blas::close, kernels::close, device::close));
        RuntimeException first = null;
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
