package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flood.api.ChatMessage;
import dev.flood.api.FloodException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * The column each row's prompt ({@code generate --prompt-column}) or text ({@code score --text-column}) is read
 * from. An input whose columns are known before reading (Parquet, CSV) is checked once, up front; a JSON Lines
 * row is checked as it is read, and a row without a usable string becomes a row with an error. A row without the
 * column but with a messages column ({@code messages}, or {@code generate --messages-column}) is a chat row: a JSON
 * Lines array of {@code {role, content}} objects, or a Parquet column {@code list<struct<role: string, content:
 * string>>} (as Spark writes {@code array<struct<role, content>>}).
 */
final class TextColumn {

    static final String MESSAGES = "messages";

    private final String name;
    private final String messagesName;

    /**
     * @param name         the text's column
     * @param messagesName the column read as chat messages in rows without {@code name}
     */
    TextColumn(String name, String messagesName) {
        this.name = Objects.requireNonNull(name, "name");
        this.messagesName = Objects.requireNonNull(messagesName, "messagesName");
        if (name.equals(messagesName)) {
            throw new FloodException("the text column and the messages column must differ, both are '" + name + "'");
        }
    }

    TextColumn(String name) {
        this(name, MESSAGES);
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
        if (!schema.containsField(name) && schema.containsField(messagesName)) {
            checkMessages(schema.getType(messagesName), input);
            return;
        }
        if (!schema.containsField(name)) {
            throw new FloodException(input + " has no column '" + name + "' (columns: "
                    + String.join(", ", schema.getFields().stream().map(Type::getName).toList()) + ")");
        }
        Type column = schema.getType(name);
        if (!isString(column)) {
            throw new FloodException(input + ": column '" + name + "' must hold strings, but it is "
                    + column.toString().strip());
        }
    }

    /**
     * A Parquet {@code messages} column read as chat: a {@code LIST} whose element is a group with string fields
     * {@code role} and {@code content} (three-level {@code list.element}, or the older two-level form).
     */
    private void checkMessages(Type column, String input) {
        Type element = listElement(column);
        boolean isMessages = element != null && !element.isPrimitive()
                && isString(element.asGroupType(), "role") && isString(element.asGroupType(), "content");
        if (!isMessages) {
            throw new FloodException(input + " has no column '" + name + "', and its column '" + messagesName
                    + "' is not a list of {role, content} string structs to read as chat: "
                    + column.toString().strip());
        }
    }

    /** The element type of a {@code LIST} group, or null when {@code column} is not one. */
    private static Type listElement(Type column) {
        if (column.isPrimitive() || column.isRepetition(Type.Repetition.REPEATED)
                || !(column.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation)
                || column.asGroupType().getFieldCount() != 1) {
            return null;
        }
        Type repeated = column.asGroupType().getType(0);
        boolean threeLevel = !repeated.isPrimitive() && repeated.asGroupType().getFieldCount() == 1
                && repeated.getName().equals("list");
        return threeLevel ? repeated.asGroupType().getType(0) : repeated;
    }

    private static boolean isString(GroupType group, String field) {
        return group.containsField(field) && isString(group.getType(field));
    }

    private static boolean isString(Type column) {
        return column.isPrimitive()
                && column.asPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.BINARY
                && !column.isRepetition(Type.Repetition.REPEATED)
                && column.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation;
    }

    /** The row's text, or why it has none. */
    RowPrompt read(InputRow row) {
        if (row.error() != null) {
            return RowPrompt.failed(row, row.error());
        }
        JsonNode value = row.columns().get(name);
        if (value.isMissingNode() && !row.columns().get(messagesName).isMissingNode()) {
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

    /**
     * A chat row, or the reason its {@code messages} are not an array of {@code {role, content}} strings (a
     * Parquet list reads as the same JSON: a null list, element or field as JSON null).
     */
    private RowPrompt messages(InputRow row) {
        JsonNode array = row.columns().get(messagesName);
        if (!array.isArray() || array.isEmpty()) {
            return RowPrompt.failed(row, "'" + messagesName + "' must be a non-empty array of {role, content} objects");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode message = array.get(i);
            JsonNode role = message.get("role");
            JsonNode content = message.get("content");
            if (role == null || !role.isTextual() || content == null || !content.isTextual()) {
                return RowPrompt.failed(row, "'" + messagesName + "'[" + i + "] must be an object with string "
                        + "'role' and 'content', got " + message);
            }
            messages.add(new ChatMessage(role.textValue(), content.textValue()));
        }
        return RowPrompt.ofMessages(row, array.toString(), messages);
    }
}
