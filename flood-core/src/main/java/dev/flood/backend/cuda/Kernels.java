package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.check;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import dev.flood.api.FloodException;
import dev.flood.weights.DType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;

/**
 * The one place the Java side knows Flood's kernels (kernels/src/flood.cu): their names, parameters in order, and
 * launch shapes. Each method launches one kernel on the backend's stream; pointers are raw device addresses.
 */
final class Kernels implements AutoCloseable {

    /** The fatbin that the flood-kernels module builds with nvcc (absent when it was built without nvcc). */
    static final String FATBIN_RESOURCE = "/dev/flood/kernels/flood.fatbin";

    /** Most extents per request the attention kernel holds (kMaxExtents in segment_attention.cuh). */
    static final int MAX_EXTENTS = 16;

    /** Head dims the attention kernels are compiled for. */
    static final int[] HEAD_DIMS = {16, 32, 64, 128};

    private static final int ROW_BLOCK = 256;
    private static final int SAMPLING_BLOCK = 512;

    private final CudaDevice device;
    private final LaunchChecking checking;
    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new HashMap<>();

    Kernels(CudaDevice device, LaunchChecking checking) {
        this.device = device;
        this.checking = checking;
        check(cuModuleLoadData(module, fatbin()), "cuModuleLoadData of " + FATBIN_RESOURCE);
        for (AttentionVariant variant : AttentionVariant.values()) {
            for (int headDim : HEAD_DIMS) {
                if (!variant.runsOn(device.computeCapability(), headDim)) {
                    continue;
                }
                check(cuFuncSetAttribute(function(variant.kernelName(headDim)),
                        CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                        variant.sharedBytes(headDim)), "cuFuncSetAttribute " + variant.kernelName(headDim));
            }
        }
    }

    /** The fatbin's bytes; says plainly that the CUDA backend is unavailable when the build had no nvcc. */
    static byte[] fatbin() {
        try (InputStream in = Kernels.class.getResourceAsStream(FATBIN_RESOURCE)) {
            if (in == null) {
                throw new FloodException("the CUDA backend is unavailable: this build of Flood has no CUDA kernels ("
                        + FATBIN_RESOURCE + " is missing because nvcc was not found when flood-kernels was built);"
                        + " rebuild on a machine with the CUDA toolkit, or use backend 'cpu'");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + FATBIN_RESOURCE, e);
        }
    }

    /** The device's compute capability, 10 x major + minor (90 for Hopper). */
    int computeCapability() {
        return device.computeCapability();
    }

    private CUfunction function(String name) {
        return functions.computeIfAbsent(name, n -> {
            CUfunction f = new CUfunction();
            check(cuModuleGetFunction(f, module, n), "cuModuleGetFunction " + n);
            return f;
        });
    }

    /**
     * Lets {@code name} use up to {@code bytes} of dynamic shared memory (above 48 KB a kernel must ask); for the
     * kernel families whose launchers live beside this class (MoeKernels).
     */
    void allowSharedBytes(String name, int bytes) {
        check(cuFuncSetAttribute(function(name), CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                bytes), "cuFuncSetAttribute " + name);
    }

