package dev.flood.backend.cuda;

import dev.flood.weights.DType;
import dev.flood.weights.Fp8Scaling;
import dev.flood.weights.Fp8Tensor;
import dev.flood.weights.HalfFloats;
import dev.flood.weights.TensorData;
import dev.flood.weights.WeightSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jcuda.Pointer;

/**
 * Puts a linear layer's weight on the device in FP8 ({@link Fp8Weight}), part by part (packed q/k/v, gate/up).
 * When every part is a whole number of 128 x 128 blocks and either every part is stored in FP8 with block scales or
 * none is stored in FP8, the weight takes 128 x 128 block scales ({@link Fp8Weight.Layout#BLOCK_128}, the layout
 * transformers' fp8 checkpoints and cuBLASLt's Hopper block scaling share): stored codes are copied and their
 * scales repacked into cuBLASLt's padded layout; bf16 (or float32) parts are uploaded as bf16 and quantized in
 * blocks on the device ({@code flood_quantize_fp8_blocks}). Otherwise the weight takes one scale per output channel:
 * FP8 parts with channel scales are copied as stored, a tensor scale repeated per row, and every other part
 * (bf16, float32, or blocks that straddle parts) is uploaded as bf16 and quantized per row on the device
 * ({@code flood_quantize_fp8_rows}, the activations' quantization).
 * Memory comes from the {@link WeightUploader}, which owns it.
 */
final class Fp8Uploader {

    private final CudaDevice device;
    private final Kernels kernels;
    private final WeightUploader weights;

    Fp8Uploader(CudaDevice device, Kernels kernels, WeightUploader weights) {
        this.device = device;
        this.kernels = kernels;
        this.weights = weights;
    }

    Fp8Weight load(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols) {
        int rows = rowsPerPart.stream().mapToInt(Integer::intValue).sum();
        List<Optional<Fp8Tensor>> parts = new ArrayList<>();
        for (int p = 0; p < names.size(); p++) {
            parts.add(source.loadFp8(names.get(p), rowsPerPart.get(p), cols));
        }
        boolean wholeBlocks = cols % Fp8Weight.BLOCK == 0
                && rowsPerPart.stream().allMatch(partRows -> partRows % Fp8Weight.BLOCK == 0);
        boolean storedInBlocks = parts.stream().allMatch(part -> part.isPresent()
                && part.get().scaling() == Fp8Scaling.BLOCK_128);
        boolean blocks = wholeBlocks && (storedInBlocks || parts.stream().allMatch(Optional::isEmpty));
        Fp8Weight.Layout layout = blocks ? Fp8Weight.Layout.BLOCK_128 : Fp8Weight.Layout.PER_CHANNEL;
        DeviceAllocation codes = weights.allocate((long) rows * cols, names.get(0) + " (FP8 codes)");
        DeviceAllocation scales = weights.allocate(Fp8Weight.scaleCount(rows, cols, layout) * Float.BYTES,
                names.get(0) + " (FP8 scales)");
        device.zero(scales.whole());   // the padding of block scales is never written, and must not be garbage
        int firstRow = 0;
        for (int p = 0; p < names.size(); p++) {
            int partRows = rowsPerPart.get(p);
            DeviceSlice partCodes = codes.whole().slice((long) firstRow * cols, (long) partRows * cols);
            Optional<Fp8Tensor> fp8 = parts.get(p);
            if (blocks) {
                DeviceSlice partScales = scales.whole().slice((long) firstRow / Fp8Weight.BLOCK
                        * Fp8Weight.paddedColumnBlocks(cols) * Float.BYTES,
                        (long) partRows / Fp8Weight.BLOCK * Fp8Weight.paddedColumnBlocks(cols) * Float.BYTES);
                if (fp8.isPresent()) {
                    copyCodes(fp8.get().codes(), partCodes);
                    copyFloats(paddedBlockScales(fp8.get().scales(), partRows, cols), partScales);
                } else {
                    quantize(source, names.get(p), new Region(partRows, cols, partCodes, partScales),
                            Fp8Weight.Layout.BLOCK_128);
                }
            } else {
                DeviceSlice partScales = scales.whole().slice((long) firstRow * Float.BYTES,
                        (long) partRows * Float.BYTES);
                Fp8Scaling scaling = fp8.map(Fp8Tensor::scaling).orElse(null);
                if (scaling == Fp8Scaling.PER_CHANNEL || scaling == Fp8Scaling.PER_TENSOR) {
                    copyCodes(fp8.get().codes(), partCodes);
                    copyFloats(channelScales(fp8.get(), partRows), partScales);
                } else {
                    quantize(source, names.get(p), new Region(partRows, cols, partCodes, partScales),
                            Fp8Weight.Layout.PER_CHANNEL);
                }
            }
            firstRow += partRows;
        }
        return new Fp8Weight(codes, scales, rows, cols, layout);
    }

