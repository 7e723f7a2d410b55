package dev.flood.cli;

import java.io.IOException;
import java.util.List;

/**
 * The input options generate and score share: texts given on the command line or {@code --input} (a file or a
 * folder, in a format told by extension or {@code --input-format}), the column the text is read from, and the
 * prefix of the result columns. Everything that can be checked before the model loads is checked on
 * {@link #open}.
 */
final class InputOptions {

    static final String SECTION = "Input and output";

    private InputOptions() {
    }

    /**
     * @param textOption   {@code prompt} or {@code text}: the repeatable option giving texts on the command line
     * @param columnOption {@code prompt-column} or {@code text-column}
     * @param what         {@code prompt} or {@code text}, for help
     */
    static List<Option> options(String textOption, String columnOption, String what) {
        return List.of(
                Option.repeated(SECTION, textOption, "TEXT", "a " + what + " (repeatable; instead of --input)"),
                Option.value(SECTION, "input", "PATH", "a file, or a folder of files read in name order as Spark"
                        + " writes them (names starting with _ or . skipped): .jsonl/.json, .parquet, .csv or .tsv with"
                        + " a header; .gz for text"),
                Option.value(SECTION, "input-format", "FORMAT", "read --input as " + InputFormat.names()
                        + " whatever the file names say"),
                Option.value(SECTION, columnOption, "NAME", "the column (JSON field) holding the " + what
                        + " (default " + textOption + ")"),
                Option.value(SECTION, "output", "FILE", "write results to FILE: .parquet, .jsonl (JSON Lines) or"
                        + " .txt (default: standard output)"),
                Option.flag(SECTION, "json", "write JSON Lines rather than readable text"),
                Option.value(SECTION, "result-prefix", "PREFIX", "put PREFIX before the result columns' names, for"
                        + " an input that has columns of those names (e.g. flood_)"));
    }

    /**
     * Opens the texts of {@code textOption}, or {@code --input}, and checks the input's columns against
     * {@code column} and {@code output} when they are known before reading.
     */
    static InputSource open(ParsedArgs args, String textOption, TextColumn column, OutputColumns output)
            throws UsageException, IOException {
        List<String> texts = args.list(textOption);
        if (texts.isEmpty() == !args.has("input")) {
            throw new UsageException(texts.isEmpty() ? "give at least one --" + textOption + " TEXT or an --input PATH"
                    : "give --" + textOption + " TEXT or --input PATH, not both");
        }
        InputFormat format = args.has("input-format") ? InputFormat.parse(args.string("input-format", null)) : null;
        if (format != null && !texts.isEmpty()) {
            throw new UsageException("--input-format is for --input");
        }
        InputSource input;
        String described;
        if (texts.isEmpty()) {
            InputFiles files = InputFiles.resolve(args.path("input"), format);
            input = InputSource.ofFiles(files);
            described = files.given().toString();
        } else {
            input = InputSource.ofTexts(texts, textOption, column.name());
            described = "--" + textOption;
        }
        try {
            column.check(input.schema(), described);
            output.check(input.schema(), described);
        } catch (RuntimeException e) {
            input.close();
            throw e;
        }
        return input;
    }

    /** What {@code row} runs: its text, or why it cannot run (unreadable, no usable text, a clash with a result). */
    static RowPrompt read(InputRow row, TextColumn column, OutputColumns output) {
        RowPrompt item = column.read(row);
        if (item.error() != null) {
            return item;
        }
        String clash = output.clash(row);
        return clash == null ? item : RowPrompt.failed(row, clash);
    }
}
