package dev.flood.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Records as lines of text (JSON Lines, or a command's readable form) on a stream or in a file. */
final class TextSink implements RecordSink {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream stream;
    private final PlainFormat format;
    /** The file written, or null for a stream the sink does not own (flushed, never closed). */
    private final Path file;

    private TextSink(PrintStream stream, PlainFormat format, Path file) {
        this.stream = stream;
        this.format = format;
        this.file = file;
    }

    static TextSink toStream(PrintStream stream, PlainFormat format) {
        return new TextSink(stream, format, null);
    }

    static TextSink toFile(Path file, PlainFormat format) throws IOException {
        PrintStream stream = new PrintStream(new BufferedOutputStream(Files.newOutputStream(file)), false,
                StandardCharsets.UTF_8);
        return new TextSink(stream, format, file);
    }

    /** One JSON line; non-ASCII text is written as UTF-8, not escaped. */
    static String json(JsonNode record) {
        try {
            return JSON.writeValueAsString(record);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void write(RowPrompt item, ObjectNode result) throws IOException {
        stream.println(format.format(item, result));
        if (stream.checkError()) {
            throw new IOException("cannot write " + (file == null ? "to standard output" : file.toString()));
        }
    }

    @Override
    public void close() throws IOException {
        if (file == null) {
            stream.flush();
        } else {
            stream.close();
            if (stream.checkError()) {
                throw new IOException("cannot write " + file);
            }
        }
    }
}
