package dev.flood.engine;

import dev.flood.backend.ForwardBatch;
import dev.flood.backend.OutputSpec;
import dev.flood.cache.Extent;
import dev.flood.engine.pipeline.MicroBatch;
import dev.flood.sampling.Draw;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One step (a micro-batch of the pipeline): the requests it runs, how many tokens each feeds, and the
 * {@link ForwardBatch} and {@link OutputSpec} built from them. Everything post-processing needs is taken from the
 * requests here, when the step is planned: by the time it is collected, later steps have moved them on.
 *
 * <p>Logit rows are generation rows only, in entry order: an entry's last row if that row ends the tokens known
 * or being drawn (the step then draws the next one). Scored rows need no logits: a scoring entry names the
 * token rows it {@link Scoring#scores} and their targets ({@link OutputSpec#scoreRows()}), whose log-probabilities
 * the last stage reads from the hidden states in bounded memory. A generation whose next input is a token the
 * previous step is still drawing feeds it as a deferred token: the backend reads it where that step drew it.
 *
 * @param id           the step's number in launch order
 * @param entries      one per scheduled request
 * @param promptTokens prompt tokens the step feeds (prefill and scoring, recomputation included)
 */
record StepPlan(long id, List<Entry> entries, ForwardBatch batch, OutputSpec outputs, int promptTokens)
        implements MicroBatch {

    /** A request and the number of its tokens the scheduler gives this step. */
    record Scheduled(Sequence sequence, int numTokens) {
    }

    /**
     * What one request feeds and gets back: tokens {@code first .. first + numTokens}, the sample row of its
     * draw (-1: none), and its scores {@code scoreRow .. scoreRow + numScores} in the output spec's order (the
     * positions it {@link Scoring#scores}, in order).
     */
    record Entry(Sequence sequence, int first, int numTokens, int sampleRow, int scoreRow, int numScores) {
    }

    static StepPlan of(long id, List<Scheduled> scheduled) {
        int numTokens = scheduled.stream().mapToInt(Scheduled::numTokens).sum();
        int numExtents = scheduled.stream().mapToInt(s -> s.sequence().cache().numExtents()).sum();
        int numSeqs = scheduled.size();
        int[] tokenIds = new int[numTokens];
        int[] deferred = new int[numTokens];
        int[] positions = new int[numTokens];
        int[] slotMapping = new int[numTokens];
        int[] cuSeqlensQ = new int[numSeqs + 1];
        int[] contextLens = new int[numSeqs];
        int[] cuExtents = new int[numSeqs + 1];
        int[] extentStarts = new int[numExtents];
        int[] extentLengths = new int[numExtents];
        int[] logitRows = new int[numTokens];
        List<Integer> sampleRows = new ArrayList<>();
        List<Draw> draws = new ArrayList<>();
        List<Integer> scoreRows = new ArrayList<>();
        List<Integer> scoreTargets = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        int numLogitRows = 0;
        int promptTokens = 0;
        int row = 0;
        int extent = 0;
        for (int r = 0; r < numSeqs; r++) {
            Sequence sequence = scheduled.get(r).sequence();
            int first = sequence.numFed();
            int count = scheduled.get(r).numTokens();
            int known = sequence.numTokens();
            int end = known + sequence.pendingSamples();   // tokens known or being drawn
            int sampleRow = -1;
            int scoreRow = scoreRows.size();
            if (first < sequence.cache().sharedTokens()) {
                throw new IllegalStateException("request " + sequence.serial + " would write position " + first
                        + " into read-only cached slots (its first " + sequence.cache().sharedTokens() + ")");
            }
            sequence.cache().slots(first, count, slotMapping, row);
            for (int i = 0; i < count; i++) {
                int position = first + i;
                positions[row + i] = position;
                if (position < known) {
                    tokenIds[row + i] = sequence.token(position);
                    deferred[row + i] = -1;
                } else if (position == end - 1 && sequence.drawsIn(id - 1)) {
                    deferred[row + i] = sequence.lastSampleRow();
                } else {
                    throw new IllegalStateException("request " + sequence.serial + " feeds position " + position
                            + ", which is neither known (" + known + " tokens) nor drawn by step " + (id - 1));
                }
                promptTokens += position < sequence.promptLength ? 1 : 0;
                if (sequence.work instanceof Generation generation) {
                    if (position + 1 == end) {
                        logitRows[numLogitRows] = row + i;
                        sampleRow = sampleRows.size();
                        sampleRows.add(numLogitRows++);
                        draws.add(new Draw(generation.samplingState(), end - sequence.promptLength));
                    }
                } else if (sequence.work instanceof Scoring scoring && scoring.scores(position, known)) {
                    scoreRows.add(row + i);
                    scoreTargets.add(sequence.token(position + 1));
                }
            }
            entries.add(new Entry(sequence, first, count, sampleRow, scoreRow, scoreRows.size() - scoreRow));
            row += count;
            cuSeqlensQ[r + 1] = row;
            contextLens[r] = first + count;
            for (Extent e : sequence.cache().extents()) {
                extentStarts[extent] = e.start();
                extentLengths[extent] = e.length();
                extent++;
            }
            cuExtents[r + 1] = extent;
        }
        ForwardBatch batch = new ForwardBatch(tokenIds, positions, slotMapping, cuSeqlensQ, contextLens, cuExtents,
                extentStarts, extentLengths, Arrays.copyOf(logitRows, numLogitRows), deferred);
        OutputSpec outputs = new OutputSpec(toArray(sampleRows), draws, toArray(scoreRows), toArray(scoreTargets));
        return new StepPlan(id, List.copyOf(entries), batch, outputs, promptTokens);
    }

    /** Records in each request that this step was launched. */
    void markLaunched() {
        for (Entry entry : entries) {
            entry.sequence().launched(id, entry.numTokens(), entry.sampleRow());
        }
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    private static int[] toArray(List<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).toArray();
    }
}
