package dev.flood.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * One JSON Lines file, a JSON object per line. Every line is one row, so that outputs line up with inputs: a line
 * that is not a JSON object becomes a row with an error. The file is opened on the first {@link #next()}, so that a
 * folder of many files holds one open at a time.
 */
final class JsonLinesInput implements InputReader {

    /** Numbers are kept as written: decimals exactly, trailing zeros included ({@code 1.50} stays {@code 1.50}). */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private final Path file;
    private final InputFiles input;
    private final long count;
    private BufferedReader reader;
    private long lineNumber;

    private JsonLinesInput(Path file, InputFiles input, long count) {
        this.file = file;
        this.input = input;
        this.count = count;
    }

    /** Counts the lines of {@code file}, one of {@code input}'s files. */
    static JsonLinesInput open(Path file, InputFiles input) throws IOException {
        long count = 0;
        try (BufferedReader counter = TextFiles.open(file)) {
            while (TextFiles.readLine(counter, file) != null) {
                count++;
            }
        }
        return new JsonLinesInput(file, input, count);
    }

    @Override
    public InputRow next() throws IOException {
        if (reader == null) {
            reader = TextFiles.open(file);
        }
        String text = TextFiles.readLine(reader, file);
        if (text == null) {
            return null;
        }
        lineNumber++;
        String location = input.location(file, "line " + lineNumber);
        JsonNode line;
        try {
            line = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return InputRow.unreadable(location, "not valid JSON: " + e.getOriginalMessage());
        }
        if (line == null || line.isMissingNode()) {
            return InputRow.unreadable(location, "empty line, expected a JSON object");
        }
        if (!line.isObject()) {
            return InputRow.unreadable(location, "expected a JSON object, got "
                    + line.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        return InputRow.of(location, new JsonColumns((ObjectNode) line));
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public void close() throws IOException {
        if (reader != null) {
            reader.close();
        }
    }
}
