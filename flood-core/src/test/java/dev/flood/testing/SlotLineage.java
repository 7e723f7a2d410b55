package dev.flood.testing;

import dev.flood.backend.AttentionShape;
import dev.flood.backend.Backend;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.RotaryTable;
import dev.flood.backend.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A backend that checks, in the order a device stream would run them, that attention reads only cache slots
 * holding what the request's context is: every write of layer 0's cache is recorded per slot as (write id,
 * position, the write id then held by the slot of the position before it in the same request); when attention
 * runs, each request's context slots must form that chain, token 0 to its last. A slot never written, one written
 * for another position, or one rewritten since the slot after it was computed (a stale or foreign value, even one
 * that happens to hold the right numbers) breaks it. Violations are collected, not thrown, so the engine runs on.
 * It also keeps every step's batch, in order, for tests that replay them.
 */
public final class SlotLineage extends ForwardingBackend {

    /** What a slot holds: write {@code id} of {@code position}, computed after write {@code previous}. */
    private record Written(long id, int position, long previous) {
    }

    private final Map<Integer, Written> slots = new HashMap<>();
    private final List<String> violations = new ArrayList<>();
    private final List<ForwardBatch> batches = new ArrayList<>();
    private long writes;
    private long steps;

    public SlotLineage(Backend inner) {
        super(inner);
    }

    /** What was wrong, at most the first 20. */
    public synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    /** The batch of every step begun so far, in order. */
    public synchronized List<ForwardBatch> batches() {
        return List.copyOf(batches);
    }

    @Override
    public void beginStep(ForwardBatch batch) {
        synchronized (this) {
            steps++;
            batches.add(batch);
        }
        super.beginStep(batch);
    }

    @Override
    public void writeCache(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch) {
        record(layer, batch);
        super.writeCache(layer, qkv, shape, batch);
    }

    @Override
    public void rotaryWriteCache(int layer, Tensor qkv, AttentionShape shape, RotaryTable rotary, ForwardBatch batch) {
        record(layer, batch);
        super.rotaryWriteCache(layer, qkv, shape, rotary, batch);
    }

    @Override
    public void attention(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch, Tensor out) {
        if (layer == 0) {
            check(batch);
        }
        super.attention(layer, qkv, shape, batch, out);
    }

    private synchronized void record(int layer, ForwardBatch batch) {
        if (layer != 0) {
            return;
        }
        for (int seq = 0; seq < batch.numSeqs(); seq++) {
            int[] context = batch.contextSlots(seq);
            for (int t = batch.cuSeqlensQ()[seq]; t < batch.cuSeqlensQ()[seq + 1]; t++) {
                int position = batch.positions()[t];
                Written before = position == 0 ? null : slots.get(context[position - 1]);
                slots.put(batch.slotMapping()[t], new Written(++writes, position, before == null ? -1 : before.id()));
            }
        }
    }

    private synchronized void check(ForwardBatch batch) {
        for (int seq = 0; seq < batch.numSeqs(); seq++) {
            int[] context = batch.contextSlots(seq);
            long previous = -1;
            for (int j = 0; j < context.length; j++) {
                Written w = slots.get(context[j]);
                String problem = w == null ? "never written"
                        : w.position() != j ? "holds position " + w.position()
                        : j > 0 && w.previous() != previous ? "was computed after another value of position " + (j - 1)
                        : null;
                if (problem != null) {
                    if (violations.size() < 20) {
                        violations.add("step " + steps + ", request " + seq + " (context " + context.length + ", "
                                + batch.queryLen(seq) + " query tokens): token " + j + " at slot " + context[j] + " "
                                + problem);
                    }
                    break;
                }
                previous = w.id();
            }
        }
    }
}
