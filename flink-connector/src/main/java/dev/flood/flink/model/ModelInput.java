package dev.flood.flink.model;

import dev.flood.api.ChatMessage;
import dev.flood.api.GenerateRequest;
import dev.flood.flink.FloodSettings;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.annotation.Internal;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;

/**
 * The model's one INPUT column: the prompt as text ({@code STRING}) or token ids ({@code ARRAY<INT>}), or a
 * conversation ({@code ARRAY<ROW<role STRING, content STRING>>}, rendered by the model's chat template).
 * ML_PREDICT hands the function the DESCRIPTOR's columns as a row; its field 0 is the input.
 */
@Internal
enum ModelInput {
    TEXT,
    TOKEN_IDS,
    MESSAGES;

    private static final String EXPECTED = "the prompt (STRING, or ARRAY<INT> of token ids) or the messages "
            + "(ARRAY<ROW<role STRING, content STRING>>)";

    static ModelInput of(ResolvedSchema input) {
        List<Column> columns = input.getColumns();
        if (columns.size() != 1) {
            throw new ValidationException("a Flood model takes one INPUT column, " + EXPECTED + ", got "
                    + columns.size() + ": " + columns);
        }
        LogicalType type = columns.get(0).getDataType().getLogicalType();
        if (type.is(LogicalTypeFamily.CHARACTER_STRING)) {
            return TEXT;
        }
        if (type instanceof ArrayType array && array.getElementType().is(LogicalTypeRoot.INTEGER)) {
            return TOKEN_IDS;
        }
        if (type instanceof ArrayType array && array.getElementType() instanceof RowType message
                && message.getFieldNames().equals(List.of("role", "content"))
                && message.getChildren().stream().allMatch(t -> t.is(LogicalTypeFamily.CHARACTER_STRING))) {
            return MESSAGES;
        }
        throw new ValidationException("the INPUT column of a Flood model is " + EXPECTED + ", got " + columns.get(0));
    }

    /** Why a row cannot make a request (NULL messages, or a message with a NULL role or content), or null. */
    String invalid(RowData features) {
        if (this != MESSAGES) {
            return null;   // a NULL prompt goes to the engine, which answers "prompt is null"
        }
        if (features.isNullAt(0)) {
            return "messages are NULL";
        }
        ArrayData array = features.getArray(0);
        for (int i = 0; i < array.size(); i++) {
            RowData message = array.isNullAt(i) ? null : array.getRow(i, 2);
            if (message != null && (message.isNullAt(0) || message.isNullAt(1))) {
                return "message " + i + " has a NULL " + (message.isNullAt(0) ? "role" : "content");
            }
        }
        return null;
    }

    /**
     * The request for one row (which {@link #invalid} accepts), with its seed derived from {@code flood.seed} and
     * the input, held to the settings' response format. A NULL prompt gives a request the engine answers with an
     * error result; a NULL token id is sent as -1, which the engine rejects as outside the vocabulary; a NULL
     * message stays, for the engine to report.
     */
    GenerateRequest request(RowData features, FloodSettings settings) {
        if (this == TEXT) {
            return settings.requestFor(features.isNullAt(0) ? null : features.getString(0).toString());
        }
        if (this == MESSAGES) {
            ArrayData array = features.getArray(0);
            List<ChatMessage> messages = new ArrayList<>(array.size());
            for (int i = 0; i < array.size(); i++) {
                RowData message = array.isNullAt(i) ? null : array.getRow(i, 2);
                messages.add(message == null ? null
                        : new ChatMessage(message.getString(0).toString(), message.getString(1).toString()));
            }
            return settings.requestForMessages(messages);
        }
        if (features.isNullAt(0)) {
            return GenerateRequest.of(null, settings.samplingFor(null));
        }
        ArrayData array = features.getArray(0);
        List<Integer> ids = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            ids.add(array.isNullAt(i) ? -1 : array.getInt(i));
        }
        GenerateRequest request = GenerateRequest.ofTokens(ids, settings.samplingForTokens(ids));
        return settings.shape().format() == null ? request : request.withResponseFormat(settings.shape().format());
    }
}
