package dev.flood.engine;

import dev.flood.api.EngineConfig.CacheReservation;
import dev.flood.cache.SegmentAllocator;
import dev.flood.cache.SegmentTable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Continuous batching with chunked prefill under a per-step token budget. Each step: every running request in
 * decode gets its one token, then running prefills get chunks in admission order, then waiting requests are
 * admitted first-come first-served while budget, batch slots and cache last.
 *
 * <p>With {@link CacheReservation#FULL} a request reserves its prompt plus max new tokens on admission, so
 * running requests never wait for cache. With {@link CacheReservation#INCREMENTAL} it holds only what it has
 * computed; a request that cannot grow preempts the newest running request not yet in this step (or itself),
 * which frees its cache and is recomputed later. Either way no request waits for cache that can never be freed:
 * the engine rejects, on arrival, any request larger than the whole cache.
 */
final class Scheduler {

    /** Slots an incremental request grows by beyond what the step needs, so it does not grow every step. */
    private static final int GROWTH_SLACK = 16;

    private final SegmentAllocator allocator;
    private final CacheReservation reservation;
    private final int maxBatchTokens;
    private final int maxRunningRequests;
    private final Deque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();   // admission order
    private long preemptions;

    Scheduler(SegmentAllocator allocator, CacheReservation reservation, int maxBatchTokens, int maxRunningRequests) {
        this.allocator = allocator;
        this.reservation = reservation;
        this.maxBatchTokens = maxBatchTokens;
        this.maxRunningRequests = maxRunningRequests;
    }

    void add(Sequence sequence) {
        waiting.addLast(sequence);
    }

    boolean hasWork() {
        return !waiting.isEmpty() || !running.isEmpty();
    }

    int numRunning() {
        return running.size();
    }

    int numWaiting() {
        return waiting.size();
    }

    long preemptions() {
        return preemptions;
    }

    StepPlan schedule() {
        List<StepPlan.Scheduled> plan = new ArrayList<>();
        int budget = maxBatchTokens;
        for (boolean decodePass : new boolean[] {true, false}) {
            for (Sequence sequence : List.copyOf(running)) {
                boolean decoding = sequence.numComputed() >= sequence.promptLength;
                if (decoding != decodePass || budget == 0 || !running.contains(sequence)) {
                    continue;
                }
                int take = Math.min(sequence.pendingTokens(), budget);
                if (ensureCapacity(sequence, take, plan)) {
                    plan.add(new StepPlan.Scheduled(sequence, take));
                    budget -= take;
                }
            }
        }
        while (budget > 0 && running.size() < maxRunningRequests && !waiting.isEmpty()) {
            Sequence next = waiting.peekFirst();
            int take = Math.min(next.pendingTokens(), budget);
            int reserve = reservation == CacheReservation.FULL ? next.maxTokens : Math.min(next.maxTokens, take + GROWTH_SLACK);
            Optional<SegmentTable> table = allocator.allocate(reserve);
            if (table.isEmpty()) {
                break;
            }
            waiting.pollFirst();
            next.attach(table.get());
            running.add(next);
            plan.add(new StepPlan.Scheduled(next, take));
            budget -= take;
        }
        return StepPlan.of(plan);
    }

    /** Makes room for {@code take} more computed tokens, preempting the newest unscheduled requests if needed. */
    private boolean ensureCapacity(Sequence sequence, int take, List<StepPlan.Scheduled> plan) {
        int needed = sequence.numComputed() + take;
        SegmentTable table = sequence.cache();
        while (table.capacityTokens() < needed) {
            int target = Math.min(sequence.maxTokens, needed + GROWTH_SLACK);
            if (allocator.grow(table, target - table.capacityTokens())) {
                return true;
            }
            Sequence victim = newestUnscheduled(plan, sequence);
            preempt(victim);
            if (victim == sequence) {
                return false;
            }
        }
        return true;
    }

    private Sequence newestUnscheduled(List<StepPlan.Scheduled> plan, Sequence fallback) {
        for (int i = running.size() - 1; i >= 0; i--) {
            Sequence candidate = running.get(i);
            if (candidate != fallback && plan.stream().noneMatch(s -> s.sequence() == candidate)) {
                return candidate;
            }
        }
        return fallback;
    }

    private void preempt(Sequence sequence) {
        preemptions++;
        running.remove(sequence);
        allocator.free(sequence.cache());
        sequence.detach();
        waiting.addFirst(sequence);
    }

    /** Removes a finished or failed request and frees its cache. */
    void finish(Sequence sequence) {
        running.remove(sequence);
        waiting.remove(sequence);
        if (sequence.cache() != null) {
            allocator.free(sequence.cache());
            sequence.detach();
        }
    }

    /** Every request still queued or running, for failing them all on close. */
    List<Sequence> drainAll() {
        List<Sequence> all = new ArrayList<>(running);
        all.addAll(waiting);
        for (Sequence sequence : all) {
            finish(sequence);
        }
        return all;
    }
}
