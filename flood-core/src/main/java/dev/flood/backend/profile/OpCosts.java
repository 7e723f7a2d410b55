package dev.flood.backend.profile;

import dev.flood.backend.AttentionShape;
import dev.flood.backend.ExpertRouting;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.OutputSpec;
import dev.flood.backend.RouterSpec;
import dev.flood.backend.StepHead;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.weights.DType;

/**
 * The fewest bytes and FLOPs of each backend op, counted for the CUDA backend's element types (see
 * {@code CudaBackend}): the residual stream, linear outputs and logits float32 (4 bytes); norm, attention and
 * activation outputs, GEMM inputs and the KV cache bf16 (2 bytes); weights in their stored type.
 */
public final class OpCosts {

    private static final int F32 = 4;
    private static final int BF16 = 2;

    private OpCosts() {
    }

    /** {@code out [M, N] = x [M, K] · W [N, K]ᵀ (+ bias)}: the weight once, x in bf16, out in float32. */
    public static OpCost linear(Tensor x, Weight weight, Weight bias) {
        long m = x.rows();
        long n = weight.rows();
        long k = weight.cols();
        long bytes = weightBytes(weight) + m * k * BF16 + m * n * F32;
        if (bias != null) {
            bytes += n * F32 + 2 * m * n * F32;
        }
        double flops = 2.0 * m * n * k;
        return weight.storageType() == DType.F8_E4M3 ? new OpCost(bytes, 0, flops) : new OpCost(bytes, flops, 0);
    }

    /**
     * {@link dev.flood.backend.Backend#linearAdd}: as {@link #linear}, and the residual read (float32) for the
     * add; the fewest bytes, as the CUDA backend moves them when the GEMM adds the product in its epilogue.
     */
    public static OpCost linearAdd(Tensor x, Weight weight, Weight bias) {
        OpCost cost = linear(x, weight, bias);
        return new OpCost(cost.bytes() + (long) x.rows() * weight.rows() * F32, cost.bf16Flops(), cost.fp8Flops());
    }

    /**
     * {@link dev.flood.backend.Backend#linearForActivation}: as {@link #linear} without a bias, the output in bf16
     * where the weight is bf16 (the CUDA backend rounds the product as a bf16 model does), else float32.
     */
    public static OpCost linearForActivation(Tensor x, Weight weight) {
        OpCost cost = linear(x, weight, null);
        if (weight.storageType() != DType.BF16) {
            return cost;
        }
        long saved = (long) x.rows() * weight.rows() * (F32 - BF16);
        return new OpCost(cost.bytes() - saved, cost.bf16Flops(), cost.fp8Flops());
    }

    /**
     * Every expert's GEMM over its pairs: {@code out [numPairs, n] = x[row] · W_e [n, k]ᵀ}. Bytes: the weights of as
     * many experts as the pairs can reach (all of them once a step routes more pairs than there are experts, as
     * routing over many tokens does), x read once in bf16, out written in float32; FLOPs 2 · pairs · n · k.
     */
    public static OpCost expertLinear(Tensor x, ExpertRouting routing, Weight experts) {
        long pairs = routing.numPairs();
        long n = experts.rows() / routing.numExperts();
        long k = experts.cols();
        long reached = Math.min(routing.numExperts(), pairs);
        long bytes = reached * n * k * experts.storageType().bytes() + x.rows() * k * BF16 + pairs * n * F32;
        return new OpCost(bytes, 2.0 * pairs * n * k, 0);
    }

    /** The router's logits read (float32); each pair's expert and weight written, and its place when grouped. */
    public static OpCost routeExperts(Tensor logits, RouterSpec spec) {
        long pairs = (long) logits.rows() * spec.topK();
        return OpCost.bytes((long) logits.rows() * logits.cols() * F32 + pairs * 3L * Integer.BYTES);
    }

    /** Each pair's row read and each token's row written (float32). */
    public static OpCost combineExperts(Tensor expertOut, Tensor out) {
        return OpCost.bytes(((long) expertOut.rows() * expertOut.cols() + (long) out.rows() * out.cols()) * F32);
    }

    /** The embedding rows gathered (bf16) and written as float32. */
    public static OpCost embed(Tensor out) {
        return OpCost.bytes((long) out.rows() * out.cols() * (BF16 + F32));
    }

    /** Float32 rows read, bf16 rows written, the weight read. */
    public static OpCost rmsNorm(Tensor x) {
        return OpCost.bytes((long) x.rows() * x.cols() * (F32 + BF16) + (long) x.cols() * F32);
    }

    /** Residual and x read, residual written (float32), normed written (bf16). */
    public static OpCost addRmsNorm(Tensor residual) {
        return OpCost.bytes((long) residual.rows() * residual.cols() * (3 * F32 + BF16) + (long) residual.cols() * F32);
    }

    /** The heads read and written in place (float32). */
    public static OpCost headRmsNorm(Tensor x, int numHeads, int headDim) {
        return OpCost.bytes((long) x.rows() * numHeads * headDim * 2 * F32);
    }

