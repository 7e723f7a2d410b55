package dev.flood.cli;

import dev.flood.api.FloodException;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code flood COMMAND [options]}: the entry point of {@code ./flood}. Options are read here and in the commands,
 * and nowhere else: the engine is handed an immutable {@link dev.flood.api.EngineConfig}.
 */
public final class Main {

    /** Exit code: every row ran, or some failed (the run says how many; each failed row has its error). */
    static final int OK = 0;
    /** Exit code: every row failed, or the model, the input or the output could not be read or written. */
    static final int FAILED = 1;
    /** Exit code: the command line is wrong. */
    static final int USAGE = 2;

    /** java.util.logging's format of a log record on standard error. */
    private static final String LOG_FORMAT = "java.util.logging.SimpleFormatter.format";

    /** The subcommands, one line each. */
    private static final List<Command> COMMANDS = List.of(
            new GenerateCommand(),
            new ScoreCommand(),
            new BenchCommand(),
            new EstimateCommand());

    private Main() {
    }

    public static void main(String[] args) {
        // log records (the engine's "flood: ..." notes) as one line of their message, not java.util.logging's
        // default of two lines with a date and a class name; set before the first logger reads it
        if (System.getProperty(LOG_FORMAT) == null) {
            System.setProperty(LOG_FORMAT, "%5$s%6$s%n");
        }
        // UTF-8 whatever the locale says: results are JSON or text in any language
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)), true,
                StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        String[] withDefaults = withDefaultCalibration(withDefaultModel(args, System.getenv("FLOOD_HOME")),
                System.getProperty("user.home"));
        int code = run(withDefaults, new Streams(out, err, System.console() != null));
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * Adds {@code --model FLOOD_HOME/models/flood-demo} to a command given no model, when that folder exists:
     * the demo model that ships with Flood, so that {@code ./flood generate --prompt ...} works as it is.
     * {@code FLOOD_HOME} is the repository root, set by the {@code ./flood} launcher.
     */
    static String[] withDefaultModel(String[] args, String floodHome) {
        if (floodHome == null || args.length == 0 || Arrays.asList(args).contains("--model")
                || COMMANDS.stream().noneMatch(c -> c.name().equals(args[0]))) {
            return args;
        }
        Path demo = Path.of(floodHome, "models", "flood-demo");
        if (!Files.isDirectory(demo)) {
            return args;
        }
        List<String> withModel = new ArrayList<>(Arrays.asList(args));
        withModel.addAll(1, List.of("--model", demo.toString()));
        return withModel.toArray(String[]::new);
    }

    /**
     * Adds {@code --calibration HOME/.flood/calibration.json} to {@code bench} and {@code estimate} given none: where
     * this machine's calibrations live, which bench writes and estimate reads.
     */
    static String[] withDefaultCalibration(String[] args, String userHome) {
        if (userHome == null || args.length == 0 || !List.of("bench", "estimate").contains(args[0])
                || Arrays.stream(args).anyMatch(a -> a.equals("--calibration") || a.startsWith("--calibration="))) {
            return args;
        }
        List<String> withCalibration = new ArrayList<>(Arrays.asList(args));
        withCalibration.addAll(1, List.of("--calibration", Path.of(userHome, ".flood", "calibration.json").toString()));
        return withCalibration.toArray(String[]::new);
    }

    /** Runs one command line and returns its exit code; progress is printed line by line (no terminal). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, new Streams(out, err, false));
    }

    static int run(String[] args, Streams streams) {
        PrintStream err = streams.err();
        if (args.length == 0) {
            err.print(Usage.main(COMMANDS));
            return USAGE;
        }
        if (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            streams.out().print(Usage.main(COMMANDS));
            return OK;
        }
        Command command = COMMANDS.stream().filter(c -> c.name().equals(args[0])).findFirst().orElse(null);
        if (command == null) {
            err.println("flood: unknown command '" + args[0] + "' (commands: "
                    + String.join(", ", COMMANDS.stream().map(Command::name).toList()) + ")");
            return USAGE;
        }
        try {
            ParsedArgs parsed = ParsedArgs.parse(command.options(), Arrays.asList(args).subList(1, args.length));
            if (parsed.helpRequested()) {
                streams.out().print(Usage.command(command));
                return OK;
            }
            return command.run(parsed, streams);
        } catch (UsageException e) {
            err.println("flood " + command.name() + ": " + e.getMessage());
            err.println("Run 'flood " + command.name() + " --help' for usage.");
            return USAGE;
        } catch (FloodException | IllegalArgumentException | IOException | UncheckedIOException e) {
            err.println("flood " + command.name() + ": error: " + message(e));
            return FAILED;
        } finally {
            streams.out().flush();
        }
    }

    /** The message of a failure; file-system errors otherwise say no more than the path. */
    private static String message(Exception e) {
        if (e instanceof NoSuchFileException f && f.getReason() == null) {
            return f.getFile() + ": no such file or directory";
        }
        if (e instanceof AccessDeniedException f && f.getReason() == null) {
            return f.getFile() + ": permission denied";
        }
        return e.getMessage();
    }
}
