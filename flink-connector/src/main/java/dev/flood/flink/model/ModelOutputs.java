package dev.flood.flink.model;

import dev.flood.api.GenerationResult;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.annotation.Internal;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

/**
 * How a generation fills the model's OUTPUT columns. One column receives the completion's text (it must be a
 * string); several columns are matched by name to the result's fields:
 * {@code text STRING, finish_reason STRING, prompt_tokens INT, completion_tokens INT, error STRING}. A row whose
 * request failed (with {@code on-error} RESULT) has NULL text, finish_reason {@code error} and the reason in
 * {@code error}.
 */
@Internal
final class ModelOutputs implements Serializable {

    private static final long serialVersionUID = 1L;

    /** A result field an output column can hold, with the type family its column must have. */
    enum Field {
        TEXT(LogicalTypeFamily.CHARACTER_STRING),
        FINISH_REASON(LogicalTypeFamily.CHARACTER_STRING),
        PROMPT_TOKENS(LogicalTypeRoot.INTEGER),
        COMPLETION_TOKENS(LogicalTypeRoot.INTEGER),
        ERROR(LogicalTypeFamily.CHARACTER_STRING);

        private final LogicalTypeFamily family;
        private final LogicalTypeRoot root;

        Field(LogicalTypeFamily family) {
            this.family = family;
            this.root = null;
        }

        Field(LogicalTypeRoot root) {
            this.family = null;
            this.root = root;
        }

        String columnName() {
            return name().toLowerCase(Locale.ROOT);
        }

        String typeName() {
            return family != null ? "STRING" : root.name();
        }

        boolean accepts(Column column) {
            LogicalTypeRoot actual = column.getDataType().getLogicalType().getTypeRoot();
            return family != null ? actual.getFamilies().contains(family) : actual == root;
        }

        Object value(GenerationResult result) {
            return switch (this) {
                case TEXT -> result.isError() ? null : StringData.fromString(result.text());
                case FINISH_REASON -> StringData.fromString(result.finishReason().wireName());
                case PROMPT_TOKENS -> result.promptTokens();
                case COMPLETION_TOKENS -> result.completionTokens();
                case ERROR -> result.error() == null ? null : StringData.fromString(result.error());
            };
        }
    }

    /** The field of each output column, in column order. */
    private final List<Field> fields;

    private ModelOutputs(List<Field> fields) {
        this.fields = List.copyOf(fields);
    }

    /** The layout of the model's OUTPUT schema; a column that fits no field fails, naming what would. */
    static ModelOutputs of(ResolvedSchema output) {
        List<Column> columns = output.getColumns();
        if (columns.size() == 1) {
            if (!Field.TEXT.accepts(columns.get(0))) {
                throw new ValidationException("the OUTPUT column of a Flood model holds the completion and must be a "
                        + "STRING, got " + columns.get(0));
            }
            return new ModelOutputs(List.of(Field.TEXT));
        }
        List<Field> fields = new ArrayList<>();
        for (Column column : columns) {
            Field field = null;
            for (Field candidate : Field.values()) {
                if (candidate.columnName().equalsIgnoreCase(column.getName())) {
                    field = candidate;
                }
            }
            if (field == null || !field.accepts(column)) {
                throw new ValidationException("OUTPUT column " + column + " of a Flood model: with several OUTPUT "
                        + "columns each must be one of " + known());
            }
            fields.add(field);
        }
        return new ModelOutputs(fields);
    }

    RowData row(GenerationResult result) {
        GenericRowData row = new GenericRowData(fields.size());
        for (int i = 0; i < fields.size(); i++) {
            row.setField(i, fields.get(i).value(result));
        }
        return row;
    }

    private static String known() {
        List<String> columns = new ArrayList<>();
        for (Field field : Field.values()) {
            columns.add(field.columnName() + " " + field.typeName());
        }
        return String.join(", ", columns);
    }
}
