package dev.flood.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Help text, made from the command table and each command's option table. */
final class Usage {

    /** Lines of help text are wrapped at this width. */
    private static final int WIDTH = 100;

    /** The exit codes of the commands that run rows (generate, score). */
    static final String EXIT_STATUS = """
            Exit status:
              0  every row ran, or some rows failed: their number and the first error are printed, and each
                 failed row has its error in the output
              1  every row failed, or the model, the input or the output could not be read or written
              2  the command line is wrong
            """;

    private Usage() {
    }

    static String main(List<Command> commands) {
        StringBuilder text = new StringBuilder();
        text.append("Usage: flood COMMAND [options]\n\n")
                .append("Flood: bulk offline LLM inference on the JVM (segment KV cache, continuous batching).\n\n")
                .append("Commands:\n");
        int width = commands.stream().mapToInt(c -> c.name().length()).max().orElse(0) + 4;
        for (Command command : commands) {
            text.append("  ").append(pad(command.name(), width)).append(command.summary()).append('\n');
        }
        text.append("\nRun 'flood COMMAND --help' for a command's options.\n\n").append(EXIT_STATUS);
        return text.toString();
    }

    static String command(Command command) {
        StringBuilder text = new StringBuilder();
        text.append("Usage: ").append(command.synopsis()).append("\n\n").append(command.summary()).append('\n');
        Map<String, List<Option>> sections = new LinkedHashMap<>();
        for (Option option : command.options()) {
            sections.computeIfAbsent(option.section(), s -> new ArrayList<>()).add(option);
        }
        int width = command.options().stream().mapToInt(o -> o.synopsis().length()).max().orElse(0) + 3;
        for (Map.Entry<String, List<Option>> section : sections.entrySet()) {
            text.append('\n').append(section.getKey()).append(":\n");
            for (Option option : section.getValue()) {
                text.append("  ").append(pad(option.synopsis(), width)).append(option.help()).append('\n');
            }
        }
        text.append('\n').append(pad("  --help", width + 2)).append("print this help\n");
        text.append('\n').append(wrap(command.outputHelp())).append('\n').append(command.exitStatus());
        return text.toString();
    }

    /** {@code text} broken into lines of at most {@link #WIDTH} characters, at spaces. */
    private static String wrap(String text) {
        StringBuilder wrapped = new StringBuilder();
        int lineStart = 0;
        for (String word : text.split(" ")) {
            if (wrapped.length() > lineStart && wrapped.length() - lineStart + 1 + word.length() > WIDTH) {
                wrapped.append('\n');
                lineStart = wrapped.length();
            } else if (wrapped.length() > lineStart) {
                wrapped.append(' ');
            }
            wrapped.append(word);
        }
        return wrapped.append('\n').toString();
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text + " " : text + " ".repeat(width - text.length());
    }
}
