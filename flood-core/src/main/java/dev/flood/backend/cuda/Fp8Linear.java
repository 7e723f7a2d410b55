package dev.flood.backend.cuda;

import dev.flood.api.EngineConfig.Quantization;
import dev.flood.weights.DType;
import dev.flood.weights.WeightSource;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Linear layers in FP8 on Hopper: which weights go FP8 ({@link #load}), and the product of one
 * ({@link #run}): the bf16 activations quantized per token (and per 128-column group for block-scaled weights) by
 * {@code kernels/src/quantize_fp8.cuh}, then {@link Fp8Gemm}. The quantized activations live in one scratch area
 * per step, taken from the step's workspace (its step slot's) at the step's first FP8 product and reused by every
 * later one of the step (they run in stream order, each quantization after the previous product has read its
 * input); steps in flight on other slots have their own. A weight goes FP8 when
 * quantization is {@link Quantization#FP8}, or {@link Quantization#AUTO} with the checkpoint storing it in FP8 on a
 * GPU that runs FP8 ({@link Fp8Support}); and its sizes are multiples of 16 (cuBLASLt's FP8 alignment), else it
 * stays bf16. The cuBLASLt handle is made with the first FP8 weight.
 */
final class Fp8Linear implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Fp8Linear.class.getName());
    private static final int ALIGNMENT = 16;

    private final CudaDevice device;
    private final Kernels kernels;
    private final Fp8Uploader uploader;
    private final Quantization quantization;
    private Fp8Gemm gemm;
    private boolean toldBf16;
    private int maxCols;
    private int maxRows;
    private boolean anyBlocks;   // some weight is block-scaled: its products may run on padded rows
    private Workspace workspace;   // the current step's (its step slot's), from beginStep
    private DeviceSlice scratch;   // this step's activation codes, scales and staged output; null until used

    Fp8Linear(CudaDevice device, Kernels kernels, WeightUploader weights, Quantization quantization) {
        this.device = device;
        this.kernels = kernels;
        this.uploader = new Fp8Uploader(device, kernels, weights);
        this.quantization = quantization;
    }

    /** The weight in FP8, or null when it stays bf16 (the caller loads it so). */
    Fp8Weight load(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols) {
        boolean stored = source.loadFp8(names.get(0), rowsPerPart.get(0), cols).isPresent();
        boolean fp8 = switch (quantization) {
            case NONE -> false;
            case FP8 -> true;
            case AUTO -> stored && Fp8Support.available(device.computeCapability());
        };
        int rows = rowsPerPart.stream().mapToInt(Integer::intValue).sum();
        if (fp8 && (rows % ALIGNMENT != 0 || cols % ALIGNMENT != 0)) {
            tellBf16("weight " + names.get(0) + " [" + rows + ", " + cols + "] is not a multiple of " + ALIGNMENT
                    + " in both sizes, as cuBLASLt's FP8 products need; it runs in bf16");
            return null;
        }
        if (!fp8) {
            if (stored) {
                tellBf16("the checkpoint's FP8 weights are dequantized to bf16 (quantization " + quantization
                        + " on " + device.name() + ")");
            }
            return null;
        }
        if (gemm == null) {
            gemm = new Fp8Gemm(device);
        }
        maxCols = Math.max(maxCols, cols);
        maxRows = Math.max(maxRows, rows);
        Fp8Weight weight = uploader.load(source, names, rowsPerPart, cols);
        anyBlocks |= weight.layout() == Fp8Weight.Layout.BLOCK_128;
        return weight;
    }

    /** Takes the step's workspace (its step slot's, just emptied); the scratch area comes from it when needed. */
    void beginStep(Workspace stepWorkspace) {
        workspace = stepWorkspace;
        scratch = null;
    }

    /**
     * Workspace bytes one step of {@code tokens} tokens takes for FP8 products (0 without FP8 weights), for rows
     * padded as {@link Fp8Gemm#rowsToRun} may ask (to a multiple of 128 at most, with block-scaled weights): codes
     * of the widest input, their scales, the product where it cannot go straight to its output (bf16 to widen, or a
     * padded product), and the input padded with zero rows. Reserved up front, since a workspace that grows in a
     * step takes a block as large as its last, which the KV cache may have left no room for.
     */
    long scratchBytes(int tokens) {
        if (maxCols == 0) {
            return 0;
        }
        long rows = anyBlocks ? paddedRows(tokens) : tokens;
        return Layout.of(rows, maxCols, maxRows).bytes() + (anyBlocks ? rows * maxCols * 2 : 0);
    }

    /** Where the scratch area's parts start, for products of up to {@code rows} rows. */
    private record Layout(long codes, long scales, long product, long bytes) {

        static Layout of(long rows, int maxCols, int maxRows) {
            long codes = Workspace.roundUp(rows * maxCols, Workspace.ALIGNMENT);
            long scales = Workspace.roundUp(rows * Math.max(1, maxCols / Fp8Weight.BLOCK) * Float.BYTES,
                    Workspace.ALIGNMENT);
            long product = Workspace.roundUp(rows * maxRows * Float.BYTES, Workspace.ALIGNMENT);
            return new Layout(0, codes, codes + scales, codes + scales + product);
        }
    }

    /**
     * {@code out [m, n] = x [m, k] · weightᵀ (+ bias)}: x bf16 (float32 is rounded first), out float32.
     */
    void run(CudaTensor x, Fp8Weight weight, CudaWeight bias, CudaTensor out) {
        product(x, weight, bias, out, false);
    }

    /**
     * {@code out += x · weightᵀ}, out float32, the product added in the GEMM's epilogue: true when done so;
     * false where this product cannot be (its rows padded, its output bf16, or beta = 1 refused), and the caller
     * stages it instead (it may find the activations quantized already; they are quantized again).
     */
    boolean runAdding(CudaTensor x, Fp8Weight weight, CudaTensor out) {
        return product(x, weight, null, out, true);
    }

    private boolean product(CudaTensor x, Fp8Weight weight, CudaWeight bias, CudaTensor out, boolean adding) {
        int m = x.rows();
        int k = weight.cols();
        int n = weight.rows();
        if (x.cols() != k || out.rows() != m || out.cols() != n) {
            throw new IllegalArgumentException("linear: x [" + m + ", " + x.cols() + "] FP8 weight [" + n + ", " + k
                    + "] out [" + out.rows() + ", " + out.cols() + "]");
        }
        if (m == 0) {
            out.written(DType.F32);
            return true;
        }
        int capacity = anyBlocks ? paddedRows(m) : m;
        if (scratch == null || scratch.bytes() < scratchBytes(m)) {
            scratch = workspace.take(scratchBytes(m), "FP8 activations");
        }
        Layout layout = Layout.of(capacity, maxCols, maxRows);
        long codes = scratch.address() + layout.codes();
        long scales = scratch.address() + layout.scales();
        long product = scratch.address() + layout.product();
        Fp8Gemm.Operands operands = new Fp8Gemm.Operands(weight.codes().address(), weight.scales().address(), codes,
                scales, out.address());
        int rows = gemm.rowsToRun(new Fp8Gemm.Shape(m, n, k, weight.layout()), operands);
        Fp8Gemm.Shape shape = new Fp8Gemm.Shape(rows, n, k, weight.layout());
        DType type = gemm.outputType(shape, operands);
        boolean direct = rows == m && type == DType.F32;
        if (adding && !direct) {
            return false;
        }
        DeviceSlice input = x.memory();
        if (x.dtype() == DType.F32) {
            input = workspace.take((long) m * k * 2, "bf16 copy of an FP8 linear input");
            kernels.toBf16(x.address(), input.address(), (long) m * k);
        } else {
            x.require(DType.BF16, "linear");
        }
        if (rows != m) {
            input = withZeroRows(input, m, rows, k, scratch.slice(layout.bytes(), (long) rows * k * 2));
        }
        if (weight.layout() == Fp8Weight.Layout.BLOCK_128) {
            kernels.quantizeFp8Groups(input.address(), rows, k, codes, scales);
        } else {
            kernels.quantizeFp8Rows(input.address(), rows, k, codes, scales);
        }
        if (adding) {
            return gemm.runAdding(shape, operands);
        }
        if (direct) {
            gemm.run(shape, operands);
        } else {
            // bf16, or a padded product [rows, n]: to the scratch area, whose first m rows are the answer.
            gemm.run(shape, new Fp8Gemm.Operands(operands.weightCodes(), operands.weightScales(), codes, scales,
                    product));
            if (type == DType.F32) {
                long bytes = (long) m * n * Float.BYTES;
                device.copyFromAsync(out.memory(), device, scratch.slice(layout.product(), bytes), bytes);
            } else {
                kernels.widenBf16(product, out.address(), (long) m * n);
            }
        }
        if (bias != null) {
            CudaWeight b = bias.require(DType.F32, "linear bias");
            StepChecks.vector("linear bias", b, n);
            kernels.addBias(out.address(), b.address(), m, n);
        }
        out.written(DType.F32);
        return true;
    }

    /**
     * The FP8 product rate on random {@code size}³ operands ({@code size} a multiple of 512), with the scaling a
     * model's weights take here (128 x 128 blocks, activations per row and 128-column group) and float32 output,
     * timed by {@code medianSeconds}; 0 on a GPU without FP8 or where cuBLASLt has no float32 algorithm for it.
     */
    double flopsPerSecond(int size, ToDoubleFunction<Runnable> medianSeconds) {
        if (!Fp8Support.available(device.computeCapability())) {
            return 0;
        }
        if (gemm == null) {
            gemm = new Fp8Gemm(device);
        }
        long elements = (long) size * size;
        int blocks = size / Fp8Weight.BLOCK;
        DeviceAllocation bf16 = device.allocate(elements * 2, "FP8 probe values");
        DeviceAllocation weightCodes = device.allocate(elements, "FP8 probe weight");
        DeviceAllocation inputCodes = device.allocate(elements, "FP8 probe input");
        DeviceAllocation weightScales = device.allocate(
                (long) blocks * Fp8Weight.paddedColumnBlocks(size) * Float.BYTES, "FP8 probe weight scales");
        DeviceAllocation inputScales = device.allocate((long) blocks * size * Float.BYTES, "FP8 probe input scales");
        DeviceAllocation out = device.allocate(elements * Float.BYTES, "FP8 probe output");
        try {
            kernels.fillUniform(bf16.address(), elements, DType.BF16, 21, -1f, 1f);
            kernels.quantizeFp8Blocks(bf16.address(), size, size, weightCodes.address(), weightScales.address(),
                    Fp8Weight.paddedColumnBlocks(size));
            kernels.fillUniform(bf16.address(), elements, DType.BF16, 22, -1f, 1f);
            kernels.quantizeFp8Groups(bf16.address(), size, size, inputCodes.address(), inputScales.address());
            Fp8Gemm.Shape shape = new Fp8Gemm.Shape(size, size, size, Fp8Weight.Layout.BLOCK_128);
            Fp8Gemm.Operands operands = new Fp8Gemm.Operands(weightCodes.address(), weightScales.address(),
                    inputCodes.address(), inputScales.address(), out.address());
            if (gemm.outputType(shape, operands) != DType.F32) {
                return 0;
            }
            return 2.0 * size * size * size / medianSeconds.applyAsDouble(() -> gemm.run(shape, operands));
        } finally {
            device.synchronize("the FP8 probe");
            for (DeviceAllocation a : List.of(bf16, weightCodes, inputCodes, weightScales, inputScales, out)) {
                device.free(a);
            }
        }
    }

    /** Rows a block-scaled product of {@code m} rows may be padded to ({@link Fp8Gemm#rowsToRun}): at most this. */
    private static int paddedRows(int m) {
        return (m + Fp8Weight.BLOCK - 1) / Fp8Weight.BLOCK * Fp8Weight.BLOCK;
    }

    /** {@code input} (bf16 [m, k]) copied into {@code padded} ({@code rows} rows), the rows after m zero. */
    private DeviceSlice withZeroRows(DeviceSlice input, int m, int rows, int k, DeviceSlice padded) {
        long rowBytes = (long) k * 2;
        device.copyFromAsync(padded.slice(0, m * rowBytes), device, input.slice(0, m * rowBytes), m * rowBytes);
        device.zeroAsync(padded.slice(m * rowBytes, (rows - m) * rowBytes));
        return padded;
    }

    private void tellBf16(String message) {
        if (!toldBf16) {
            LOG.log(System.Logger.Level.INFO, "flood: " + message);
            toldBf16 = true;
        }
    }

    @Override
    public void close() {
        if (gemm != null) {
            gemm.close();
            gemm = null;
        }
    }
}
