package dev.flood.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FloodException;
import dev.flood.api.ResponseFormat;
import dev.flood.sampling.TokenConstraint;
import dev.flood.tokenizer.SyntheticTokenizers;
import dev.flood.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token masks over the demo model's vocabulary (4096 byte-level tokens, EOS = 1): each mask against a token-by-token
 * check, and random walks that pick any allowed token (EOS a quarter of the time it is allowed) against the
 * format's reference (the schema validator, Java's regex).
 */
class TokenAutomatonTest {

    private static final int EOS = 1;
    private static Tokenizer tokenizer;
    private static ConstraintCompiler compiler;

    @BeforeAll
    static void open() {
        tokenizer = Tokenizer.load(Path.of("..", "models", "flood-demo"));
        compiler = new ConstraintCompiler(tokenizer, 4096, Set.of(EOS), ConstraintCompiler.Limits.DEFAULT);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void eachMaskHoldsExactlyTheTokensTheAutomatonCanRead() {
        ByteDfa dfa = JsonSchemaLanguageTest.compile(JsonSchemaLanguageTest.EVERY_CONSTRUCT);
        TokenVocabulary vocabulary = new TokenVocabulary(tokenizer.tokenBytes(), 4100);
        TokenAutomaton automaton = new TokenAutomaton(dfa, vocabulary, new int[] {EOS});
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 60; i++) {
            int state = random.nextInt(dfa.numStates());
            int[] mask = automaton.mask(state);
            assertEquals((4100 + 31) / 32, mask.length);
            for (int id = 0; id < 4100; id++) {
                byte[] bytes = vocabulary.bytes(id);
                boolean expected = id == EOS ? dfa.isAccepting(state)
                        : bytes != null && dfa.walk(state, bytes) != ByteDfa.DEAD;
                assertEquals(expected, (mask[id >>> 5] & (1 << (id & 31))) != 0, "state " + state + ", token " + id);
            }
        }
        assertTrue(automaton.numDistinctMasks() < dfa.numStates(), "equal masks are stored once");
    }

    @Test
    void randomWalksOfAllowedTokensValidate() {
        String schema = JsonSchemaLanguageTest.EVERY_CONSTRUCT;
        SchemaCheck check = new SchemaCheck(schema);
        walk(ResponseFormat.jsonSchema(schema), text -> assertEquals(List.of(), check.errors(text), text));
        Pattern regex = Pattern.compile("(yes|no|maybe)-[0-9]{2,4}(\\.[a-z]+)?");
        walk(ResponseFormat.regex(regex.pattern()), text -> assertTrue(regex.matcher(text).matches(), text));
        List<String> choices = List.of("positive", "negative", "neutral", "pos");
        walk(ResponseFormat.choice(choices), text -> assertTrue(choices.contains(text), text));
    }

    private interface TextCheck {
        void check(String text);
    }

    private static void walk(ResponseFormat format, TextCheck check) {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        for (int row = 0; row < 100; row++) {
            TokenConstraint constraint = compiler.constraint(format, List.of());
            List<Integer> ids = new ArrayList<>();
            while (true) {
                int[] mask = constraint.allowedTokens();
                boolean eosAllowed = (mask[0] & (1 << EOS)) != 0;
                assertEquals(constraint.isComplete(), eosAllowed, "EOS exactly where complete (seed " + seed + ")");
                if (eosAllowed && (random.nextInt(4) == 0 || ids.size() > 150 || onlyEos(mask))) {
                    constraint.accept(EOS);
                    break;
                }
                int[] allowed = new int[4096];
                int numAllowed = 0;
                for (int id = 0; id < 4096; id++) {
                    if (id != EOS && (mask[id >>> 5] & (1 << (id & 31))) != 0) {
                        allowed[numAllowed++] = id;
                    }
                }
                int id = allowed[random.nextInt(numAllowed)];
                constraint.accept(id);
                ids.add(id);
            }
            assertTrue(constraint.isComplete());
            check.check(tokenizer.decode(ids.stream().mapToInt(Integer::intValue).toArray()));
        }
    }

    private static boolean onlyEos(int[] mask) {
        for (int w = 0; w < mask.length; w++) {
            if (mask[w] != (w == 0 ? 1 << EOS : 0)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void compiledFormatsAreSharedAndFailuresRepeatTheirReason() {
        ResponseFormat format = ResponseFormat.regex("[ab]{3}");
        TokenConstraint first = compiler.constraint(format, List.of());
        TokenConstraint second = compiler.constraint(ResponseFormat.regex("[ab]{3}"), List.of());
        assertSame(first.allowedTokens(), second.allowedTokens(), "one automaton, one mask per state");
        for (int i = 0; i < 2; i++) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> compiler.constraint(ResponseFormat.regex("a(?=b)"), List.of()));
            assertTrue(e.getMessage().startsWith("regex 'a(?=b)' has lookaround"), e.getMessage());
        }
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> compiler.constraint(ResponseFormat.regex("(a|b)*a(a|b){17}"), List.of()));
        assertEquals("the regex cannot be enforced: its automaton needs more than 50000 states", big.getMessage());
    }

    @Test
    void aStopTokenEndsAnOutputOnlyWhereItIsComplete() {
        TokenConstraint constraint = compiler.constraint(ResponseFormat.choice(List.of("ab")), List.of(7));
        int[] mask = constraint.allowedTokens();
        assertFalse((mask[0] & (1 << 7)) != 0, "not at the start");
        assertThrows(IllegalStateException.class, () -> constraint.accept(7));
        for (byte b : "ab".getBytes()) {
            constraint.accept(tokenizer.encodeWithoutSpecialTokens(String.valueOf((char) b))[0]);
        }
        assertTrue((constraint.allowedTokens()[0] & (1 << 7)) != 0);
        assertTrue((constraint.allowedTokens()[0] & (1 << EOS)) != 0);
        constraint.accept(7);
        assertTrue(constraint.isComplete());
    }

    @Test
    void aVocabularyThatCannotSpellTheNextByteIsReported(@TempDir Path dir) throws IOException {
        try (Tokenizer pieces = Tokenizer.load(SyntheticTokenizers.metaspaceUnigram(dir))) {
            ConstraintCompiler few = new ConstraintCompiler(pieces, 16, Set.of(2), ConstraintCompiler.Limits.DEFAULT);
            assertTrue(few.constraint(ResponseFormat.regex("h(e|o)+"), List.of()).allowedTokens()[0] != 0);
            FloodException e = assertThrows(FloodException.class,
                    () -> few.constraint(ResponseFormat.regex("zz"), List.of()));
            assertEquals("no token of the model's vocabulary can continue the constrained output here (the vocabulary"
                    + " cannot spell what must come next)", e.getMessage());
            TokenConstraint started = few.constraint(ResponseFormat.regex("(hz|oo)"), List.of());
            e = assertThrows(FloodException.class, () -> started.accept(pieces.tokenId("h").getAsInt()));
            assertTrue(e.getMessage().startsWith("no token of the model's vocabulary"), e.getMessage());
        }
    }
}
