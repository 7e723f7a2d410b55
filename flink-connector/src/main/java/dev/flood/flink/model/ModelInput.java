package dev.flood.flink.model;

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

/**
 * The model's one INPUT column, the prompt: text ({@code STRING}) or token ids ({@code ARRAY<INT>}). ML_PREDICT
 * hands the function the DESCRIPTOR's columns as a row; its field 0 is the prompt.
 */
@Internal
enum ModelInput {
    TEXT,
    TOKEN_IDS;

    static ModelInput of(ResolvedSchema input) {
        List<Column> columns = input.getColumns();
        if (columns.size() != 1) {
            throw new ValidationException("a Flood model takes one INPUT column, the prompt (STRING, or ARRAY<INT> of "
                    + "token ids), got " + columns.size() + ": " + columns);
        }
        LogicalType type = columns.get(0).getDataType().getLogicalType();
        if (type.is(LogicalTypeFamily.CHARACTER_STRING)) {
            return TEXT;
        }
        if (type instanceof ArrayType array && array.getElementType().is(LogicalTypeRoot.INTEGER)) {
            return TOKEN_IDS;
        }
        throw new ValidationException("the INPUT column of a Flood model is the prompt: STRING, or ARRAY<INT> of "
                + "token ids, got " + columns.get(0));
    }

    /**
     * The request for one row's prompt, with its seed derived from {@code flood.seed} and the prompt. A NULL
     * prompt gives a request the engine answers with an error result; a NULL token id is sent as -1, which the
     * engine rejects as outside the vocabulary.
     */
    GenerateRequest request(RowData features, FloodSettings settings) {
        if (features.isNullAt(0)) {
            return GenerateRequest.of(null, settings.samplingFor(null));
        }
        if (this == TEXT) {
            String prompt = features.getString(0).toString();
            return GenerateRequest.of(prompt, settings.samplingFor(prompt));
        }
        ArrayData array = features.getArray(0);
        List<Integer> ids = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            ids.add(array.isNullAt(i) ? -1 : array.getInt(i));
        }
        return GenerateRequest.ofTokens(ids, settings.samplingForTokens(ids));
    }
}
