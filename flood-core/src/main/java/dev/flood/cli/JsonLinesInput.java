package dev.flood.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.ChatMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A JSON Lines file: one JSON object per line, the text in {@code field}. Every line is one item, so outputs
 * line up with inputs: a line that is not a JSON object, or whose field is missing, null or not a string, becomes
 * an item with an error. A line without the field but with a {@code messages} array of {@code {role, content}}
 * objects is a chat item.
 */
final class JsonLinesInput implements InputReader {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    static final String MESSAGES = "messages";

    private final BufferedReader reader;
    private final String field;
    private final long count;
    private long lineNumber;

    private JsonLinesInput(BufferedReader reader, String field, long count) {
        this.reader = reader;
        this.field = field;
        this.count = count;
    }

    static JsonLinesInput open(Path file, String field) throws IOException {
        long count;
        try (BufferedReader counter = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            count = counter.lines().count();
        }
        return new JsonLinesInput(Files.newBufferedReader(file, StandardCharsets.UTF_8), field, count);
    }

    @Override
    public InputItem next() throws IOException {
        String text = reader.readLine();
        if (text == null) {
            return null;
        }
        lineNumber++;
        String location = "line " + lineNumber;
        JsonNode line;
        try {
            line = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return InputItem.failed(location, "not valid JSON: " + e.getOriginalMessage());
        }
        if (line == null || line.isMissingNode()) {
            return InputItem.failed(location, "empty line, expected a JSON object");
        }
        if (!line.isObject()) {
            return InputItem.failed(location, "expected a JSON object, got " + line.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        JsonNode value = line.get(field);
        if (value == null && line.has(MESSAGES)) {
            return messages(location, line);
        }
        if (value == null) {
            return InputItem.failed(location, "no '" + field + "' field");
        }
        if (value.isNull()) {
            return InputItem.failed(location, "'" + field + "' is null");
        }
        if (!value.isTextual()) {
            return InputItem.failed(location, "'" + field + "' must be a string, got " + value);
        }
        return InputItem.of(location, value.textValue(), line);
    }

    /** A chat item, or the reason its {@code messages} are not an array of {@code {role, content}} strings. */
    private static InputItem messages(String location, JsonNode line) {
        JsonNode array = line.get(MESSAGES);
        if (!array.isArray() || array.isEmpty()) {
            return InputItem.failed(location, "'" + MESSAGES + "' must be a non-empty array of {role, content} objects");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode message = array.get(i);
            JsonNode role = message.get("role");
            JsonNode content = message.get("content");
            if (role == null || !role.isTextual() || content == null || !content.isTextual()) {
                return InputItem.failed(location, "'" + MESSAGES + "'[" + i + "] must be an object with string "
                        + "'role' and 'content', got " + message);
            }
            messages.add(new ChatMessage(role.textValue(), content.textValue()));
        }
        return InputItem.ofMessages(location, messages, line);
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
