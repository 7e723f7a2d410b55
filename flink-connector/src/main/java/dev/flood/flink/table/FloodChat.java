package dev.flood.flink.table;

import dev.flood.api.ChatMessage;
import dev.flood.flink.TaskManagerSlots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.Row;

/**
 * {@code FLOOD_CHAT(messages ARRAY<ROW<role STRING, content STRING>> [, output_schema STRING literal]) -> STRING or
 * ROW}: the model's next (assistant) message in the conversation, rendered by the model's chat template, sampled as
 * the {@code flood.*} options say with a seed derived from {@code flood.seed} and the messages
 * ({@code flood.system} does not apply: the messages carry their own). NULL for NULL messages. A conversation the
 * engine cannot run (no messages, a NULL message, role or content, a template that raises, a model without a chat
 * template, an over-long prompt) gives NULL with {@code flood.on-error} RESULT and fails the query with FAIL. With
 * an output schema the result is a typed {@code ROW} (see {@link GenerationFunction}).
 *
 * <pre>{@code
 * CREATE FUNCTION FLOOD_CHAT AS 'dev.flood.flink.table.FloodChat';
 * SELECT id, FLOOD_CHAT(ARRAY[ROW('system', 'Answer briefly.'), ROW('user', question)]) FROM questions;
 * }</pre>
 */
@PublicEvolving
public final class FloodChat extends GenerationFunction {

    /** The type of the messages argument; a column of another ROW type castable to it is cast. */
    public static final DataType MESSAGES = DataTypes.ARRAY(DataTypes.ROW(
            DataTypes.FIELD("role", DataTypes.STRING()), DataTypes.FIELD("content", DataTypes.STRING())));

    /** Options from the job only (for {@code CREATE FUNCTION}). */
    public FloodChat() {
        this(Map.of());
    }

    /** {@code options}: {@code flood.*} keys, taking precedence over the job's. */
    public FloodChat(Map<String, String> options) {
        this(options, TaskManagerSlots.UNKNOWN);
    }

    /** {@code slots}: the TaskManagers' slots, the default of {@code flood.threads}. */
    public FloodChat(Map<String, String> options, TaskManagerSlots slots) {
        super(options, slots);
    }

    public void eval(CompletableFuture<Object> result, Row[] messages) {
        eval(result, messages, null);
    }

    public void eval(CompletableFuture<Object> result, Row[] messages, String outputSchema) {
        if (messages == null) {
            result.complete(null);
            return;
        }
        List<ChatMessage> conversation = new ArrayList<>(messages.length);
        for (int i = 0; i < messages.length; i++) {
            Row message = messages[i];
            if (message != null && (message.getField(0) == null || message.getField(1) == null)) {
                started();
                finish(result, null, 0, "message " + i + " has a NULL " + (message.getField(0) == null ? "role"
                        : "content"));
                return;
            }
            // a NULL message stays, for the engine to report as this row's error
            conversation.add(message == null ? null
                    : new ChatMessage((String) message.getField(0), (String) message.getField(1)));
        }
        generate(result, settings().requestForMessages(conversation), outputSchema);
    }

    @Override
    DataType inputType() {
        return MESSAGES;
    }

    @Override
    String functionName() {
        return "FLOOD_CHAT";
    }
}
