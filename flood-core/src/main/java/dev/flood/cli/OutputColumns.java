package dev.flood.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.FloodException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * The columns of a command's output: every column of the input row as read (JSON Lines: as given; Parquet: with
 * its type), then the command's result columns, named with {@code --result-prefix} in front. A result never
 * replaces an input column: an input whose columns are known (Parquet, CSV) and has a result column's name is
 * refused up front, and a JSON Lines row that has one becomes a row with an error.
 */
final class OutputColumns {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The command's result columns, unprefixed: the names its result records use. */
    private final MessageType results;
    private final String prefix;

    /**
     * @param results the result columns, as the command's records name them
     * @param prefix  put before each result column's name in the output; empty for none
     */
    OutputColumns(MessageType results, String prefix) {
        this.results = Objects.requireNonNull(results, "results");
        this.prefix = Objects.requireNonNull(prefix, "prefix");
    }

    /** A result column's name in the output. */
    String name(String result) {
        return prefix + result;
    }

    /**
     * @param schema the input's columns, or null when each row has its own (JSON Lines)
     * @param input  the input, for messages
     * @throws FloodException when an input column has a result column's name
     */
    void check(MessageType schema, String input) {
        if (schema == null) {
            return;
        }
        List<String> clashes = new ArrayList<>();
        for (Type result : results.getFields()) {
            if (schema.containsField(name(result.getName()))) {
                clashes.add(name(result.getName()));
            }
        }
        if (!clashes.isEmpty()) {
            throw new FloodException(input + " has " + (clashes.size() == 1 ? "a column" : "columns") + " named "
                    + String.join(", ", clashes) + ": " + advice());
        }
    }

    /** Why a JSON Lines row cannot be written beside its results, or null when it can. */
    String clash(InputRow row) {
        if (row.columns() == null) {
            return null;
        }
        for (Type result : results.getFields()) {
            if (!row.columns().get(name(result.getName())).isMissingNode()) {
                return "has a field '" + name(result.getName()) + "': " + advice();
            }
        }
        return null;
    }

    private String advice() {
        return "the output gives that name to a result column" + (prefix.isEmpty() ? "" : " (with --result-prefix "
                + prefix + ")") + "; give --result-prefix PREFIX to put PREFIX before the result columns' names";
    }

    /** The output record as JSON: the row's columns, then the result's fields under their output names. */
    ObjectNode json(InputRow row, ObjectNode result) {
        ObjectNode record = NODES.objectNode();
        if (row.columns() != null) {
            record.setAll(row.columns().toJson());
        }
        result.fields().forEachRemaining(field -> record.set(name(field.getKey()), field.getValue()));
        return record;
    }

    /** The output's Parquet schema: {@code input}'s columns, then the result columns under their output names. */
    MessageType parquet(MessageType input) {
        List<Type> fields = new ArrayList<>(input.getFields());
        for (Type result : results.getFields()) {
            fields.add(renamed(result, name(result.getName())));
        }
        return new MessageType(input.getName(), fields);
    }

    /** Writes {@code result}'s fields into {@code record}'s result columns, which start at field {@code first}. */
    void fill(Group record, int first, ObjectNode result) {
        for (int field = 0; field < results.getFieldCount(); field++) {
            JsonToParquet.append(record, first + field, results.getType(field), result.get(results.getFieldName(field)));
        }
    }

    private static Type renamed(Type type, String name) {
        if (type.isPrimitive()) {
            return Types.primitive(type.asPrimitiveType().getPrimitiveTypeName(), type.getRepetition())
                    .as(type.getLogicalTypeAnnotation()).named(name);
        }
        return Types.buildGroup(type.getRepetition()).as(type.getLogicalTypeAnnotation())
                .addFields(type.asGroupType().getFields().toArray(Type[]::new)).named(name);
    }
}
