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

    /** What a plan depends on besides the step. */
    private record PlanKey(int group, int headDim, int slidingWindow) {
    }

    /** A plan and its device copy in the step's buffers: decode work, prefill work, merges. */
    private record UploadedPlan(AttentionPlan plan, DeviceSlice[] slices) {
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
        UploadedPlan uploaded = plans.computeIfAbsent(new PlanKey(group, shape.headDim(), shape.slidingWindow()),
                key -> {
                    AttentionPlan plan = AttentionPlan.of(call.step().batch(), group, key.slidingWindow(),
                            prefillVariant(key.headDim()));
                    return new UploadedPlan(plan, slot.staging.upload(slot.workspace, plan.decodeWork(),
                            plan.prefillWork(), plan.merges()));
                });
        AttentionPlan plan = uploaded.plan();
        DeviceSlice[] planSlices = uploaded.slices();
        long partialOut = 0;
        long partialMaxSum = 0;
        if (plan.partialRows() > 0) {
            long rows = (long) plan.partialRows() * shape.numKvHeads();
            partialOut = slot.workspace.take(rows * shape.headDim() * Float.BYTES, "attention partials").address();
            partialMaxSum = slot.workspace.take(rows * 2 * Float.BYTES, "attention partial sums").address();
        }
        AttentionLaunch launch = new AttentionLaunch(shape.headDim(), shape.numKvHeads(), group,
                (float) (shape.scale() * LOG2_E), call.qkv().address(), call.qkv().cols(), cache.keys(call.layer()),
                cache.values(call.layer()), shape.kvSize(), call.step(), call.out().address(), call.out().cols(),
                partialOut, partialMaxSum, shape.slidingWindow());
        kernels.attention(AttentionVariant.DECODE, launch, planSlices[0].address(), plan.numDecodeWork());
        kernels.attention(plan.prefillVariant(), launch, planSlices[1].address(), plan.numPrefillWork());
        kernels.attentionMerge(launch, planSlices[2].address(), plan.numMerges());
    }
}
