package dev.flood.sampling;

import java.util.List;

/**
 * Finds a request's stop strings in its growing output text, and says how much of the text is safe to stream.
 *
 * <p>How the engine uses it, after appending each new token's text to the request's output {@code text}:
 * <ol>
 *   <li>{@code stop = findStop(text, checkedLength)}, where {@code checkedLength} is the length of the text
 *       already searched (its length before this step). A match may straddle the old and new text.
 *   <li>If {@code stop >= 0}: generation ends; the final text is {@code text[0, stop)} (the stop string and
 *       whatever followed it in the same step are dropped). Stream whatever of that prefix is not yet streamed.
 *   <li>Otherwise stream {@code text[streamed, text.length() - holdBack(text))}: the held-back tail might be
 *       the start of a stop string that the next token completes, and once streamed it could not be taken back.
 * </ol>
 * The streamable length {@code text.length() - holdBack(text)} never decreases as the text grows: a held-back
 * suffix that grows by {@code d} characters was, without them, a held-back suffix of the old text.
 */
public final class StopStrings {

    private final List<String> stops;
    private final int longestStop;

    /** @param stops the request's stop strings, each non-empty; an empty list never matches */
    public StopStrings(List<String> stops) {
        this.stops = List.copyOf(stops);
        int longest = 0;
        for (String stop : this.stops) {
            if (stop.isEmpty()) {
                throw new IllegalArgumentException("stop strings must be non-empty, got " + this.stops);
            }
            longest = Math.max(longest, stop.length());
        }
        this.longestStop = longest;
    }

    /**
     * The index in {@code text} where the earliest occurrence of any stop string starts, or -1. Only matches
     * that end after {@code searchFrom} are new, so the search starts at {@code max(0, searchFrom - longest +
     * 1)}, where {@code longest} is the longest stop string's length.
     *
     * @param searchFrom the length of the text already searched, in [0, text.length()]
     */
    public int findStop(CharSequence text, int searchFrom) {
        if (searchFrom < 0 || searchFrom > text.length()) {
            throw new IllegalArgumentException("searchFrom " + searchFrom + " is outside the text [0, "
                    + text.length() + "]");
        }
        for (int start = Math.max(0, searchFrom - longestStop + 1); start < text.length(); start++) {
            for (String stop : stops) {
                if (matchesAt(text, start, stop, stop.length())) {
                    return start;
                }
            }
        }
        return -1;
    }

    /**
     * How many trailing characters of {@code text} must not be streamed yet: the length of the longest suffix of
     * {@code text} that is a proper prefix (shorter than the whole) of some stop string; 0 if none.
     */
    public int holdBack(CharSequence text) {
        for (int length = Math.min(longestStop - 1, text.length()); length > 0; length--) {
            int start = text.length() - length;
            for (String stop : stops) {
                if (stop.length() > length && matchesAt(text, start, stop, length)) {
                    return length;
                }
            }
        }
        return 0;
    }

    /** Whether {@code text[start, start + length)} equals {@code stop[0, length)} and lies inside the text. */
    private static boolean matchesAt(CharSequence text, int start, String stop, int length) {
        if (start + length > text.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (text.charAt(start + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
