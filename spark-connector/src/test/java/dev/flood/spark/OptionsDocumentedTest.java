package dev.flood.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's option table lists every option of {@link FloodOptions}, in order, with its default. */
class OptionsDocumentedTest {

    @Test
    void readmeTableMatchesTheOptions() throws IOException {
        List<String> rows = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("README.md"))) {
            if (line.startsWith("| `")) {
                rows.add(line);
            }
        }
        List<String> keys = rows.stream().map(r -> r.substring(3, r.indexOf('`', 3))).toList();
        // the output table's rows name functions, not options
        List<String> optionKeys = keys.stream().filter(k -> !k.startsWith("flood_")).toList();
        assertEquals(List.copyOf(FloodOptions.ALL.keySet()), optionKeys);
        for (FloodOption option : FloodOptions.ALL.values()) {
            String row = rows.stream().filter(r -> r.startsWith("| `" + option.key() + "`")).findFirst().orElseThrow();
            if (option.defaultValue() != null) {
                assertTrue(row.contains("| `" + option.defaultValue() + "` |"), "default of " + option.key() + " in: " + row);
            }
        }
    }
}
