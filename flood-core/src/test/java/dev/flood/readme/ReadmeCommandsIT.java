package dev.flood.readme;

import dev.flood.testing.ReadmeCommands;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The top README's commands, run as written with bash from the repository's root: {@code ./flood} finds the
 * classpath that flood-core's package phase wrote, so nothing is built here.
 */
class ReadmeCommandsIT {

    @TempDir
    static Path scratch;

    @TestFactory
    List<DynamicTest> topReadme() {
        return ReadmeCommands.tests(Path.of("README.md"), scratch);
    }
}
