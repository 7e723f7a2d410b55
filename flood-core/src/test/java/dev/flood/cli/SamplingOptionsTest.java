package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flood.api.SamplingParams;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The sampling table read from the command line and from JSON lines, one over the other. */
class SamplingOptionsTest {

    private static SamplingOptions parse(String... args) throws UsageException {
        return SamplingOptions.from(ParsedArgs.parse(SamplingOptions.OPTIONS, List.of(args)));
    }

    @Test
    void everyOptionReachesTheParams() throws UsageException {
        SamplingParams p = parse("--max-tokens", "7", "--temperature", "0.7", "--top-p", "0.9", "--top-k", "13",
                "--min-p", "0.05", "--repetition-penalty", "1.3", "--presence-penalty", "0.5",
                "--frequency-penalty=-0.25", "--seed", "123456789012", "--ignore-eos", "--logprobs", "3",
                "--stop", "END", "--stop", "--", "--stop-token-id", "5", "--stop-token-id", "9").base();
        assertEquals(new SamplingParams(0.7, 13, 0.9, 0.05, 1.3, 0.5, -0.25, 7, List.of(5, 9), List.of("END", "--"),
                true, 3, OptionalLong.of(123456789012L)), p);
    }

    @Test
    void lineOverridesReplaceFieldByField() throws UsageException {
        SamplingOptions options = parse("--max-tokens", "7", "--ignore-eos", "--stop", "A", "--temperature", "0.5");
        SamplingParams p = options.withOverrides(json(
                "{\"prompt\": \"x\", \"max_tokens\": 3, \"ignore_eos\": false, \"stop\": [\"B\", \"C\"], "
                        + "\"stop_token_ids\": 4, \"seed\": null, \"id\": \"row-17\"}"));
        assertEquals(3, p.maxNewTokens());
        assertFalse(p.ignoreEos(), "a line can switch off a flag given on the command line");
        assertEquals(List.of("B", "C"), p.stopStrings());
        assertEquals(List.of(4), p.stopTokenIds());
        assertEquals(0.5, p.temperature(), 0.0, "keys the line does not give keep the command line's value");
        assertTrue(p.seed().isEmpty(), "a null value means not given");
        assertSame(options.base(), options.withOverrides(json("{\"prompt\": \"x\", \"other\": 1}")));
    }

    @Test
    void badLineValuesNameTheirKey() throws UsageException {
        SamplingOptions options = parse();
        assertMessage(options, "{\"max_tokens\": 2.5}", "max_tokens must be an integer, got 2.5");
        assertMessage(options, "{\"max_tokens\": 0}", "max_tokens must be >= 1, got 0");
        assertMessage(options, "{\"seed\": \"abc\"}", "seed must be an integer, got \"abc\"");
        assertMessage(options, "{\"ignore_eos\": 1}", "ignore_eos must be true or false, got 1");
        assertMessage(options, "{\"stop\": [\"a\", 3]}", "stop must be a string or a list of strings, got [\"a\",3]");
        assertMessage(options, "{\"stop_token_ids\": [-1]}", "stop token ids must be >= 0, got -1");
        assertMessage(options, "{\"min_p\": 1.5}", "min_p must be in [0, 1], got 1.5");
    }

    private static void assertMessage(SamplingOptions options, String line, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> options.withOverrides(json(line)));
        assertEquals(message, e.getMessage());
    }

    private static JsonNode json(String text) {
        return Cli.parse(text);
    }
}
