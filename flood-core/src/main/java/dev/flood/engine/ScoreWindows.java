package dev.flood.engine;

import dev.flood.api.ScoreResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Hugging Face's strided sliding windows over a text longer than the model reads at once (transformers'
 * "Perplexity of fixed-length models"): windows of at most {@code maxLength} tokens begin at 0, stride,
 * 2 * stride, ...; each scores the tokens from where the previous window ended to its own end, given the tokens
 * of the window before them; the last window is the first that reaches the text's end. Every token from 1 on is
 * scored exactly once, and a token scored by a later window has at least {@code maxLength - stride} tokens of
 * context. A text of at most {@code maxLength} tokens is one window.
 */
final class ScoreWindows {

    /**
     * Tokens {@code begin .. end} run through the model as one sequence; tokens {@code firstTarget .. end} are
     * scored, each given the window's tokens before it ({@code firstTarget > begin}).
     */
    record Window(int begin, int end, int firstTarget) {

        Window {
            if (!(0 <= begin && begin < firstTarget && firstTarget <= end)) {
                throw new IllegalArgumentException("window [" + begin + ", " + end + ") scoring from " + firstTarget);
            }
        }

        int length() {
            return end - begin;
        }

        /** The window's own position whose next-token log-probability is the first it reports. */
        int firstScoredPosition() {
            return firstTarget - begin - 1;
        }
    }

    private ScoreWindows() {
    }

    /** The windows of a text of {@code numTokens >= 2} tokens; {@code 0 < stride < maxLength}. */
    static List<Window> of(int numTokens, int maxLength, int stride) {
        if (numTokens < 2 || stride < 1 || stride >= maxLength) {
            throw new IllegalArgumentException("windows of " + numTokens + " tokens with max_length " + maxLength
                    + " and stride " + stride);
        }
        List<Window> windows = new ArrayList<>();
        int previousEnd = 0;
        for (int begin = 0; ; begin += stride) {
            int end = Math.min(begin + maxLength, numTokens);
            windows.add(new Window(begin, end, Math.max(previousEnd, begin + 1)));
            if (end == numTokens) {
                return windows;
            }
            previousEnd = end;
        }
    }

    /**
     * The result of the whole text {@code ids} from its windows' results, in window order: their
     * log-probabilities one after the other (each window reports only its own targets), or the first window's
     * error.
     */
    static CompletableFuture<ScoreResult> combine(int[] ids, List<CompletableFuture<ScoreResult>> windows) {
        return CompletableFuture.allOf(windows.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            List<Double> logprobs = new ArrayList<>(ids.length - 1);
            for (int w = 0; w < windows.size(); w++) {
                ScoreResult part = windows.get(w).join();
                if (part.isError()) {
                    return ScoreResult.failed("window " + (w + 1) + " of " + windows.size() + ": " + part.error());
                }
                logprobs.addAll(part.tokenLogprobs());
            }
            return ScoreResult.of(Arrays.stream(ids).boxed().toList(), logprobs, windows.size());
        });
    }
}
