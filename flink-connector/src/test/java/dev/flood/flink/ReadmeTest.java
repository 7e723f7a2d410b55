package dev.flood.flink;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.junit.jupiter.api.Test;

/** The module README documents every option with its default, so the table cannot drift from FloodOptions. */
class ReadmeTest {

    @Test
    void everyOptionIsInTheReadmeWithItsDefault() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        for (ConfigOption<?> option : FloodOptions.ALL) {
            String row = "| `" + option.key() + "` | " + documentedDefault(option) + " |";
            assertTrue(readme.contains(row), "README.md should have the row: " + row);
        }
    }

    /**
     * As the table writes it: lists `;`-separated, "(none)" for an empty list or an optional option without a
     * default, "(required)" for the model path.
     */
    private static String documentedDefault(ConfigOption<?> option) {
        if (!option.hasDefaultValue()) {
            return option == FloodOptions.MODEL_PATH ? "(required)" : "(none)";
        }
        if (option.defaultValue() instanceof List<?> list) {
            return list.isEmpty() ? "(none)" : "`" + list.stream().map(String::valueOf).collect(Collectors.joining(";")) + "`";
        }
        return "`" + option.defaultValue() + "`";
    }
}
