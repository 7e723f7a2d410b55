package dev.flood.spark.runtime;

import dev.flood.api.ChatMessage;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * flood_chat's messages column: {@code array<struct<role: string, content: string>>}, the two fields in either
 * order (Spark's JSON reader sorts them: content, role) and no other field (the chat template would not see it).
 * Reads a row's array as {@link CallInput.Message}s, keeping nulls, and turns them into the engine's
 * {@link ChatMessage}s, refusing nulls with the message's index.
 */
public final class MessagesColumn implements Serializable {

    private static final long serialVersionUID = 1L;

    static final String ROLE = "role";
    static final String CONTENT = "content";
    /** The type's name in messages. */
    public static final String TYPE = "array<struct<role: string, content: string>>";

    /** Positions of role and content in the struct. */
    private final int roleOrdinal;
    private final int contentOrdinal;

    private MessagesColumn(int roleOrdinal, int contentOrdinal) {
        this.roleOrdinal = roleOrdinal;
        this.contentOrdinal = contentOrdinal;
    }

    /** Why {@code type} is not a messages column, or empty if it is one. */
    public static Optional<String> problem(DataType type) {
        if (!(type instanceof ArrayType array) || !(array.elementType() instanceof StructType struct)) {
            return Optional.of("messages must be " + TYPE + ", got " + type.simpleString());
        }
        for (StructField field : struct.fields()) {
            if (!field.name().equals(ROLE) && !field.name().equals(CONTENT)) {
                return Optional.of("a message struct holds only role and content, got a field '" + field.name()
                        + "' in " + type.simpleString());
            }
            if (!field.dataType().equals(DataTypes.StringType)) {
                return Optional.of("a message's " + field.name() + " must be a string, got "
                        + field.dataType().simpleString() + " in " + type.simpleString());
            }
        }
        if (struct.getFieldIndex(ROLE).isEmpty() || struct.getFieldIndex(CONTENT).isEmpty()) {
            return Optional.of("messages must be " + TYPE + ", got " + type.simpleString());
        }
        return Optional.empty();
    }

    /** The reader for a column of {@code type}, which {@link #problem} accepts. */
    static MessagesColumn of(DataType type) {
        problem(type).ifPresent(why -> {
            throw new IllegalArgumentException(why);
        });
        StructType struct = (StructType) ((ArrayType) type).elementType();
        return new MessagesColumn(struct.fieldIndex(ROLE), struct.fieldIndex(CONTENT));
    }

    /** A Catalyst array of message structs, nulls kept. */
    List<CallInput.Message> read(ArrayData array) {
        List<CallInput.Message> messages = new ArrayList<>(array.numElements());
        for (int i = 0; i < array.numElements(); i++) {
            if (array.isNullAt(i)) {
                messages.add(null);
                continue;
            }
            InternalRow message = array.getStruct(i, 2);
            messages.add(new CallInput.Message(string(message, roleOrdinal), string(message, contentOrdinal)));
        }
        return messages;
    }

    /** An external array of message Rows (a {@code Dataset<Row>}'s), nulls kept. */
    List<CallInput.Message> read(List<Row> rows) {
        List<CallInput.Message> messages = new ArrayList<>(rows.size());
        for (Row message : rows) {
            messages.add(message == null ? null
                    : new CallInput.Message(message.getString(roleOrdinal), message.getString(contentOrdinal)));
        }
        return messages;
    }

    /** The engine's messages; IllegalArgumentException naming the first null message, role or content. */
    static List<ChatMessage> chatMessages(List<CallInput.Message> messages) {
        List<ChatMessage> chat = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            CallInput.Message message = messages.get(i);
            if (message == null) {
                throw new IllegalArgumentException("message " + i + " is null");
            }
            if (message.role() == null || message.content() == null) {
                throw new IllegalArgumentException("message " + i + " has a null "
                        + (message.role() == null ? ROLE : CONTENT));
            }
            chat.add(new ChatMessage(message.role(), message.content()));
        }
        return chat;
    }

    private static String string(InternalRow row, int ordinal) {
        return row.isNullAt(ordinal) ? null : row.getUTF8String(ordinal).toString();
    }
}