    /** Query and key heads read and written in place (float32), one cos and one sin row per token. */
    public static OpCost rotary(Tensor qkv, AttentionShape shape) {
        long rows = qkv.rows();
        return OpCost.bytes(rows * (shape.numHeads() + shape.numKvHeads()) * shape.headDim() * 2 * F32
                + rows * shape.headDim() * F32);
    }

    /** Keys and values read (float32) and written to the cache (bf16). */
    public static OpCost writeCache(Tensor qkv, AttentionShape shape) {
        return OpCost.bytes((long) qkv.rows() * 2 * shape.kvSize() * (F32 + BF16));
    }

    /**
     * Query and key heads read and written in place, values read (float32), keys and values written to the cache
     * (bf16), one cos and one sin row per token.
     */
    public static OpCost rotaryWriteCache(Tensor qkv, AttentionShape shape) {
        long rows = qkv.rows();
        return OpCost.bytes(rows * (shape.numHeads() + shape.numKvHeads()) * shape.headDim() * 2 * F32
                + rows * shape.kvSize() * (F32 + 2 * BF16) + rows * shape.headDim() * F32);
    }

    /**
     * Each request's keys and values read once (bf16), queries read (float32), outputs written (bf16); FLOPs of
     * {@code QKᵀ} and {@code PV} over the causal pairs, at the bf16 matrix rate.
     */
    public static OpCost attention(ForwardBatch batch, AttentionShape shape) {
        long kvTokens = 0;
        double pairs = 0;
        for (int s = 0; s < batch.numSeqs(); s++) {
            long context = batch.contextLens()[s];
            long queries = batch.queryLen(s);
            kvTokens += context;
            pairs += queries * (context - queries) + queries * (queries + 1) / 2.0;
        }
        long bytes = kvTokens * 2 * shape.kvSize() * BF16 + (long) batch.numTokens() * shape.qSize() * (F32 + BF16);
        return new OpCost(bytes, 4.0 * shape.numHeads() * shape.headDim() * pairs, 0);
    }

    /** Gate and up read (bf16 where {@code bf16Input}, else float32), the product written (bf16). */
    public static OpCost siluMul(Tensor out, boolean bf16Input) {
        return OpCost.bytes((long) out.rows() * out.cols() * (2 * (bf16Input ? BF16 : F32) + BF16));
    }

    /**
     * Rows read and written (counted as float32, the widest); nothing when the rows are all of {@code x} in order,
     * which a backend may hand back as they are.
     */
    public static OpCost gatherRows(Tensor x, int[] rows) {
        boolean everyRowInOrder = rows.length == x.rows();
        for (int i = 0; everyRowInOrder && i < rows.length; i++) {
            everyRowInOrder = rows[i] == i;
        }
        return everyRowInOrder ? OpCost.NONE : OpCost.bytes(2L * rows.length * x.cols() * F32);
    }

    /** The logits rows read once. */
    public static OpCost logitsRead(Tensor logits) {
        return OpCost.bytes((long) logits.rows() * logits.cols() * F32);
    }

    /**
     * Scoring's lm_head over {@code rows} rows: the weight read once (more when the rows take several chunks), the
     * rows in bf16, their float32 logits written and read once, and the product's FLOPs.
     */
    public static OpCost lmHeadLogprobs(int rows, Weight lmHead) {
        long m = rows;
        long n = lmHead.rows();
        long k = lmHead.cols();
        return new OpCost(weightBytes(lmHead) + m * k * BF16 + 2 * m * n * F32, 2.0 * m * n * k, 0);
    }

    /** A step's outputs: the logits rows drawn from read once, and the scored rows' {@link #lmHeadLogprobs}. */
    public static OpCost outputs(StepHead head, OutputSpec spec) {
        OpCost sampled = head.logits() == null ? OpCost.NONE : logitsRead(head.logits());
        if (spec.scoreRows().length == 0) {
            return sampled;
        }
        OpCost scored = lmHeadLogprobs(spec.scoreRows().length, head.lmHead());
        return new OpCost(sampled.bytes() + scored.bytes(), scored.bf16Flops(), 0);
    }

    /** The tensor copied out (float32). */
    public static OpCost toHost(Tensor x) {
        return OpCost.bytes((long) x.rows() * x.cols() * F32);
    }

    /** Tensors copied to another stage (counted as float32). */
    public static OpCost copies(java.util.List<Tensor> tensors) {
        return OpCost.bytes(tensors.stream().mapToLong(t -> 2L * t.rows() * t.cols() * F32).sum());
    }

    /** The step's int32 arrays uploaded. */
    public static OpCost stepMetadata(ForwardBatch batch) {
        long ints = 3L * batch.numTokens() + 2L * (batch.numSeqs() + 1) + batch.numSeqs()
                + 2L * batch.extentStarts().length + batch.logitRows().length;
        return OpCost.bytes(ints * Integer.BYTES);
    }

    private static long weightBytes(Weight weight) {
        return (long) weight.rows() * weight.cols() * weight.storageType().bytes();
    }
}
