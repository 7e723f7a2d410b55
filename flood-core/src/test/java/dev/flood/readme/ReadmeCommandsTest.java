package dev.flood.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.testing.ReadmeCommands;
import dev.flood.testing.ReadmeCommands.Command;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every shell command of every README is accounted for: run by the integration test of the module that owns its
 * README ({@code ReadmeCommandsIT} in flood-core, examples and examples/flink), or excused with a reason.
 */
class ReadmeCommandsTest {

    @Test
    void everyCommandIsRunOrExcused() {
        List<String> unaccounted = new ArrayList<>();
        for (Path readme : ReadmeCommands.readmes()) {
            boolean run = ReadmeCommands.RUN_BY.containsKey(readme.toString());
            for (Command command : ReadmeCommands.of(readme)) {
                if (!run && ReadmeCommands.excuse(command) == null) {
                    unaccounted.add(command.toString());
                }
            }
        }
        assertEquals(List.of(), unaccounted, "commands no test runs: run them from a README in RUN_BY, or excuse them"
                + " in ReadmeCommands with the reason CI cannot run them");
    }

    @Test
    void theReadmesRunExistAndHoldCommands() {
        for (String readme : ReadmeCommands.RUN_BY.keySet()) {
            assertTrue(Files.isRegularFile(ReadmeCommands.root().resolve(readme)), readme);
            assertFalse(ReadmeCommands.of(Path.of(readme)).stream().allMatch(c -> ReadmeCommands.excuse(c) != null),
                    readme + " has no command CI runs");
        }
    }

    @Test
    void commandsAreJoinedAcrossContinuationsAndCodeBlocksAreLeftOut() {
        List<Command> commands = ReadmeCommands.of(Path.of("examples/flink/README.md"));
        assertTrue(commands.stream().anyMatch(c -> c.text().startsWith("java -cp ")
                && c.text().endsWith("dev.flood.examples.flink.StreamingEnrichmentJob --events 12 --rate 6")),
                commands.toString());
        List<Command> spark = ReadmeCommands.of(Path.of("spark-connector/README.md"));
        assertTrue(spark.stream().allMatch(c -> c.text().startsWith("spark-submit ")),
                "its other blocks are Java, SQL, configuration and output: " + spark);
    }
}
