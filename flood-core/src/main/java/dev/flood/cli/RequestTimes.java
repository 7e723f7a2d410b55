package dev.flood.cli;

import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import java.util.Arrays;
import java.util.List;

/**
 * When each benchmark request was submitted, produced its first token and completed, in {@link System#nanoTime}
 * nanoseconds (0 = not yet). Written by the engine's thread through each request's listener and read after every
 * request's future has completed, which orders the writes before the reads.
 */
final class RequestTimes {

    private final long[] submitNanos;
    private final long[] firstTokenNanos;
    private final long[] doneNanos;

    RequestTimes(int numRequests) {
        submitNanos = new long[numRequests];
        firstTokenNanos = new long[numRequests];
        doneNanos = new long[numRequests];
    }

    void submitted(int request) {
        submitNanos[request] = System.nanoTime();
    }

    GenerationListener listener(int request) {
        return new GenerationListener() {
            @Override
            public void onTokens(String textDelta, List<Integer> newTokenIds) {
                if (firstTokenNanos[request] == 0) {
                    firstTokenNanos[request] = System.nanoTime();
                }
            }

            @Override
            public void onComplete(GenerationResult result) {
                doneNanos[request] = System.nanoTime();
            }
        };
    }

    /** From the first submit to the last completion. */
    double wallSeconds() {
        long first = Arrays.stream(submitNanos).min().orElse(0);
        long last = Arrays.stream(doneNanos).max().orElse(0);
        return (last - first) / 1e9;
    }

    /** Per request that produced a token: submit to first token. */
    double[] timeToFirstTokenMillis() {
        double[] millis = new double[submitNanos.length];
        int n = 0;
        for (int i = 0; i < submitNanos.length; i++) {
            if (firstTokenNanos[i] != 0) {
                millis[n++] = (firstTokenNanos[i] - submitNanos[i]) / 1e6;
            }
        }
        return Arrays.copyOf(millis, n);
    }

    /** Per request with two or more tokens: first token to completion over the tokens after the first. */
    double[] timePerOutputTokenMillis(List<GenerationResult> results) {
        double[] millis = new double[results.size()];
        int n = 0;
        for (int i = 0; i < results.size(); i++) {
            int tokens = results.get(i).completionTokens();
            if (tokens > 1 && firstTokenNanos[i] != 0) {
                millis[n++] = (doneNanos[i] - firstTokenNanos[i]) / 1e6 / (tokens - 1);
            }
        }
        return Arrays.copyOf(millis, n);
    }
}
