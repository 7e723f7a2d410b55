package dev.flood.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * The shell commands of the repository's READMEs, so that tests can run them as written. A command is a line of a
 * fenced code block whose language is empty, {@code bash}, {@code sh} or {@code shell} (blocks of code, output or
 * configuration say their language: {@code java}, {@code sql}, {@code text}, ...), with {@code \}-continued lines
 * joined. Each command is either run by the test of the module that owns its README ({@link #RUN_BY}), or
 * excused here with the reason it cannot run in CI ({@link #excuse}); {@code ReadmeCommandsTest} holds every
 * command of every README to one of the two.
 */
public final class ReadmeCommands {

    /** The READMEs whose commands a module's {@code ReadmeCommandsIT} runs, with that module. */
    public static final Map<String, String> RUN_BY = Map.of(
            "README.md", "flood-core",
            "examples/README.md", "examples",
            "examples/flink/README.md", "examples/flink");

    /**
     * Commands CI does not run, by pattern, with the reason; everything else of the READMEs in {@link #RUN_BY}
     * runs in under a minute on two cores.
     */
    private static final List<Excuse> EXCUSED = List.of(
            new Excuse("^mvn ", "a Maven build: CI's own build does it"),
            new Excuse("--backend cuda", "needs a GPU"),
            new Excuse("\\$FLINK_HOME", "needs a Flink installation"),
            new Excuse("^spark-submit ", "needs a Spark installation"),
            new Excuse("^tools/fetch_corpus\\.sh|tools/train_demo_model\\.py", "makes the demo model: fetches from npm, "
                    + "trains on a GPU"),
            new Excuse("^bash tools/gpu/", "stages the GPU tests: installs into ~/.m2, needs nvcc"),
            new Excuse("^python3 \\.\\./shared/device/stage\\.py", "stages files for the GPU machine"),
            new Excuse("^run\\(", "a call to the GPU machine"),
            new Excuse("(ConnectorOverhead|Perplexity)Benchmark", "a benchmark of several minutes"));

    /** Commands matching {@code pattern} are not run, for {@code reason}. */
    private record Excuse(Pattern pattern, String reason) {
        Excuse(String pattern, String reason) {
            this(Pattern.compile(pattern), reason);
        }
    }

    /** One command: where it is and what it says. */
    public record Command(Path readme, int line, String text) {

        @Override
        public String toString() {
            return readme + ":" + line + ": " + text;
        }
    }

    /** What a command did. */
    public record Run(int exitCode, String output) {
    }

    /** A command still running after this long is taken for hung; the commands CI runs take seconds. */
    private static final int HANG_LIMIT_MINUTES = 10;

    private static final Pattern FENCE = Pattern.compile("^\\s*```\\s*([A-Za-z0-9_-]*)\\s*$");

    private ReadmeCommands() {
    }

    /** The repository's root: the first folder above the working directory holding the {@code flood} launcher. */
    public static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("flood")) && Files.isDirectory(dir.resolve("flood-core"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
    }

    /** Every README of the repository, relative to the root, build output left out. */
    public static List<Path> readmes() {
        Path root = root();
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.getFileName().toString().equals("README.md"))
                    .map(root::relativize)
                    .filter(f -> Stream.of("target", "node_modules", ".git", ".device", "corpus")
                            .noneMatch(part -> f.toString().contains(part + "/")))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The commands of {@code readme} (relative to the root), in order. */
    public static List<Command> of(Path readme) {
        List<String> lines;
        try {
            lines = Files.readAllLines(root().resolve(readme), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Command> commands = new ArrayList<>();
        boolean inShell = false;
        boolean inBlock = false;
        StringBuilder pending = null;
        int start = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            var fence = FENCE.matcher(line);
            if (fence.matches()) {
                inShell = !inBlock && List.of("", "bash", "sh", "shell").contains(fence.group(1));
                inBlock = !inBlock;
                continue;
            }
            if (!inShell) {
                continue;
            }
            String text = line.strip();
            if (pending == null) {
                if (text.isEmpty() || text.startsWith("#")) {
                    continue;
                }
                pending = new StringBuilder();
                start = i + 1;
            }
            if (text.endsWith("\\")) {
                pending.append(text, 0, text.length() - 1).append(' ');
            } else {
                pending.append(text);
                commands.add(new Command(readme, start, pending.toString().replaceAll(" +", " ")));
                pending = null;
            }
        }
        return commands;
    }

    /**
     * One test per command of {@code readme} that CI runs, in the README's order (later commands read what earlier
     * ones wrote). Each must exit 0 and print no warning from DJL's GPU detection (which a machine with a CUDA
     * runtime and no GPU would give).
     *
     * @param scratch stands for {@code /tmp/flood} in the commands
     */
    public static List<DynamicTest> tests(Path readme, Path scratch) {
        return of(readme).stream()
                .filter(command -> excuse(command) == null)
                .map(command -> DynamicTest.dynamicTest(command.toString(), () -> {
                    Run run = run(command, scratch, HANG_LIMIT_MINUTES);
                    assertEquals(0, run.exitCode(), command + "\n" + run.output());
                    assertFalse(run.output().contains("Failed to detect GPU count"), command + "\n" + run.output());
                }))
                .toList();
    }

    /** Why CI does not run {@code command}, or null when it does. */
    public static String excuse(Command command) {
        return EXCUSED.stream().filter(e -> e.pattern().matcher(command.text()).find())
                .map(Excuse::reason).findFirst().orElse(null);
    }

    /**
     * Runs {@code command} with bash in the repository's root, as a reader would paste it, with {@code /tmp/flood}
     * (the READMEs' scratch folder) replaced by {@code scratch} so that runs do not share files.
     *
     * @param hangLimitMinutes how long a command may run before it is taken for hung and killed: a guard against
     *                         a stuck test, not a check of speed
     */
    public static Run run(Command command, Path scratch, int hangLimitMinutes) {
        try {
            Path log = Files.createTempFile(scratch, "command", ".log");
            Process process = new ProcessBuilder("bash", "-c", command.text().replace("/tmp/flood", scratch.toString()))
                    .directory(root().toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            if (!process.waitFor(hangLimitMinutes, TimeUnit.MINUTES)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new IllegalStateException(command + " still running after " + hangLimitMinutes
                        + " minutes; output:\n" + Files.readString(log));
            }
            return new Run(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }
}
