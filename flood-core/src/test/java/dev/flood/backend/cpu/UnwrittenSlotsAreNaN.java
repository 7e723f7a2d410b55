package dev.flood.backend.cpu;

import dev.flood.backend.AttentionShape;
import dev.flood.backend.Backend;
import dev.flood.backend.ForwardBatch;
import dev.flood.testing.ForwardingBackend;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * A CPU backend whose KV cache starts as NaN instead of zeros, as device memory starts as whatever was there: a
 * step that reads a slot no step wrote gives NaN outputs (a request error) instead of quietly attending to zeros.
 */
public final class UnwrittenSlotsAreNaN extends ForwardingBackend {

    public UnwrittenSlotsAreNaN(Backend inner) {
        super(inner);
        if (!(inner instanceof CpuBackend)) {
            throw new IllegalArgumentException("a NaN-filled cache needs the CPU backend, not " + inner.name());
        }
    }

    @Override
    public void allocateCache(int numLayers, int capacityTokens, int kvSize) {
        super.allocateCache(numLayers, capacityTokens, kvSize);
        // one write of every slot: keys at column kvSize, values at 2 * kvSize of a [capacity, 3 * kvSize] qkv
        AttentionShape shape = AttentionShape.of(1, 1, kvSize);
        float[] nan = new float[Math.multiplyExact(capacityTokens, shape.qkvWidth())];
        Arrays.fill(nan, Float.NaN);
        int[] slots = IntStream.range(0, capacityTokens).toArray();
        ForwardBatch everySlot = new ForwardBatch(new int[capacityTokens], slots, slots, new int[] {0, capacityTokens},
                new int[] {capacityTokens}, new int[] {0, 1}, new int[] {0}, new int[] {capacityTokens}, new int[0]);
        for (int layer = 0; layer < numLayers; layer++) {
            inner.writeCache(layer, new CpuTensor(nan, capacityTokens, shape.qkvWidth()), shape, everySlot);
        }
    }
}
