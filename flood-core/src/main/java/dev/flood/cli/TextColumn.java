package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flood.api.ChatMessage;
import dev.flood.api.FloodException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * The column each row's prompt ({@code generate --prompt-column}) or text ({@code score --text-column}) is read
 * from. An input whose columns are known before reading (Parquet, CSV) is checked once, up front; a JSON Lines
 * row is checked as it is read, and a row without a usable string becomes a row with an error. A JSON Lines row
 * without the column but with a {@code messages} array of {@code {role, content}} objects is a chat row.
 */
final class TextColumn {

    static final String MESSAGES = "messages";

    private final String name;

    TextColumn(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    String name() {
        return name;
    }

    /**
     * Checks the columns every row has.
     *
     * @param schema the input's columns, or null when each row has its own (JSON Lines)
     * @param input  the input, for messages
     * @throws FloodException when the column is missing or does not hold strings
     */
    void check(MessageType schema, String input) {
        if (schema == null) {
            return;
        }
        if (!schema.containsField(name)) {
            throw new FloodException(input + " has no column '" + name + "' (columns: "
                    + String.join(", ", schema.getFields().stream().map(Type::getName).toList()) + ")");
        }
        Type column = schema.getType(name);
        boolean isString = column.isPrimitive()
                && column.asPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.BINARY
                && !column.isRepetition(Type.Repetition.REPEATED)
                && column.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation;
        if (!isString) {
            throw new FloodException(input + ": column '" + name + "' must hold strings, but it is "
                    + column.toString().strip());
        }
    }

    /** The row's text, or why it has none. */
    RowPrompt read(InputRow row) {
        if (row.error() != null) {
            return RowPrompt.failed(row, row.error());
        }
        JsonNode value = row.columns().get(name);
        if (value.isMissingNode() && !row.columns().get(MESSAGES).isMissingNode()) {
            return messages(row);
        }
        if (value.isMissingNode()) {
            return RowPrompt.failed(row, "no '" + name + "' field");
        }
        if (value.isNull()) {
            return RowPrompt.failed(row, "'" + name + "' is null");
        }
        if (!value.isTextual()) {
            return RowPrompt.failed(row, "'" + name + "' must be a string, got " + value);
        }
        return RowPrompt.of(row, value.textValue());
    }

    /** A chat row, or the reason its {@code messages} are not an array of {@code {role, content}} strings. */
    private static RowPrompt messages(InputRow row) {
        JsonNode array = row.columns().get(MESSAGES);
        if (!array.isArray() || array.isEmpty()) {
            return RowPrompt.failed(row, "'" + MESSAGES + "' must be a non-empty array of {role, content} objects");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode message = array.get(i);
            JsonNode role = message.get("role");
            JsonNode content = message.get("content");
            if (role == null || !role.isTextual() || content == null || !content.isTextual()) {
                return RowPrompt.failed(row, "'" + MESSAGES + "'[" + i + "] must be an object with string "
                        + "'role' and 'content', got " + message);
            }
            messages.add(new ChatMessage(role.textValue(), content.textValue()));
        }
        return RowPrompt.ofMessages(row, array.toString(), messages);
    }
}
