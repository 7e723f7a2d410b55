package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code flood generate}'s summary says what prefix caching saved: prompts sharing a long prefix read most of it
 * from the cache, and with {@code --no-prefix-caching} the line says it is off.
 */
class PrefixCacheSummaryTest {

    private static final long SEED = System.nanoTime();
    private static final Pattern LINE = Pattern.compile("prefix cache: (\\d+) of (\\d+) prompt tokens read from the"
            + " cache \\((\\d+\\.\\d)%\\), (\\d+) of (\\d+) requests hit, 0 tokens evicted; cached now: (\\d+) tokens"
            + " in (\\d+) extents");

    private static List<String> args(boolean prefixCaching) {
        Random random = new Random(SEED);
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            prefix.append((char) ('a' + random.nextInt(26))).append(random.nextInt(10)).append(' ');
        }
        List<String> args = new ArrayList<>(List.of("generate", "--model", Fixtures.model("tiny-llama").toString(),
                "--max-tokens", "2", "--threads", "1"));
        if (!prefixCaching) {
            args.add("--no-prefix-caching");
        }
        for (int i = 0; i < 6; i++) {
            args.add("--prompt");
            args.add(prefix + "question " + i);
        }
        return args;
    }

    @Test
    void sharedPrefixesAreReadFromTheCache() {
        Cli run = Cli.run(args(true).toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.describe());
        Matcher line = LINE.matcher(run.err());
        assertTrue(line.find(), run.describe());
        long hitTokens = Long.parseLong(line.group(1));
        long lookedUp = Long.parseLong(line.group(2));
        assertTrue(hitTokens > 0 && 2 * hitTokens > lookedUp, line.group() + " (seed " + SEED + ")");
        assertEquals("6", line.group(5), "every prompt was looked up: " + line.group());
        assertTrue(Integer.parseInt(line.group(4)) >= 5, "every prompt after the first hit: " + line.group());
        assertTrue(Integer.parseInt(line.group(6)) > 0 && Integer.parseInt(line.group(7)) > 0, line.group());
    }

    @Test
    void theLineSaysWhenPrefixCachingIsOff() {
        Cli run = Cli.run(args(false).toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.describe());
        assertTrue(run.err().contains("prefix cache: off\n") || run.err().endsWith("prefix cache: off"),
                run.describe());
    }
}
