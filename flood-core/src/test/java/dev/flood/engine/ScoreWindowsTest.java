package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The windows against a line-by-line transcription of the loop in transformers' "Perplexity of fixed-length
 * models" guide: which tokens each window runs, and which of them it scores (labels not masked to -100, minus the
 * window's first token, which the model's label shift never predicts).
 */
class ScoreWindowsTest {

    /** One pass of the guide's loop: the window's tokens [begin, end) and the absolute positions it scores. */
    private record GuideWindow(int begin, int end, List<Integer> scored) {
    }

    /** The guide's loop, kept in its own terms (trg_len, prev_end_loc) on purpose. */
    private static List<GuideWindow> guide(int seqLen, int maxLength, int stride) {
        List<GuideWindow> windows = new ArrayList<>();
        int prevEndLoc = 0;
        for (int beginLoc = 0; beginLoc < seqLen; beginLoc += stride) {
            int endLoc = Math.min(beginLoc + maxLength, seqLen);
            int trgLen = endLoc - prevEndLoc;
            int windowLength = endLoc - beginLoc;
            List<Integer> scored = new ArrayList<>();
            // target_ids[:, :-trg_len] = -100; then the model predicts labels 1.. of the window from logits 0..
            for (int label = Math.max(0, windowLength - trgLen); label < windowLength; label++) {
                if (label >= 1) {
                    scored.add(beginLoc + label);
                }
            }
            windows.add(new GuideWindow(beginLoc, endLoc, scored));
            prevEndLoc = endLoc;
            if (endLoc == seqLen) {
                break;
            }
        }
        return windows;
    }

    @Test
    void windowsAreTheGuidesForEverySmallCase() {
        for (int seqLen = 2; seqLen <= 40; seqLen++) {
            for (int maxLength = 2; maxLength <= 12; maxLength++) {
                for (int stride = 1; stride < maxLength; stride++) {
                    String where = seqLen + " tokens, max_length " + maxLength + ", stride " + stride;
                    List<GuideWindow> expected = guide(seqLen, maxLength, stride);
                    List<ScoreWindows.Window> actual = ScoreWindows.of(seqLen, maxLength, stride);
                    assertEquals(expected.size(), actual.size(), where);
                    int next = 1;
                    for (int w = 0; w < actual.size(); w++) {
                        ScoreWindows.Window window = actual.get(w);
                        GuideWindow reference = expected.get(w);
                        assertEquals(reference.begin(), window.begin(), where);
                        assertEquals(reference.end(), window.end(), where);
                        List<Integer> scored = new ArrayList<>();
                        for (int p = window.firstTarget(); p < window.end(); p++) {
                            scored.add(p);
                        }
                        assertEquals(reference.scored(), scored, where + ", window " + w);
                        assertEquals(window.firstTarget() - window.begin() - 1, window.firstScoredPosition());
                        // every token from 1 on exactly once, in order, with the context the window allows
                        assertEquals(next, window.firstTarget(), where);
                        next = window.end();
                        if (w > 0) {
                            assertTrue(window.firstTarget() - window.begin() >= maxLength - stride, where);
                        }
                    }
                    assertEquals(seqLen, next, where);
                }
            }
        }
    }

    @Test
    void aTextThatFitsIsOneWindow() {
        assertEquals(List.of(new ScoreWindows.Window(0, 512, 1)), ScoreWindows.of(512, 512, 256));
        assertEquals(List.of(new ScoreWindows.Window(0, 2, 1)), ScoreWindows.of(2, 512, 256));
    }

    @Test
    void theLastWindowIsTheFirstToReachTheEnd() {
        assertEquals(List.of(new ScoreWindows.Window(0, 512, 1), new ScoreWindows.Window(256, 768, 512),
                new ScoreWindows.Window(512, 800, 768)), ScoreWindows.of(800, 512, 256));
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ScoreWindows.of(1, 4, 2));
        assertThrows(IllegalArgumentException.class, () -> ScoreWindows.of(10, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> ScoreWindows.of(10, 4, 0));
    }
}
