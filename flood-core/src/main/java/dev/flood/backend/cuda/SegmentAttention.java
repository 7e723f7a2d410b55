package dev.flood.backend.cuda;

import dev.flood.backend.AttentionShape;
import java.util.Arrays;

/**
 * The attention op of one step: plans the step's work once (the same for every layer with the same group
 * size and head dim), uploads the plan, and launches per layer the decode and prefill variants of the segment
 * attention kernel over the step's work items, then the merge of split items. The prefill variant is fixed per
 * device and head dim by the backend's {@link PrefillKernel}.
 */
final class SegmentAttention {

    private static final double LOG2_E = 1.4426950408889634;

    private final Kernels kernels;
    private final PrefillKernel prefillKernel;
    private StepSlot slot;                  // the step's buffers, from beginStep
    private AttentionPlan plan;
    private int planGroup;
    private int planHeadDim;
    private DeviceSlice[] planSlices;

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

    /** Forgets the previous step's plan (its device copy is in that step's buffers); plans into {@code slot}'s. */
    void beginStep(StepSlot slot) {
        this.slot = slot;
        plan = null;
    }

    void run(Call call, KvCache cache) {
        AttentionShape shape = call.shape();
        if (Arrays.stream(Kernels.HEAD_DIMS).noneMatch(d -> d == shape.headDim())) {
            throw new IllegalArgumentException("the CUDA attention kernels support head dims "
                    + Arrays.toString(Kernels.HEAD_DIMS) + ", not " + shape.headDim());
        }
        int group = shape.queriesPerKvHead();
        if (plan == null || planGroup != group || planHeadDim != shape.headDim()) {
            plan = AttentionPlan.of(call.step().batch(), group, prefillVariant(shape.headDim()));
            planGroup = group;
            planHeadDim = shape.headDim();
            planSlices = slot.staging.upload(slot.workspace, plan.decodeWork(), plan.prefillWork(), plan.merges());
        }
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
                partialOut, partialMaxSum);
        kernels.attention(AttentionVariant.DECODE, launch, planSlices[0].address(), plan.numDecodeWork());
        kernels.attention(plan.prefillVariant(), launch, planSlices[1].address(), plan.numPrefillWork());
        kernels.attentionMerge(launch, planSlices[2].address(), plan.numMerges());
    }
}
