package dev.flood.backend.cuda;

import dev.flood.backend.ForwardBatch;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The batches {@link CudaGraphsTest} feeds both its backends: a prefill of {@code numSeqs} requests, then decode
 * steps of the first {@code rows} requests. Request s holds slots {@code [s * slotsPerSeq, ..)} in one extent; its
 * prompt is {@code longPrompt} tokens for s = 0 and {@code 1 + s % 7} otherwise; token ids are fixed by request and
 * position, so two instances give equal batches. A decode step of {@code rows} rows is a batch of {@code rows}
 * requests (numSeqs == numTokens), as the engine's decode steps are: the requests left out are not in it at all.
 */
final class DecodeStepBatches {

    private final int vocab;
    private final int slotsPerSeq;
    private final int longPrompt;
    private final int[] contextLens;   // [numSeqs]: every request's context after its last step

    DecodeStepBatches(int vocab, int numSeqs, int slotsPerSeq, int longPrompt) {
        this.vocab = vocab;
        this.slotsPerSeq = slotsPerSeq;
        this.longPrompt = longPrompt;
        this.contextLens = new int[numSeqs];
    }

    private int token(int seq, int position) {
        return (seq * 131 + position * 17 + 3) % vocab;
    }

    ForwardBatch prefill() {
        for (int s = 0; s < contextLens.length; s++) {
            contextLens[s] = s == 0 ? longPrompt : 1 + s % 7;
        }
        return step(contextLens.length, contextLens.clone());
    }

    /** One new token for each of requests 0 .. rows - 1. */
    ForwardBatch decode(int rows) {
        if (rows < 1 || rows > contextLens.length) {
            throw new IllegalArgumentException("a decode step of " + rows + " of " + contextLens.length + " requests");
        }
        int[] queryLens = new int[rows];
        for (int s = 0; s < rows; s++) {
            contextLens[s]++;
            queryLens[s] = 1;
        }
        return step(rows, queryLens);
    }

    /** The first {@code seqs} requests, each with its {@code queryLens[s]} newest context tokens as queries. */
    private ForwardBatch step(int seqs, int[] queryLens) {
        int numTokens = IntStream.of(queryLens).sum();
        int[] tokenIds = new int[numTokens];
        int[] positions = new int[numTokens];
        int[] slots = new int[numTokens];
        int[] cuSeqlensQ = new int[seqs + 1];
        int[] cuExtents = new int[seqs + 1];
        int[] starts = new int[seqs];
        int[] lengths = new int[seqs];
        int[] logitRows = new int[seqs];
        int row = 0;
        for (int s = 0; s < seqs; s++) {
            int first = contextLens[s] - queryLens[s];
            for (int i = 0; i < queryLens[s]; i++, row++) {
                positions[row] = first + i;
                tokenIds[row] = token(s, first + i);
                slots[row] = s * slotsPerSeq + first + i;
            }
            cuSeqlensQ[s + 1] = row;
            cuExtents[s + 1] = s + 1;
            starts[s] = s * slotsPerSeq;
            lengths[s] = contextLens[s];
            logitRows[s] = row - 1;
        }
        // contextLens of the step's requests only: numSeqs is contextLens.length (ForwardBatch)
        return new ForwardBatch(tokenIds, positions, slots, cuSeqlensQ, Arrays.copyOf(contextLens, seqs), cuExtents,
                starts, lengths, logitRows);
    }
}
