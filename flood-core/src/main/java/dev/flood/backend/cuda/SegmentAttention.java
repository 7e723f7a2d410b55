package dev.flood.backend.cuda;

import dev.flood.backend.AttentionShape;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The attention op of one step: plans the step's work once per layer shape (the same for every layer with the same
 * group size, head dim and sliding window; a model whose layers mix windowed and full attention has two), uploads
 * each plan, and launches per layer the decode and prefill variants of the segment attention kernel over the step's
 * work items, then the merge of split items. The prefill variant is fixed per device and head dim by the backend's
 * {@link PrefillKernel}.
 */
final class SegmentAttention {

    private static final double LOG2_E = 1.4426950408889634;

    private final Kernels kernels;
    private final PrefillKernel prefillKernel;
    private StepSlot slot;                  // the step's buffers, from beginStep
    private final Map<PlanKey, UploadedPlan> plans = new HashMap<>();

    /** What a plan and its partial buffers depend on besides the step. */
    private record PlanKey(int group, int headDim, int numKvHeads, int slidingWindow) {
    }

    /**
     * A plan, its device copy in the step's buffers (decode work, prefill work, merges) and the float32 partial
     * results its split work items write ({@code [partialRows * numKvHeads, headDim]} outputs and
     * {@code [partialRows * numKvHeads, 2]} running max and sum; 0 when nothing is split). Taken once per step:
     * every layer of the plan reuses them, since the layers run one after another on the stage's stream and each
     * layer's merge reads its partials before the next layer's attention writes them.
     */
    private record UploadedPlan(AttentionPlan plan, DeviceSlice[] slices, long partialOut, long partialMaxSum) {
    }

    /** One layer's call: the packed float32 qkv, the step's metadata, and the bf16 output. */
    record Call(int layer, CudaTensor qkv, AttentionShape shape, StepMetadata step, CudaTensor out) {
    }

    SegmentAttention(Kernels kernels, PrefillKernel prefillKernel) {
        this.kernels = kernels;
        this.prefillKernel = prefillKernel;
    }

    /** The prefill variant this op launches for a model of {@code headDim}. */
    AttentionVariant prefillVariant(int headDim) {
        return prefillKernel.variant(kernels.computeCapability(), headDim);
    }

    /** Forgets the previous step's plans (their device copies are in that step's buffers); plans into {@code slot}. */
    void beginStep(StepSlot slot) {
        this.slot = slot;
        plans.clear();
    }

    void run(Call call, KvCache cache) {
        AttentionShape shape = call.shape();
        if (Arrays.stream(Kernels.HEAD_DIMS).noneMatch(d -> d == shape.headDim())) {
            throw new IllegalArgumentException("the CUDA attention kernels support head dims "
                    + Arrays.toString(Kernels.HEAD_DIMS) + ", not " + shape.headDim());
        }
        int group = shape.queriesPerKvHead();
        UploadedPlan uploaded = plans.computeIfAbsent(
                new PlanKey(group, shape.headDim(), shape.numKvHeads(), shape.slidingWindow()),
                key -> upload(call.step(), key));
        AttentionPlan plan = uploaded.plan();
        DeviceSlice[] planSlices = uploaded.slices();
        long partialOut = uploaded.partialOut();
        long partialMaxSum = uploaded.partialMaxSum();
        AttentionLaunch launch = new AttentionLaunch(shape.headDim(), shape.numKvHeads(), group,
                (float) (shape.scale() * LOG2_E), call.qkv().address(), call.qkv().cols(), cache.keys(call.layer()),
                cache.values(call.layer()), shape.kvSize(), call.step(), call.out().address(), call.out().cols(),
                partialOut, partialMaxSum, shape.slidingWindow());
        kernels.attention(AttentionVariant.DECODE, launch, planSlices[0].address(), plan.numDecodeWork());
        kernels.attention(plan.prefillVariant(), launch, planSlices[1].address(), plan.numPrefillWork());
        kernels.attentionMerge(launch, planSlices[2].address(), plan.numMerges());
    }

    private UploadedPlan upload(StepMetadata step, PlanKey key) {
        AttentionPlan plan = AttentionPlan.of(step.batch(), key.group(), key.slidingWindow(),
                prefillVariant(key.headDim()));
        DeviceSlice[] slices = slot.staging.upload(slot.workspace, plan.decodeWork(), plan.prefillWork(),
                plan.merges());
        if (plan.partialRows() == 0) {
            return new UploadedPlan(plan, slices, 0, 0);
        }
        long rows = (long) plan.partialRows() * key.numKvHeads();
        long partialOut = slot.workspace.take(rows * key.headDim() * Float.BYTES, "attention partials").address();
        long partialMaxSum = slot.workspace.take(rows * 2 * Float.BYTES, "attention partial sums").address();
        return new UploadedPlan(plan, slices, partialOut, partialMaxSum);
    }
}