    /**
     * Launches {@code name} on a {@code gridX x gridY} grid; arguments are Long (pointers), Integer, Float. Package
     * access for the kernel families whose launchers live beside this class (MoeKernels).
     */
    void launch(String name, int gridX, int gridY, int block, int sharedBytes, Object... args) {
        if (gridX == 0 || gridY == 0) {
            return;
        }
        Pointer[] pointers = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            if (args[i] instanceof Long value) {
                pointers[i] = Pointer.to(new long[] {value});
            } else if (args[i] instanceof Integer value) {
                pointers[i] = Pointer.to(new int[] {value});
            } else if (args[i] instanceof Float value) {
                pointers[i] = Pointer.to(new float[] {value});
            } else {
                throw new IllegalArgumentException("kernel argument " + args[i] + " of " + name);
            }
        }
        check(cuLaunchKernel(function(name), gridX, gridY, 1, block, 1, 1, sharedBytes, device.stream(),
                Pointer.to(pointers), null), "launching " + name);
        if (checking == LaunchChecking.SYNCHRONOUS) {
            device.synchronize(name);
        }
    }

    void embedding(long table, long tokenIds, long out, int rows, int width) {
        launch("flood_embedding", rows, 1, ROW_BLOCK, 0, table, tokenIds, out, width);
    }

    /** In place on {@code tokenIds [rows]}: rows with {@code sources[t] >= 0} take {@code drawn[sources[t]]}. */
    void resolveTokens(long tokenIds, long sources, long drawn, int rows, int vocab) {
        launch("flood_resolve_tokens", (rows + ROW_BLOCK - 1) / ROW_BLOCK, 1, ROW_BLOCK, 0, tokenIds, sources, drawn,
                rows, vocab);
    }

    void rmsNorm(long x, long weight, float eps, long out, int rows, int width) {
        launch("flood_rms_norm", rows, 1, ROW_BLOCK, 0, x, weight, eps, out, width);
    }

    void addRmsNorm(long residual, long x, long weight, float eps, long out, int rows, int width) {
        launch("flood_add_rms_norm", rows, 1, ROW_BLOCK, 0, residual, x, weight, eps, out, width);
    }

    /** One warp per (row, head), four warps per block. */
    void headRmsNorm(long x, int stride, int firstColumn, int numHeads, int headDim, long weight, float eps, int rows) {
        int warpsPerBlock = 4;
        int items = rows * numHeads;
        launch("flood_head_rms_norm", (items + warpsPerBlock - 1) / warpsPerBlock, 1, 32 * warpsPerBlock, 0,
                x, stride, firstColumn, numHeads, headDim, weight, eps, rows);
    }

    void rotary(long qkv, int stride, int rows, int numRotatedHeads, int headDim, long positions, long cos, long sin) {
        launch("flood_rotary", rows, 1, ROW_BLOCK, 0, qkv, stride, numRotatedHeads, headDim, positions, cos, sin);
    }

    void cacheWrite(long qkv, int stride, int rows, int kColumn, int vColumn, int kvSize, long slotMapping,
                    long keyCache, long valueCache) {
        launch("flood_cache_write", rows, 1, ROW_BLOCK, 0, qkv, stride, kColumn, vColumn, kvSize, slotMapping,
                keyCache, valueCache);
    }

    /**
     * {@code gateUp [rows, 2 * width]} float32 or bf16 ({@code gateUpType}); out {@code [rows, width]} bf16. One
     * thread per 4 outputs (1 when the width is not a multiple of 4) over all rows.
     */
    void siluMul(long gateUp, DType gateUpType, long out, int rows, int width) {
        long threads = (long) rows * (width % 4 == 0 ? width / 4 : width);
        launch(gateUpType == DType.BF16 ? "flood_silu_mul_bf16" : "flood_silu_mul", blocks(threads), 1, ROW_BLOCK, 0,
                gateUp, out, rows, width);
    }

    /** One block per token: rotary on its query and key heads, keys and values to their cache slot. */
    void rotaryCacheWrite(RotaryCacheWrite call, int rows) {
        launch("flood_rotary_cache_write", rows, 1, ROW_BLOCK, 0, call.qkv(), call.stride(), call.numHeads(),
                call.numKvHeads(), call.headDim(), call.positions(), call.cos(), call.sin(), call.slotMapping(),
                call.keyCache(), call.valueCache());
    }

    /** {@link #rotaryCacheWrite}'s arguments: device addresses and the attention shape. */
    record RotaryCacheWrite(long qkv, int stride, int numHeads, int numKvHeads, int headDim, long positions, long cos,
                            long sin, long slotMapping, long keyCache, long valueCache) {
    }

    void addBias(long out, long bias, int rows, int cols) {
        launch("flood_add_bias", rows, 1, ROW_BLOCK, 0, out, bias, cols);
    }

    /** {@code out += in}, both float32 {@code [count]}. */
    void addF32(long out, long in, long count) {
        launch("flood_add_f32", gridStrideBlocks(count), 1, ROW_BLOCK, 0, out, in, count);
    }

    void toBf16(long in, long out, long count) {
        launch("flood_to_bf16", blocks(count), 1, ROW_BLOCK, 0, in, out, count);
    }

    /** Blocks of {@link #ROW_BLOCK} threads for one thread per item. */
    private static int blocks(long items) {
        long blocks = (items + ROW_BLOCK - 1) / ROW_BLOCK;
        if (blocks > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(items + " items are too many for one launch");
        }
        return (int) blocks;
    }

    /** Blocks of {@link #ROW_BLOCK} threads for a grid-stride loop over {@code items}: one per item, at most 65,536. */
    private static int gridStrideBlocks(long items) {
        return (int) Math.min(65_536, (items + ROW_BLOCK - 1) / ROW_BLOCK);
    }

    /** Per-row FP8 quantization of bf16 {@code x [rows, cols]}: codes {@code [rows, cols]}, scales {@code [rows]}. */
    void quantizeFp8Rows(long x, int rows, int cols, long codes, long scales) {
        launch("flood_quantize_fp8_rows", rows, 1, ROW_BLOCK, 0, x, cols, codes, scales);
    }

    /**
     * FP8 quantization of bf16 {@code x [rows, cols]} per row and 128-column group ({@code cols % 128 == 0}):
     * codes {@code [rows, cols]}, scales {@code [cols / 128, rows]}.
     */
    void quantizeFp8Groups(long x, int rows, int cols, long codes, long scales) {
        launch("flood_quantize_fp8_groups", rows, 1, ROW_BLOCK, 0, x, rows, cols, codes, scales);
    }

    /**
     * FP8 quantization of a bf16 weight {@code [rows, cols]} (multiples of 128) in 128 x 128 blocks: codes
     * {@code [rows, cols]}, scales {@code [rows / 128, scaleStride]}.
     */
    void quantizeFp8Blocks(long w, int rows, int cols, long codes, long scales, int scaleStride) {
        launch("flood_quantize_fp8_blocks", cols / 128, rows / 128, ROW_BLOCK, 0, w, cols, codes, scales, scaleStride);
    }

    void widenBf16(long in, long out, long count) {
        launch("flood_widen_bf16", gridStrideBlocks(count), 1, ROW_BLOCK, 0, in, out, count);
    }

    /** Rows of {@code rowUnits} 16-bit units: a bf16 row of n columns is n units, a float32 row 2n. */
    void gatherRows(long in, long rows, long out, int numRows, int rowUnits) {
        launch("flood_gather_rows", numRows, 1, ROW_BLOCK, 0, in, rows, out, rowUnits);
    }

    /**
     * Fills {@code count} values (bf16 or float32) with deterministic uniform random numbers in [low, high), on a
     * grid-stride loop: benchmark data that is never zeros.
     */
    void fillUniform(long out, long count, DType type, long seed, float low, float high) {
        String name = switch (type) {
            case BF16 -> "flood_fill_uniform_bf16";
            case F32 -> "flood_fill_uniform_f32";
            case F16, F8_E4M3 -> throw new IllegalArgumentException("no " + type + " fill");
        };
        launch(name, gridStrideBlocks(count), 1, ROW_BLOCK, 0, out, count, seed, low, high);
    }

    /**
     * Segment attention over {@code numWork} work items (int[8] each, at {@code work}) of one variant; arguments
     * in AttentionArgs order, the sliding window last. grid: [numWork, numKvHeads]; a persistent variant: [min(numWork x numKvHeads,
     * multiprocessors)], with numWork and numKvHeads as two more arguments.
     */
    void attention(AttentionVariant variant, AttentionLaunch launch, long work, int numWork) {
        int headDim = launch.headDim();
        if (!variant.runsOn(device.computeCapability(), headDim)) {
            throw new IllegalArgumentException("attention variant " + variant + " does not run on compute capability "
                    + device.computeCapability() + " with head dim " + headDim);
        }
        StepMetadata metadata = launch.metadata();
        Object[] args = {launch.qkv(), launch.qkvStride(), launch.keyCache(), launch.valueCache(), launch.kvSize(),
            launch.group(), launch.scaleLog2(), metadata.cuSeqlensQ(), metadata.contextLens(), metadata.cuExtents(),
            metadata.extentStarts(), metadata.extentLengths(), work, launch.out(), launch.outStride(),
            launch.partialOut(), launch.partialMaxSum(), launch.slidingWindow()};
        if (variant.persistent()) {
            int blocks = (int) Math.min((long) numWork * launch.numKvHeads(), device.multiprocessors());
            Object[] persistentArgs = java.util.Arrays.copyOf(args, args.length + 2);
            persistentArgs[args.length] = numWork;
            persistentArgs[args.length + 1] = launch.numKvHeads();
            launch(variant.kernelName(headDim), blocks, 1, variant.threads(), variant.sharedBytes(headDim),
                    persistentArgs);
        } else {
            launch(variant.kernelName(headDim), numWork, launch.numKvHeads(), variant.threads(),
                    variant.sharedBytes(headDim), args);
        }
    }

    /** Combines KV splits: {@code numMerges} merge items (int[8] each, at {@code merges}). grid: [numMerges, numKvHeads]. */
    void attentionMerge(AttentionLaunch launch, long merges, int numMerges) {
        launch("flood_attention_merge", numMerges, launch.numKvHeads(), 128, 0, merges,
                launch.metadata().cuSeqlensQ(), launch.group(), launch.headDim(), launch.partialOut(),
                launch.partialMaxSum(), launch.out(), launch.outStride());
    }

    /** {@code masks}: [numMasks, maskWords] uint32 allowed-token bits, 0 (null) when no row has a mask. */
    void sampleRows(long logits, int vocab, long params, TokenMasks masks, long scratch, SampleOutputs outputs,
                    int rows) {
        launch("flood_sample_rows", rows, 1, SAMPLING_BLOCK, 0, logits, vocab, params, masks.address(),
                masks.words(), scratch, outputs.tokens(), outputs.status());
    }

    /** Device address and row width (in 32-bit words) of {@link #sampleRows}' masks. */
    record TokenMasks(long address, int words) {
    }

    /** Device addresses of {@link #sampleRows}' outputs: [rows] token ids and [rows] statuses. */
    record SampleOutputs(long tokens, long status) {
    }

    void tokenLogprobs(long logits, int vocab, long chosen, int topN, LogprobOutputs outputs, int rows) {
        launch("flood_token_logprobs", rows, 1, SAMPLING_BLOCK, 0, logits, vocab, chosen, topN,
                outputs.chosenLogprob(), outputs.topIds(), outputs.topLogprobs(), outputs.status());
    }

    /**
     * Scoring's log-softmax and target gather over a chunk of float32 logits rows, one pass per row
     * (log_softmax_gather.cuh). grid: [rows]; {@code targets} and the outputs start at the chunk's first row.
     */
    void logSoftmaxGather(long logits, int vocab, long targets, int topN, LogprobOutputs outputs, int rows) {
        launch("flood_log_softmax_gather", rows, 1, SAMPLING_BLOCK, 0, logits, vocab, targets, topN,
                outputs.chosenLogprob(), outputs.topIds(), outputs.topLogprobs(), outputs.status());
    }

    /** Device addresses of {@link #tokenLogprobs}' and {@link #logSoftmaxGather}'s outputs. */
    record LogprobOutputs(long chosenLogprob, long topIds, long topLogprobs, long status) {
    }

    @Override
    public void close() {
        check(cuModuleUnload(module), "cuModuleUnload");
    }
}
