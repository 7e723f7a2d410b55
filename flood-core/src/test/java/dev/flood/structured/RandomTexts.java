package dev.flood.structured;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random texts of a {@link ByteDfa}'s language, for checking a compiler's output without a model: a walk picks
 * uniformly among the distinct states the next byte can lead to (so that structural choices, not the width of a
 * byte class, decide), stops at an accepting state with some probability, and past a length budget only takes
 * bytes that bring acceptance closer.
 */
final class RandomTexts {

    private final ByteDfa dfa;
    private final int[] distance;   // [state] fewest bytes to an accepting state

    RandomTexts(ByteDfa dfa) {
        this.dfa = dfa;
        this.distance = new int[dfa.numStates()];
        Arrays.fill(distance, Integer.MAX_VALUE);
        for (int s = 0; s < dfa.numStates(); s++) {
            if (dfa.isAccepting(s)) {
                distance[s] = 0;
            }
        }
        for (boolean changed = true; changed; ) {
            changed = false;
            for (int s = 0; s < dfa.numStates(); s++) {
                for (int b = 0; b < 256; b++) {
                    int t = dfa.next(s, b);
                    if (t != ByteDfa.DEAD && distance[t] != Integer.MAX_VALUE && distance[t] + 1 < distance[s]) {
                        distance[s] = distance[t] + 1;
                        changed = true;
                    }
                }
            }
        }
    }

    byte[] next(SplittableRandom random, int budget) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int state = 0;
        while (true) {
            boolean over = out.size() >= budget;
            if (dfa.isAccepting(state) && (dfa.isFinal(state) || over || random.nextInt(8) == 0)) {
                return out.toByteArray();
            }
            List<Integer> targets = new ArrayList<>();
            for (int b = 0; b < 256; b++) {
                int t = dfa.next(state, b);
                if (t != ByteDfa.DEAD && !targets.contains(t) && (!over || distance[t] < distance[state])) {
                    targets.add(t);
                }
            }
            int target = targets.get(random.nextInt(targets.size()));
            List<Integer> bytes = new ArrayList<>();
            for (int b = 0; b < 256; b++) {
                if (dfa.next(state, b) == target) {
                    bytes.add(b);
                }
            }
            int b = bytes.get(random.nextInt(bytes.size()));
            out.write(b);
            state = target;
        }
    }
}
