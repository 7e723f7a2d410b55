package dev.flood.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.flood.api.FloodException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * A command's input rows, in order: either the texts given on the command line ({@code --prompt}, {@code --text}),
 * each a row of one string column, or the rows of {@code --input}'s files, one file after another. Every file is
 * looked at when the source is opened (row counts, and the columns of Parquet and CSV files, which must be the same
 * in every file); rows are then read one file at a time.
 */
final class InputSource implements InputReader {

    private final List<InputReader> readers;
    /** The columns every row has, with their Parquet types; null for JSON Lines, whose lines have their own. */
    private final MessageType schema;
    /** The files read, for inferring JSON Lines' column types; null for command-line texts. */
    private final InputFiles files;
    private final long count;
    private int current;

    private InputSource(List<InputReader> readers, MessageType schema, InputFiles files) {
        this.readers = readers;
        this.schema = schema;
        this.files = files;
        this.count = readers.stream().mapToLong(InputReader::count).sum();
    }

    /**
     * @param texts  the values of a repeatable option, e.g. every {@code --prompt}
     * @param option that option's name, for row locations ({@code --prompt 2})
     * @param column the column each text is in ({@code --prompt-column}), so that rows look like a file's
     */
    static InputSource ofTexts(List<String> texts, String option, String column) {
        InputReader reader = new InputReader() {
            private int index;

            @Override
            public InputRow next() {
                if (index == texts.size()) {
                    return null;
                }
                index++;
                return InputRow.of("--" + option + " " + index, new JsonColumns(
                        JsonNodeFactory.instance.objectNode().put(column, texts.get(index - 1))));
            }

            @Override
            public long count() {
                return texts.size();
            }

            @Override
            public void close() {
            }
        };
        MessageType schema = Types.buildMessage()
                .addField(Types.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(column))
                .named("texts");
        return new InputSource(List.of(reader), schema, null);
    }

    /**
     * Opens every file of {@code files}.
     *
     * @throws FloodException when a file cannot be read as its format, or its columns differ from the first file's
     */
    static InputSource ofFiles(InputFiles files) throws IOException {
        List<InputReader> readers = new ArrayList<>();
        try {
            MessageType schema = switch (files.format()) {
                case JSONL -> {
                    for (Path file : files.files()) {
                        readers.add(JsonLinesInput.open(file, files));
                    }
                    yield null;
                }
                case PARQUET -> parquet(files, readers);
                case CSV, TSV -> csv(files, readers);
            };
            return new InputSource(readers, schema, files);
        } catch (IOException | RuntimeException e) {
            for (InputReader reader : readers) {
                reader.close();
            }
            throw e;
        }
    }

    private static MessageType parquet(InputFiles files, List<InputReader> readers) throws IOException {
        ParquetInput first = null;
        for (Path file : files.files()) {
            ParquetInput input = ParquetInput.open(file, files);
            readers.add(input);
            if (first == null) {
                first = input;
            } else if (!input.schema().getFields().equals(first.schema().getFields())) {
                throw new FloodException(file + " has other columns than " + first.file().getFileName() + ": "
                        + columns(input.schema()) + " against " + columns(first.schema())
                        + "; a folder's files must have the same columns");
            }
        }
        return Objects.requireNonNull(first).schema();
    }

    private static MessageType csv(InputFiles files, List<InputReader> readers) throws IOException {
        CsvInput first = null;
        for (Path file : files.files()) {
            CsvInput input = CsvInput.open(file, files);
            readers.add(input);
            if (first == null) {
                first = input;
            } else if (!input.header().equals(first.header())) {
                throw new FloodException(file + " has the header " + String.join(", ", input.header()) + ", but "
                        + first.file().getFileName() + " has " + String.join(", ", first.header())
                        + "; a folder's files must have the same columns");
            }
        }
        Types.MessageTypeBuilder schema = Types.buildMessage();
        for (String name : Objects.requireNonNull(first).header()) {
            schema.addField(Types.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(name));
        }
        return schema.named("csv");
    }

    /** {@code id int64, prompt binary (STRING), ...}, for messages. */
    private static String columns(MessageType schema) {
        return String.join(", ", schema.getFields().stream().map(InputSource::column).toList());
    }

    private static String column(Type type) {
        String annotation = type.getLogicalTypeAnnotation() == null ? "" : " (" + type.getLogicalTypeAnnotation() + ")";
        return type.getName() + " " + (type.isPrimitive()
                ? type.asPrimitiveType().getPrimitiveTypeName().name().toLowerCase(Locale.ROOT) : "group")
                + annotation;
    }

    /** The columns every row has, with their Parquet types; null for JSON Lines, whose lines each have their own. */
    MessageType schema() {
        return schema;
    }

    /**
     * The Parquet types of the input's columns, for Parquet output: {@link #schema()}, or for JSON Lines the types
     * {@link JsonColumnTypes} infers from every line (which reads the files once more).
     */
    MessageType columnTypes() throws IOException {
        return schema != null ? schema : JsonColumnTypes.infer(files.files());
    }

    @Override
    public InputRow next() throws IOException {
        while (current < readers.size()) {
            InputRow row = readers.get(current).next();
            if (row != null) {
                return row;
            }
            readers.get(current).close();
            current++;
        }
        return null;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public void close() throws IOException {
        for (int i = current; i < readers.size(); i++) {
            readers.get(i).close();
        }
    }
}
