package dev.flood.cli;

import dev.flood.backend.ForwardBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The two steps {@code flood bench --profile} times, laid out as the scheduler would batch workload W in its steady
 * state, each request in one cache extent of its own:
 * <ul>
 *   <li>decode: {@code running} requests, one token each; request i has prompt i of the workload (cut to leave
 *       room for the output) and has generated {@code 1 + (97 i mod (outputTokens - 1))} tokens, so contexts
 *       spread over the whole generation as they do when requests started at different times;
 *   <li>mixed: the same decodes, then prefill chunks of the next prompts filling the step budget (the last
 *       chunk cut short), each a first chunk; rows whose chunk completes its prompt sample a token.
 * </ul>
 * Decode rows come first, as the scheduler orders them, and take their tokens from the previous step's draws
 * (deferred tokens: decode row i is that step's sample row i), as with steps in flight. Cache slots: the decode
 * requests' extents, then the prefill requests', back to back from slot 0.
 */
final class ProfileSteps {

    /** One step: its batch, and what is in it. */
    record Step(String name, ForwardBatch batch, int decodes, int prefillTokens, double meanDecodeContext) {
    }

    private final Workload workload;
    private final int running;
    private final int budget;
    private final int vocabSize;
    private final int maxPromptTokens;
    private final int[] decodeContexts;
    private final int decodeSlots;

    private ProfileSteps(Workload workload, int running, int budget, int vocabSize, int maxPositions) {
        this.workload = workload;
        this.running = running;
        this.budget = budget;
        this.vocabSize = vocabSize;
        this.maxPromptTokens = maxPositions - workload.outputTokens();
        if (maxPromptTokens < 1) {
            throw new IllegalArgumentException(workload.outputTokens() + " output tokens leave no room for a prompt in "
                    + maxPositions + " positions");
        }
        this.decodeContexts = new int[running];
        int slots = 0;
        for (int i = 0; i < running; i++) {
            int generated = workload.outputTokens() == 1 ? 1 : 1 + (97 * i) % (workload.outputTokens() - 1);
            decodeContexts[i] = promptLength(i) + generated;
            slots += decodeContexts[i];
        }
        this.decodeSlots = slots;
    }

    /** The steps for {@code running} requests in steps of {@code budget} tokens, for a model of these sizes. */
    static ProfileSteps of(Workload workload, int running, int budget, int vocabSize, int maxPositions) {
        if (running < 1 || running > budget) {
            throw new IllegalArgumentException("the profile needs 1 <= running <= step budget, got " + running
                    + " running in steps of " + budget + " tokens");
        }
        return new ProfileSteps(workload, running, budget, vocabSize, maxPositions);
    }

    private int promptLength(int request) {
        return Math.min(workload.inputLengths().get(request % workload.inputLengths().size()), maxPromptTokens);
    }

    /** Cache slots both steps need. */
    int capacityTokens() {
        int slots = decodeSlots;
        int left = budget - running;
        for (int j = running; left > 0; j++) {
            int chunk = Math.min(promptLength(j), left);
            slots += chunk;
            left -= chunk;
        }
        return slots;
    }

    Step decode() {
        return build("decode", List.of());
    }

    /** The mixed step, or none when the budget has no room beside the decodes. */
    Optional<Step> mixed() {
        List<int[]> chunks = new ArrayList<>();   // {request, chunk length, prompt length}
        int left = budget - running;
        for (int j = running; left > 0; j++) {
            int chunk = Math.min(promptLength(j), left);
            chunks.add(new int[] {j, chunk, promptLength(j)});
            left -= chunk;
        }
        return chunks.isEmpty() ? Optional.empty() : Optional.of(build("mixed", chunks));
    }

    private Step build(String name, List<int[]> chunks) {
        int prefillTokens = chunks.stream().mapToInt(c -> c[1]).sum();
        BatchArrays arrays = new BatchArrays(running + prefillTokens, running + chunks.size());
        long contextSum = 0;
        for (int i = 0; i < running; i++) {
            int context = decodeContexts[i];
            arrays.deferredTokens[arrays.rows] = i;
            arrays.request(new int[] {Workload.promptTokens(i, 1, vocabSize).get(0)}, context - 1, context);
            arrays.logitRows.add(arrays.rows - 1);
            contextSum += context;
        }
        for (int[] chunk : chunks) {
            int length = chunk[1];
            int[] ids = Workload.promptTokens(chunk[0], length, vocabSize).stream().mapToInt(Integer::intValue)
                    .toArray();
            arrays.request(ids, 0, length);
            if (length == chunk[2]) {
                arrays.logitRows.add(arrays.rows - 1);
            }
        }
        return new Step(name, arrays.batch(), running, prefillTokens, (double) contextSum / running);
    }

    /** The arrays of a batch, filled one request at a time, each request's context in one extent after the last. */
    private static final class BatchArrays {
        final int[] tokenIds;
        final int[] positions;
        final int[] slots;
        final int[] cuSeqlensQ;
        final int[] contextLens;
        final int[] cuExtents;
        final int[] extentStarts;
        final int[] extentLengths;
        final int[] deferredTokens;
        final List<Integer> logitRows = new ArrayList<>();
        int rows;
        int seqs;
        int nextSlot;

        BatchArrays(int numTokens, int numSeqs) {
            tokenIds = new int[numTokens];
            positions = new int[numTokens];
            slots = new int[numTokens];
            cuSeqlensQ = new int[numSeqs + 1];
            contextLens = new int[numSeqs];
            cuExtents = new int[numSeqs + 1];
            extentStarts = new int[numSeqs];
            extentLengths = new int[numSeqs];
            deferredTokens = new int[numTokens];
            java.util.Arrays.fill(deferredTokens, -1);
        }

        /** A request whose query {@code ids} start at {@code firstPosition} of a context of {@code context}. */
        void request(int[] ids, int firstPosition, int context) {
            for (int k = 0; k < ids.length; k++) {
                tokenIds[rows + k] = ids[k];
                positions[rows + k] = firstPosition + k;
                slots[rows + k] = nextSlot + firstPosition + k;
            }
            rows += ids.length;
            cuSeqlensQ[seqs + 1] = rows;
            contextLens[seqs] = context;
            cuExtents[seqs + 1] = seqs + 1;
            extentStarts[seqs] = nextSlot;
            extentLengths[seqs] = context;
            seqs++;
            nextSlot += context;
        }

        ForwardBatch batch() {
            return new ForwardBatch(tokenIds, positions, slots, cuSeqlensQ, contextLens, cuExtents, extentStarts,
                    extentLengths, logitRows.stream().mapToInt(Integer::intValue).toArray(), deferredTokens);
        }
    }
}
