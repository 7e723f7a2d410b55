package dev.flood.backend.cuda;

import dev.flood.sampling.Draw;
import dev.flood.sampling.RowLogprobs;
import dev.flood.sampling.Sampler;
import dev.flood.sampling.SamplingState;
import java.util.ArrayList;
import java.util.List;

/**
 * The synchronous sampling ops ({@link CudaBackend#sample}, {@link CudaBackend#logprobs}) on float32 logits rows
 * that live on the GPU. Rows are sampled by the {@link GpuSampler} kernel (the CPU sampler's transforms and
 * seeded draw), except rows whose requests use repetition, presence or frequency penalties, which the kernel does
 * not apply: those rows are gathered, copied to the host and sampled by the CPU {@link Sampler}, in the same call.
 * The engine's steps use {@link DeviceOutputs}, which does the same without waiting.
 */
final class DeviceSampling {

    private final GpuSampler gpu;
    private final Sampler host = new Sampler();
    private final CudaBackend backend;   // for gathering rows and copying them to the host

    DeviceSampling(GpuSampler gpu, CudaBackend backend) {
        this.gpu = gpu;
        this.backend = backend;
    }

    /** One token per row of {@code logits [states.size(), vocab]}, row r with {@code states.get(r)}. */
    int[] sample(CudaTensor logits, List<SamplingState> states, StepSlot slot) {
        List<Integer> onHost = new ArrayList<>();
        List<Integer> onGpu = new ArrayList<>();
        for (int r = 0; r < states.size(); r++) {
            (GpuSampler.supports(states.get(r).params()) ? onGpu : onHost).add(r);
        }
        int[] tokens = new int[states.size()];
        if (!onGpu.isEmpty()) {
            CudaTensor rows = onHost.isEmpty() ? logits : CudaTensor.of(backend.gatherRows(logits, toArray(onGpu)));
            int[] drawn = gpu.sample(rows, onGpu.stream().map(r -> Draw.next(states.get(r))).toList(), slot);
            for (int i = 0; i < drawn.length; i++) {
                tokens[onGpu.get(i)] = drawn[i];
            }
        }
        if (!onHost.isEmpty()) {
            float[] rows = backend.toHost(backend.gatherRows(logits, toArray(onHost)));
            for (int i = 0; i < onHost.size(); i++) {
                tokens[onHost.get(i)] = host.sample(rows, i * logits.cols(), states.get(onHost.get(i)));
            }
        }
        return tokens;
    }

    List<RowLogprobs> logprobs(CudaTensor logits, int[] chosenTokens, int topN, StepSlot slot) {
        return gpu.logprobs(logits, chosenTokens, topN, slot);
    }

    private static int[] toArray(List<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).toArray();
    }
}
