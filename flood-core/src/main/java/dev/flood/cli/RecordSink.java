package dev.flood.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a command's results go, one record per input row in input order: the row's columns, then the row's result
 * (a JSON object), written as a JSON line, as readable text, or as a Parquet row.
 */
interface RecordSink extends Closeable {

    void write(RowPrompt item, ObjectNode result) throws IOException;

    /** A command's readable text for one row and its result. */
    interface PlainFormat {
        String format(RowPrompt item, ObjectNode result);
    }

    /** The formats records are written in. */
    enum Format { JSONL, PARQUET, PLAIN }

    /**
     * Where records go and in which format: {@code --output FILE} by its extension ({@code .parquet}; {@code .jsonl},
     * {@code .ndjson} or {@code .json} for JSON Lines; {@code .txt} for readable text, or JSON Lines with
     * {@code --json}), else standard output (readable text, or JSON Lines with {@code --json}).
     *
     * @param file the output file, or null for standard output
     */
    record Target(Path file, Format format) {

        static Target from(ParsedArgs args) throws UsageException {
            boolean json = args.flag("json");
            Path file = args.path("output");
            if (file == null) {
                return new Target(null, json ? Format.JSONL : Format.PLAIN);
            }
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".parquet")) {
                if (json) {
                    throw new UsageException("--json writes JSON Lines, but --output " + file + " is Parquet; "
                            + "give one of them");
                }
                return new Target(file, Format.PARQUET);
            }
            if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) {
                return new Target(file, Format.JSONL);
            }
            if (name.endsWith(".txt")) {
                return new Target(file, json ? Format.JSONL : Format.PLAIN);
            }
            throw new UsageException("cannot tell the format of --output " + file + " from its name: end it in "
                    + ".parquet, .jsonl (JSON Lines) or .txt (readable text)");
        }
    }

    /**
     * Opens {@code target}.
     *
     * @param input   the rows' source, whose column types a Parquet file needs
     * @param columns the output's columns
     * @param plain   the command's readable form of a record
     */
    static RecordSink open(Target target, Streams streams, InputSource input, OutputColumns columns, PlainFormat plain)
            throws IOException {
        if (target.format() == Format.PARQUET) {
            return ParquetSink.create(target.file(), input.columnTypes(), columns);
        }
        PlainFormat format = target.format() == Format.JSONL
                ? (item, result) -> TextSink.json(columns.json(item.row(), result))
                : plain;
        return target.file() == null ? TextSink.toStream(streams.out(), format) : TextSink.toFile(target.file(), format);
    }
}
