package dev.flood.backend;

/**
 * Which rows of a step's final hidden states to score, and against what: row {@code rows[i]} (an index into the
 * step's tokens) is scored against token {@code targets[i]}, with the {@code topN} most likely tokens of that
 * row as well (0 for none). Built per step by the engine; read by {@link Backend#lmHeadLogprobs}.
 *
 * @param rows    [n] token rows of the hidden states
 * @param targets [n] the token whose log-probability each row reports
 * @param topN    most likely tokens reported per row, 0 for none
 */
public record ScoredRows(int[] rows, int[] targets, int topN) {

    public ScoredRows {
        if (rows.length != targets.length) {
            throw new IllegalArgumentException(rows.length + " scored rows with " + targets.length + " targets");
        }
        if (topN < 0) {
            throw new IllegalArgumentException("topN must be >= 0, got " + topN);
        }
    }

    /** Fails unless every row is in {@code [0, numTokens)} and every target in {@code [0, vocab)}. */
    public static void check(ScoredRows scored, int numTokens, int vocab) {
        for (int i = 0; i < scored.size(); i++) {
            if (scored.rows[i] < 0 || scored.rows[i] >= numTokens) {
                throw new IllegalArgumentException("lmHeadLogprobs: row " + scored.rows[i] + " outside [0, "
                        + numTokens + ")");
            }
            if (scored.targets[i] < 0 || scored.targets[i] >= vocab) {
                throw new IllegalArgumentException("token id " + scored.targets[i] + " of scored row " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
    }

    public int size() {
        return rows.length;
    }

    /** Rows {@code from .. from + count} of this list, as their own list. */
    public ScoredRows slice(int from, int count) {
        return new ScoredRows(java.util.Arrays.copyOfRange(rows, from, from + count),
                java.util.Arrays.copyOfRange(targets, from, from + count), topN);
    }
}