    /** Checkpoint block scales {@code [rows / 128, cols / 128]} with each row of blocks padded to a multiple of 4. */
    static float[] paddedBlockScales(float[] scales, int rows, int cols) {
        int blocks = cols / Fp8Weight.BLOCK;
        int padded = Fp8Weight.paddedColumnBlocks(cols);
        float[] out = new float[rows / Fp8Weight.BLOCK * padded];
        for (int r = 0; r < rows / Fp8Weight.BLOCK; r++) {
            System.arraycopy(scales, r * blocks, out, r * padded, blocks);
        }
        return out;
    }

    /** One scale per row: channel scales as they are, a tensor scale repeated. */
    static float[] channelScales(Fp8Tensor tensor, int rows) {
        if (tensor.scaling() == Fp8Scaling.PER_CHANNEL) {
            return tensor.scales().clone();
        }
        float[] repeated = new float[rows];
        java.util.Arrays.fill(repeated, tensor.scales()[0]);
        return repeated;
    }

    /** Where one part's codes and scales go. */
    private record Region(int rows, int cols, DeviceSlice codes, DeviceSlice scales) {
    }

    /** The part as bf16 (dequantized if stored otherwise), quantized on the device into its region. */
    private void quantize(WeightSource source, String name, Region region, Fp8Weight.Layout layout) {
        int rows = region.rows();
        int cols = region.cols();
        long bytes = (long) rows * cols * 2;
        DeviceAllocation staged = device.allocate(bytes, "bf16 staging of " + name);
        try {
            TensorData raw = source.loadRaw(name, rows, cols);
            if (raw.dtype() == DType.BF16) {
                device.copyToDevice(staged.whole(), Pointer.toBuffer(raw.data()), bytes);
            } else {
                float[] values = source.loadFloats(name, rows, cols);
                short[] rounded = new short[values.length];
                for (int i = 0; i < values.length; i++) {
                    rounded[i] = HalfFloats.floatToBf16(values[i]);
                }
                device.copyToDevice(staged.whole(), Pointer.to(rounded), bytes);
            }
            if (layout == Fp8Weight.Layout.BLOCK_128) {
                kernels.quantizeFp8Blocks(staged.address(), rows, cols, region.codes().address(),
                        region.scales().address(), Fp8Weight.paddedColumnBlocks(cols));
            } else {
                kernels.quantizeFp8Rows(staged.address(), rows, cols, region.codes().address(),
                        region.scales().address());
            }
            device.synchronize("quantizing " + name + " to FP8");
        } finally {
            device.free(staged);
        }
    }

    private void copyCodes(TensorData codes, DeviceSlice target) {
        if (codes.data().remaining() != target.bytes()) {
            throw new IllegalArgumentException("tensor " + codes.name() + " holds " + codes.data().remaining()
                    + " FP8 codes, expected " + target.bytes());
        }
        device.copyToDevice(target, Pointer.toBuffer(codes.data()), target.bytes());
    }

    private void copyFloats(float[] values, DeviceSlice target) {
        device.copyToDevice(target, Pointer.to(values), (long) values.length * Float.BYTES);
    }
}
