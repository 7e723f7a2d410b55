package dev.flood.spark.runtime;

import dev.flood.api.FloodException;
import java.util.List;

/**
 * A row that failed under {@code on_error=fail}. The same row fails the same way on every attempt, so the task
 * fails its stage at once rather than letting Spark retry it ({@link StageFailures}).
 */
public final class RowFailure extends FloodException {

    private static final long serialVersionUID = 1L;

    /** Most characters of a text prompt quoted in the message. */
    static final int PROMPT_CHARS = 40;
    /** Most token ids of a token-id prompt listed in the message. */
    static final int PROMPT_TOKEN_IDS = 8;

    RowFailure(String message) {
        super(message);
    }

    /**
     * "flood_generate failed (on_error=fail) on the row with id=17, prompt 'The quick brown…' (row 3 of partition
     * 2): why"; the key part only when {@code key_column} names a column; flood_chat describes its messages
     * instead ("messages [user: 'Hi', …] (3 messages)").
     *
     * @param keyColumn the column named by key_column, or null
     */
    static RowFailure of(FloodFunction function, CallInput input, String keyColumn, RowPosition position, String error) {
        StringBuilder message = new StringBuilder(function.sqlName()).append(" failed (on_error=fail) on the row");
        if (keyColumn != null) {
            message.append(" with ").append(keyColumn).append('=').append(input.key() == null ? "NULL" : input.key())
                    .append(',');
        }
        String prompt = function == FloodFunction.CHAT ? describeMessages(input.messages()) : describePrompt(input);
        message.append(' ').append(prompt).append(" (").append(position).append("): ").append(error);
        return new RowFailure(message.toString());
    }

    /** The prompt as the user would recognise it: its first characters, or its first token ids. */
    static String describePrompt(CallInput input) {
        if (input.isTokens()) {
            int shown = Math.min(PROMPT_TOKEN_IDS, input.tokenIds().size());
            String ids = input.tokenIds().subList(0, shown).toString();
            return "prompt " + (shown < input.tokenIds().size() ? ids.substring(0, ids.length() - 1) + ", …]" : ids)
                    + " (" + input.tokenIds().size() + " token ids)";
        }
        if (input.text() == null) {
            return "prompt NULL";
        }
        return "prompt " + quoted(input.text());
    }

    /** flood_chat's messages: the first message's role and first characters, and how many there are. */
    static String describeMessages(List<CallInput.Message> messages) {
        if (messages == null) {
            return "messages NULL";
        }
        if (messages.isEmpty()) {
            return "messages [] (0 messages)";
        }
        CallInput.Message first = messages.get(0);
        String shown = first == null ? "NULL" : (first.role() == null ? "NULL" : first.role()) + ": "
                + (first.content() == null ? "NULL" : quoted(first.content()));
        return "messages [" + shown + (messages.size() > 1 ? ", …]" : "]") + " (" + messages.size()
                + (messages.size() == 1 ? " message)" : " messages)");
    }

    /** The text's first {@link #PROMPT_CHARS} code points, quoted. */
    private static String quoted(String text) {
        int end = text.offsetByCodePoints(0, Math.min(PROMPT_CHARS, text.codePointCount(0, text.length())));
        return "'" + text.substring(0, end) + (end < text.length() ? "…'" : "'");
    }

    /** Where a row sits: its 0-based position in its task's partition. */
    record RowPosition(long rowNumber, int partition) {
        @Override
        public String toString() {
            return "row " + rowNumber + " of partition " + partition;
        }
    }
}
