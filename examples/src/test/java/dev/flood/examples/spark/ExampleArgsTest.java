package dev.flood.examples.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The Spark examples' {@code --key value} arguments: the usage line names the keys taken. */
class ExampleArgsTest {

    private static final String USAGE = "Job --input DIR [--max-tokens 32] [--master local[2]]";

    @Test
    void readsTheKeysTheUsageNames() {
        ExampleArgs args = ExampleArgs.parse(USAGE, new String[] {"--input", "/tmp/in", "--max-tokens", "8"});
        assertEquals("/tmp/in", args.required("input"));
        assertEquals(8, args.integer("max-tokens", 32));
        assertEquals("local[2]", args.optional("master", "local[2]"));
    }

    @Test
    void refusesAMistypedKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExampleArgs.parse(USAGE, new String[] {"--input", "/tmp/in", "--max-new-tokens", "8"}));
        assertEquals("unknown option --max-new-tokens\nusage: " + USAGE, e.getMessage());
    }

    @Test
    void refusesAKeyWithoutAValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExampleArgs.parse(USAGE, new String[] {"--input"}));
        assertEquals("expected --key value pairs, got '--input'\nusage: " + USAGE, e.getMessage());
    }

    @Test
    void saysWhichRequiredKeyIsMissing() {
        ExampleArgs args = ExampleArgs.parse(USAGE, new String[0]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> args.required("input"));
        assertEquals("missing --input\nusage: " + USAGE, e.getMessage());
    }
}
