package dev.flood.flink.model;

import dev.flood.api.GenerationResult;
import dev.flood.flink.OutputSchema;
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
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;

/**
 * How a generation fills the model's OUTPUT columns. One column receives the completion's text (it must be a
 * string); several columns are matched by name to the result's fields:
 * {@code text STRING, finish_reason STRING, prompt_tokens INT, completion_tokens INT, error STRING}. A row whose
 * request failed (with {@code on-error} RESULT) has NULL text, finish_reason {@code error} and the reason in
 * {@code error}. A model with an {@code output-schema} fills the columns named after the schema's fields (of the
 * same types) from the parsed JSON, and any result fields beside them; a row whose output is not a complete value
 * of the schema (cut by max tokens) has those columns NULL and says why in {@code error}, its finish_reason kept.
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

        Object value(GenerationResult result, String error) {
            return switch (this) {
                case TEXT -> result.isError() ? null : StringData.fromString(result.text());
                case FINISH_REASON -> StringData.fromString(result.finishReason().wireName());
                case PROMPT_TOKENS -> result.promptTokens();
                case COMPLETION_TOKENS -> result.completionTokens();
                case ERROR -> error == null ? null : StringData.fromString(error);
            };
        }
    }

    /**
     * What fills one output column: a result field, or (when {@code field} is null) the typed output's field
     * {@code typedIndex}.
     */
    private record Slot(Field field, int typedIndex) implements Serializable {
    }

    private final List<Slot> slots;
    /** The model's typed output, or null. */
    private final OutputSchema typed;

    private ModelOutputs(List<Slot> slots, OutputSchema typed) {
        this.slots = List.copyOf(slots);
        this.typed = typed;
    }

    /**
     * The layout of the model's OUTPUT schema; a column that fits no field fails, naming what would.
     *
     * @param typed the model's output schema, or null
     */
    static ModelOutputs of(ResolvedSchema output, OutputSchema typed) {
        List<Column> columns = output.getColumns();
        if (typed == null && columns.size() == 1) {
            if (!Field.TEXT.accepts(columns.get(0))) {
                throw new ValidationException("the OUTPUT column of a Flood model holds the completion and must be a "
                        + "STRING, got " + columns.get(0));
            }
            return new ModelOutputs(List.of(new Slot(Field.TEXT, -1)), null);
        }
        List<Slot> slots = new ArrayList<>();
        for (Column column : columns) {
            int typedIndex = typed == null ? -1 : typed.rowType().getFieldNames().indexOf(column.getName());
            if (typedIndex >= 0) {
                LogicalType expected = typed.rowType().getTypeAt(typedIndex);
                if (!expected.copy(true).equals(column.getDataType().getLogicalType().copy(true))) {
                    throw new ValidationException("OUTPUT column " + column + " of a Flood model: the output schema "
                            + "gives the field " + column.getName() + " the type " + expected);
                }
                slots.add(new Slot(null, typedIndex));
                continue;
            }
            Field field = null;
            for (Field candidate : Field.values()) {
                if (candidate.columnName().equalsIgnoreCase(column.getName())) {
                    field = candidate;
                }
            }
            if (field == null || !field.accepts(column)) {
                throw new ValidationException("OUTPUT column " + column + " of a Flood model: " + (typed == null
                        ? "with several OUTPUT columns each" : "with an output schema each OUTPUT column")
                        + " must be one of " + known(typed));
            }
            slots.add(new Slot(field, -1));
        }
        return new ModelOutputs(slots, typed);
    }

    /**
     * The output row of a result. {@code value}: the typed output parsed from the result's text, or null (no typed
     * output, or an error); {@code error}: the result's error, or why its text did not parse.
     */
    RowData row(GenerationResult result, RowData value, String error) {
        GenericRowData row = new GenericRowData(slots.size());
        for (int i = 0; i < slots.size(); i++) {
            Slot slot = slots.get(i);
            if (slot.field() != null) {
                row.setField(i, slot.field().value(result, error));
            } else if (value != null) {
                row.setField(i, ((GenericRowData) value).getField(slot.typedIndex()));
            }
        }
        return row;
    }

    /** The model's typed output, or null. */
    OutputSchema typed() {
        return typed;
    }

    private static String known(OutputSchema typed) {
        List<String> columns = new ArrayList<>();
        if (typed != null) {
            for (RowType.RowField field : typed.rowType().getFields()) {
                columns.add(field.getName() + " " + field.getType());
            }
        }
        for (Field field : Field.values()) {
            columns.add(field.columnName() + " " + field.typeName());
        }
        return String.join(", ", columns);
    }
}
