package dev.flood.examples;

import dev.flood.testing.ReadmeCommands;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples README's commands, run as written after package: {@code examples/run-spark.sh} finds the classpath
 * the package phase wrote, and {@code ./flood} reads the Parquet folder the Spark job wrote.
 */
class ReadmeCommandsIT {

    @TempDir
    static Path scratch;

    @TestFactory
    List<DynamicTest> examplesReadme() {
        return ReadmeCommands.tests(Path.of("examples/README.md"), scratch);
    }
}
