package dev.flood.backend.cuda;

import dev.flood.backend.AttentionShape;
import dev.flood.backend.RotaryTable;
import dev.flood.weights.DType;

/**
 * Rotary embedding on the device, alone or fused with the KV cache write (kernels/src/rotary_cache.cuh: one pass
 * over each token's query, key and value heads instead of two). Uploads a model's cos/sin table the first time it
 * is used; a replaced table's memory stays with the weights until the backend closes (a model has one).
 */
final class RotaryCache {

    private final Kernels kernels;
    private final WeightUploader weights;
    private RotaryTable table;
    private DeviceAllocation cos;
    private DeviceAllocation sin;

    RotaryCache(Kernels kernels, WeightUploader weights) {
        this.kernels = kernels;
        this.weights = weights;
    }

    /** In place on the query and key heads of float32 {@code qkv [numTokens, qkvWidth]}. */
    void rotate(CudaTensor qkv, AttentionShape shape, RotaryTable rotary, StepMetadata step) {
        upload(qkv, shape, rotary, step);
        kernels.rotary(qkv.address(), qkv.cols(), qkv.rows(), shape.numHeads() + shape.numKvHeads(), shape.headDim(),
                step.positions(), cos.address(), sin.address());
    }

    /** {@link #rotate}, and the rotated keys and the values to layer {@code layer}'s cache slots, in one launch. */
    void rotateAndWrite(CudaTensor qkv, AttentionShape shape, RotaryTable rotary, StepMetadata step, KvLayer layer) {
        upload(qkv, shape, rotary, step);
        kernels.rotaryCacheWrite(new Kernels.RotaryCacheWrite(qkv.address(), qkv.cols(), shape.numHeads(),
                shape.numKvHeads(), shape.headDim(), step.positions(), cos.address(), sin.address(),
                step.slotMapping(), layer.keys(), layer.values()), qkv.rows());
    }

    /** One layer's key and value slabs. */
    record KvLayer(long keys, long values) {
    }

    private void upload(CudaTensor qkv, AttentionShape shape, RotaryTable rotary, StepMetadata step) {
        qkv.require(DType.F32, "rotary");
        StepChecks.shape("rotary", qkv, step.batch().numTokens(), shape.qkvWidth());
        if (rotary.headDim() != shape.headDim()) {
            throw new IllegalArgumentException("rotary table for head dim " + rotary.headDim() + ", attention has "
                    + shape.headDim());
        }
        StepChecks.positions(step.batch(), rotary.maxPositions());
        if (rotary != table) {
            cos = weights.table(rotary.cos(), "rotary cos");
            sin = weights.table(rotary.sin(), "rotary sin");
            table = rotary;
        }
    }
}
