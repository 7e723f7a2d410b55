package dev.flood.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Help text, made from the command table and each command's option table. */
final class Usage {

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
        text.append("\nRun 'flood COMMAND --help' for a command's options.\n");
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
        return text.toString();
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text + " " : text + " ".repeat(width - text.length());
    }
}
