package dev.flood.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regexes against {@link java.util.regex.Pattern} as the reference: for each pattern, many random strings over a
 * small alphabet (so that matches are common) must match the automaton exactly when Java's full match says so.
 */
class RegexLanguageTest {

    static ByteDfa dfa(Regular regular) {
        return ByteDfa.of(ByteNfa.of(regular, 200_000), 50_000);
    }

    static boolean matches(ByteDfa dfa, String text) {
        return dfa.matches(text.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a*b", "(ab|ba)+c?", "[a-c]{2,4}", "a{3}", "(a|b){0,3}c", "[^ab]+", "\\d+\\.\\d*",
            "(?:ab)*(?:c|é)", "x[a-c\\d]*y", "\\w\\s\\W", "a.c", "(a|)b", "é{2}|[α-ω]+", "[\\-a]+", "a{2,}", "[]a]b"})
    void agreesWithJavaRegex(String pattern) {
        ByteDfa dfa = dfa(RegexParser.parse(pattern));
        Pattern reference = Pattern.compile(pattern);
        String alphabet = "abcxy1.é-α] \n";
        Random random = new Random(pattern.hashCode());
        int matched = 0;
        for (int i = 0; i < 20_000; i++) {
            StringBuilder s = new StringBuilder();
            for (int n = random.nextInt(7); n > 0; n--) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            boolean expected = reference.matcher(s).matches();
            assertEquals(expected, matches(dfa, s.toString()), pattern + " on '" + s + "'");
            matched += expected ? 1 : 0;
        }
        assertTrue(matched > 0, pattern + ": the sample holds matches");
    }

    @Test
    void anchorsAtTheEndsAreAccepted() {
        ByteDfa dfa = dfa(RegexParser.parse("^(ab)+$"));
        assertTrue(matches(dfa, "abab"));
        assertFalse(matches(dfa, "aba"));
        assertTrue(matches(dfa(RegexParser.parse("(?i)yes|no")), "YeS"));
    }

    @Test
    void whatNoAutomatonCanDoIsRefusedByName() {
        assertEquals("regex '(a)\\1' has a backreference, which no finite automaton can check at character 4",
                assertThrows(IllegalArgumentException.class, () -> RegexParser.parse("(a)\\1")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RegexParser.parse("a(?=b)")).getMessage()
                .contains("lookaround"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RegexParser.parse("\\bword")).getMessage()
                .contains("word boundary"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RegexParser.parse("a^b")).getMessage()
                .contains("'^' that is not at the start"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RegexParser.parse("(ab")).getMessage()
                .contains("never closed"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RegexParser.parse("a{200000}")).getMessage()
                .contains("more than 100000"));
    }

    @Test
    void hugeAutomataAreRefusedBeforeTheyAreBuilt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ByteNfa.of(RegexParser.parse("((a{1000}){1000}){1000}"), 200_000));
        assertTrue(e.getMessage().startsWith("it needs about"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> dfa(RegexParser.parse("(a|b)*a(a|b){20}")));
        assertEquals("its automaton needs more than 50000 states", e.getMessage());
    }
}
