package dev.flood.engine;

import dev.flood.api.EngineConfig.CacheReservation;
import dev.flood.cache.PrefixCache;
import dev.flood.cache.SegmentTable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * Continuous batching with chunked prefill under a per-step token budget. Each step: every running request in
 * decode gets its one token, then running prefills get chunks in admission order, then waiting requests are
 * admitted first-come first-served while budget, batch slots and cache last.
 *
 * <p>Steps in flight ({@link InFlight}): a request already in a launched step that has not been collected takes
 * part in the next step only on a one-stage pipeline ({@link InFlight#CONSECUTIVE_STEPS}): with the rest of its
 * prompt, or with the token the previous step is drawing for it (a deferred token) when that step is the one just
 * launched, its request has no penalties (whose counts need every earlier token on the host) and that token does
 * not end it by length. On several stages a request is in one micro-batch at a time.
 *
 * <p>With {@link CacheReservation#FULL} a request reserves its prompt plus max new tokens on admission, so
 * running requests never wait for cache. With {@link CacheReservation#INCREMENTAL} it holds only what it has
 * fed; a request that cannot grow preempts the newest running request that is neither in this step nor in a step
 * in flight, which frees its cache and is recomputed later. If there is none, it waits while steps in flight
 * hold others (they come back preemptible), and preempts itself only when every other request is in this step;
 * no request is admitted in a step where a running one could not grow. Either way no request waits for cache
 * that can never be freed: the engine rejects, on arrival, any request larger than the whole cache.
 *
 * <p>Prefix caching ({@link PrefixCache}): a request is admitted with the longest cached prefix of its prompt that
 * its work lets it skip, and reserves slots only for the rest. A waiting request whose next prompt block a running
 * request is computing is passed over until that block is cached; the requests behind it are admitted as usual.
 * Cached prefixes no running request reads are evicted before a running request is preempted. Once a step is
 * collected, each of its requests publishes the full prompt blocks it has computed ({@link #computed}).
 *
 * <p>Two rules keep prefix caching from stalling the queue. A request whose slots do not fit beside its cached
 * prefix (whose extents, scattered where earlier requests computed them, leave too few extents or split the free
 * space) is admitted without it if that fits, since an unread prefix can be evicted. A request that preempts
 * itself comes back without a cached prefix and reserving all it may need, evicting what it must: cached prefixes
 * no one reads split the free space, so growing step by step it could gather its table's most extents in small
 * holes, fail to grow with every other request's cache out of reach, and preempt itself for ever. Until such a
 * request fits, no request behind it is admitted, and the running ones finish.
 */
final class Scheduler {

    /** Slots an incremental request grows by beyond what the step needs, so it does not grow every step. */
    private static final int GROWTH_SLACK = 16;

    /** Whether a request may be in several steps in flight. */
    enum InFlight {
        /** Several pipeline stages: a request is in one micro-batch at a time. */
        ONE_STEP_PER_REQUEST,
        /** One stage, whose steps run in launch order: a request may be in consecutive steps. */
        CONSECUTIVE_STEPS
    }

    private PrefixCache prefixCache;           // replaced when the engine reopens its pipeline
    private final CacheReservation reservation;
    private int maxBatchTokens;
    private final int maxRunningRequests;
    private final InFlight inFlight;
    private final Deque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();   // admission order
    private long preemptions;

    Scheduler(PrefixCache prefixCache, CacheReservation reservation, int maxBatchTokens, int maxRunningRequests,
              InFlight inFlight) {
        this.prefixCache = prefixCache;
        this.reservation = reservation;
        this.maxBatchTokens = maxBatchTokens;
        this.maxRunningRequests = maxRunningRequests;
        this.inFlight = inFlight;
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

    /** Plans step {@code stepId}, the next to be launched; an empty plan when nothing can run now. */
    StepPlan schedule(long stepId) {
        List<StepPlan.Scheduled> plan = new ArrayList<>();
        int budget = maxBatchTokens;
        boolean starved = false;   // a running request could not grow: admitting others would only feed preemption
        for (boolean decodePass : new boolean[] {true, false}) {
            for (Sequence sequence : List.copyOf(running)) {
                boolean decoding = sequence.numFed() >= sequence.promptLength;
                if (decoding != decodePass || budget == 0 || !running.contains(sequence)) {
                    continue;
                }
                int take = Math.min(feedable(sequence, stepId), budget);
                if (take == 0) {
                    continue;
                }
                if (ensureCapacity(sequence, take, plan)) {
                    plan.add(new StepPlan.Scheduled(sequence, take));
                    budget -= take;
                } else {
                    starved = true;
                }
            }
        }
        Iterator<Sequence> queue = waiting.iterator();
        while (!starved && budget > 0 && running.size() < maxRunningRequests && queue.hasNext()) {
            Sequence next = queue.next();
            int skippable = next.preemptedItself() ? 0 : next.work.skippableTokens(next);
            PrefixCache.Match cached = prefixCache.match(next.promptBlocks, skippable);
            if (cached.waits()) {
                continue;
            }
            Optional<SegmentTable> table = admit(next, cached, budget);
            if (table.isEmpty() && cached.tokens() > 0) {
                // the prefix's extents may leave too few for the rest; without it, it is evictable like any other
                cached = prefixCache.match(next.promptBlocks, 0);
                table = admit(next, cached, budget);
            }
            if (table.isEmpty()) {
                break;
            }
            queue.remove();
            int take = Math.min(next.tokensToFeed() - cached.tokens(), budget);
            next.attach(table.get(), cached.tokens());
            running.add(next);
            plan.add(new StepPlan.Scheduled(next, take));
            budget -= take;
        }
        return StepPlan.of(stepId, plan);
    }

    /**
     * A table for a waiting request: the cached prefix, then its own slots as its reservation mode asks, or all it
     * may need if it preempted itself (see the class comment).
     */
    private Optional<SegmentTable> admit(Sequence sequence, PrefixCache.Match cached, int budget) {
        int take = Math.min(sequence.tokensToFeed() - cached.tokens(), budget);
        int own = sequence.maxTokens - cached.tokens();
        boolean whole = reservation == CacheReservation.FULL || sequence.preemptedItself();
        int reserve = whole ? own : Math.min(own, take + GROWTH_SLACK);
        return prefixCache.allocate(cached, reserve);
    }

    /** How many tokens a running request can feed in step {@code stepId} (see the class comment). */
    private int feedable(Sequence sequence, long stepId) {
        int toFeed = sequence.tokensToFeed();
        if (toFeed <= 0 || sequence.inFlight() == 0) {
            return Math.max(toFeed, 0);
        }
        if (inFlight == InFlight.ONE_STEP_PER_REQUEST) {
            return 0;
        }
        int known = sequence.numTokens() - sequence.numFed();
        if (known > 0) {
            return Math.min(toFeed, known);
        }
        boolean deferrable = sequence.work instanceof Generation generation && generation.mayDeferTokens()
                && sequence.drawsIn(stepId - 1);
        return deferrable ? 1 : 0;
    }

    /**
     * Makes room for {@code take} more fed tokens, preempting the newest preemptible requests if needed; false if
     * the request gets no room this step (it preempted itself, or waits for steps in flight).
     */
    private boolean ensureCapacity(Sequence sequence, int take, List<StepPlan.Scheduled> plan) {
        int needed = sequence.numFed() + take;
        SegmentTable table = sequence.cache();
        while (table.capacityTokens() < needed) {
            int target = Math.min(sequence.maxTokens, needed + GROWTH_SLACK);
            if (prefixCache.grow(table, target - table.capacityTokens())) {
                return true;
            }
            Sequence victim = newestPreemptible(plan, sequence);
            if (victim == null) {
                return false;
            }
            preempt(victim);
            if (victim == sequence) {
                sequence.markPreemptedItself();
                return false;
            }
        }
        return true;
    }

    /**
     * The newest running request in neither this plan nor a step in flight. Else null while another request is in
     * flight or {@code grower} itself is (it waits: those steps come back and free their requests for
     * preemption); else {@code grower} itself, as every other request is in this plan.
     */
    private Sequence newestPreemptible(List<StepPlan.Scheduled> plan, Sequence grower) {
        boolean othersInFlight = false;
        for (int i = running.size() - 1; i >= 0; i--) {
            Sequence candidate = running.get(i);
            if (candidate == grower || plan.stream().anyMatch(s -> s.sequence() == candidate)) {
                continue;
            }
            if (candidate.inFlight() == 0) {
                return candidate;
            }
            othersInFlight = true;
        }
        return othersInFlight || grower.inFlight() > 0 ? null : grower;
    }

    private void preempt(Sequence sequence) {
        preemptions++;
        running.remove(sequence);
        prefixCache.free(sequence.cache());
        sequence.detach();
        waiting.addFirst(sequence);
    }

    /**
     * A step holding the sequence was collected: the full prompt blocks it has computed become cached prefixes.
     * Not for a finished sequence (its slots are freed).
     */
    void computed(Sequence sequence) {
        prefixCache.publish(sequence.cache(), sequence.numComputed());
    }

    /**
     * Removes a finished or failed request and frees its cache, even while steps in flight hold rows of it: those
     * rows are discarded when collected, and their cache writes (issued before any later owner's, in each
     * stage's launch order) are overwritten by the slots' next owner before it reads them.
     */
    void finish(Sequence sequence) {
        running.remove(sequence);
        waiting.remove(sequence);
        if (sequence.cache() != null) {
            prefixCache.free(sequence.cache());
        }
        sequence.release();
    }

    /**
     * Takes the pipeline's new cache and step budget after a fault: every running request is rewound (its cache,
     * in the old pipeline, is gone) and waits again ahead of the others, in admission order.
     */
    void reopen(PrefixCache newPrefixCache, int newMaxBatchTokens) {
        for (int i = running.size() - 1; i >= 0; i--) {
            Sequence sequence = running.get(i);
            sequence.rewind();
            waiting.addFirst(sequence);
        }
        running.clear();
        prefixCache = newPrefixCache;
        maxBatchTokens = newMaxBatchTokens;
    }

    /** The most cache slots any queued or running request may need (0 when there is none). */
    int largestRequest() {
        int largest = 0;
        for (Sequence sequence : running) {
            largest = Math.max(largest, sequence.maxTokens);
        }
        for (Sequence sequence : waiting) {
            largest = Math.max(largest, sequence.maxTokens);
        }
        return largest;
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
