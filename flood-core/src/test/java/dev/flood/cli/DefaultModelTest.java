package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./flood} without {@code --model} uses the demo model under FLOOD_HOME, and only then. */
class DefaultModelTest {

    @TempDir
    Path home;

    @Test
    void addsTheDemoModelWhenNoModelIsGiven() throws IOException {
        Path demo = Files.createDirectories(home.resolve("models/flood-demo"));
        assertArrayEquals(new String[] {"generate", "--model", demo.toString(), "--prompt", "Hi"},
                Main.withDefaultModel(new String[] {"generate", "--prompt", "Hi"}, home.toString()));
    }

    @Test
    void leavesTheCommandLineAloneOtherwise() throws IOException {
        String[] withModel = {"score", "--model", "elsewhere", "--text", "x"};
        String[] unknown = {"frobnicate", "--prompt", "Hi"};
        String[] noModelFolder = {"generate", "--prompt", "Hi"};
        assertArrayEquals(noModelFolder, Main.withDefaultModel(noModelFolder, home.toString()));
        assertArrayEquals(noModelFolder, Main.withDefaultModel(noModelFolder, null));
        Files.createDirectories(home.resolve("models/flood-demo"));
        assertArrayEquals(withModel, Main.withDefaultModel(withModel, home.toString()));
        assertArrayEquals(unknown, Main.withDefaultModel(unknown, home.toString()));
        assertArrayEquals(new String[0], Main.withDefaultModel(new String[0], home.toString()));
    }
}
