package dev.flood.examples.flink;

import dev.flood.testing.ReadmeCommands;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** The Flink example's README commands, run as written after package (its jar and classpath.txt exist then). */
class ReadmeCommandsIT {

    @TempDir
    static Path scratch;

    @TestFactory
    List<DynamicTest> flinkExampleReadme() {
        return ReadmeCommands.tests(Path.of("examples/flink/README.md"), scratch);
    }
}
