package dev.flood.sampling;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopStringsTest {

    private final long runSeed = RandomLogits.freshSeed();

    @Test
    void findsAStopStringThatStraddlesChunks() {
        StopStrings stops = new StopStrings(List.of("STOP", "</end>"));
        StringBuilder text = new StringBuilder("Hello wor");
        assertEquals(-1, stops.findStop(text, 0));
        int searched = text.length();
        text.append("ld. ST");
        assertEquals(-1, stops.findStop(text, searched));
        assertEquals(2, stops.holdBack(text), "\"ST\" may begin STOP");
        searched = text.length();
        text.append("OP and more");
        assertEquals(13, stops.findStop(text, searched));
        assertEquals("Hello world. ", text.substring(0, stops.findStop(text, searched)));
    }

    @Test
    void returnsTheEarliestOfSeveralStopStrings() {
        StopStrings stops = new StopStrings(List.of("bar", "foo bar", "o b"));
        assertEquals(3, stops.findStop("xx foo bar baz", 0));
        assertEquals(7, new StopStrings(List.of("bar", "baz")).findStop("xx foo bar baz", 0));
    }

    @Test
    void searchesOnlyWhereANewMatchCouldStart() {
        StopStrings stops = new StopStrings(List.of("ab", "xyz"));
        // Longest stop is 3 long: with 7 characters searched, a new match starts at index 5 or later.
        assertEquals(-1, stops.findStop("abcdefg", 7), "\"ab\" at 0 lies in text already searched");
        assertEquals(5, stops.findStop("cdefgab", 7));
        assertEquals(0, stops.findStop("abcdefg", 2));
    }

    @Test
    void holdsBackTheLongestPartialPrefix() {
        StopStrings stops = new StopStrings(List.of("</end>", "STOP", "<|im_end|>"));
        assertEquals(3, stops.holdBack("abc</e"));
        assertEquals(1, stops.holdBack("abcS"));
        assertEquals(1, stops.holdBack("abc<"));
        assertEquals(4, stops.holdBack("x<|im"));
        assertEquals(0, stops.holdBack("abc"));
        assertEquals(0, stops.holdBack("abcSTOP"), "a whole stop string is findStop's business");
        assertEquals(2, stops.holdBack("</"), "the whole text may be held back");
        assertEquals(0, stops.holdBack(""));
    }

    @Test
    void noStopStringsNeverMatchNorHoldBack() {
        StopStrings none = new StopStrings(List.of());
        assertEquals(-1, none.findStop("anything at all", 0));
        assertEquals(0, none.holdBack("anything at all"));
        assertEquals(-1, new StopStrings(List.of("zz")).findStop("no match here", 0));
    }

    @Test
    void streamingByTheDocumentedProtocolNeverShowsAStopString() {
        // Random text over a 3-letter alphabet in random chunks, streamed as StopStrings' class comment says:
        // the streamed prefix never shrinks, never contains a stop string, and ends up equal to the text before
        // the first stop string.
        SplittableRandom rng = new SplittableRandom(runSeed);
        List<String> stopList = List.of("abca", "cc", "bab");
        StopStrings stops = new StopStrings(stopList);
        for (int trial = 0; trial < 200; trial++) {
            StringBuilder text = new StringBuilder();
            int streamed = 0;
            int stop = -1;
            while (stop < 0 && text.length() < 60) {
                int searched = text.length();
                for (int i = rng.nextInt(1, 4); i > 0; i--) {
                    text.append((char) ('a' + rng.nextInt(3)));
                }
                stop = stops.findStop(text, searched);
                int streamable = stop >= 0 ? stop : text.length() - stops.holdBack(text);
                assertTrue(streamable >= streamed, "seed " + runSeed + ": " + text);
                streamed = streamable;
                for (String s : stopList) {
                    assertFalse(text.substring(0, streamed).contains(s), "seed " + runSeed + ": " + text);
                }
            }
            int firstStop = stopList.stream().mapToInt(s -> text.indexOf(s)).filter(i -> i >= 0).min().orElse(-1);
            assertEquals(firstStop, stop, "seed " + runSeed + ": " + text);
        }
    }

    @Test
    void rejectsEmptyStopsAndSearchStartsOutsideTheText() {
        assertEquals("stop strings must be non-empty, got [a, ]", assertThrows(IllegalArgumentException.class,
                () -> new StopStrings(List.of("a", ""))).getMessage());
        assertEquals("searchFrom 5 is outside the text [0, 3]", assertThrows(IllegalArgumentException.class,
                () -> new StopStrings(List.of("a")).findStop("abc", 5)).getMessage());
    }
}
