package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.Type;

/**
 * JSON values written as Parquet values of a given type, for result records and for the columns of JSON Lines
 * rows: primitive fields from JSON scalars (a {@code JSON}-annotated string column from any value, as its JSON
 * text), {@code LIST}-annotated groups (the standard three-level layout
 * {@code group (LIST) { repeated group list { element } }}) from JSON arrays, other groups from JSON objects.
 * A JSON null or an absent value leaves an optional field null.
 */
final class JsonToParquet {

    private JsonToParquet() {
    }

    /** Fills every field of {@code group} from the same-named fields of {@code object}. */
    static void fill(Group group, JsonNode object) {
        GroupType type = group.getType();
        for (int field = 0; field < type.getFieldCount(); field++) {
            append(group, field, type.getType(field), object.get(type.getFieldName(field)));
        }
    }

    /**
     * Appends {@code value} to field {@code field} of {@code group}, whose type is {@code type}.
     *
     * @throws IllegalStateException when a required field has no value
     */
    static void append(Group group, int field, Type type, JsonNode value) {
        if (value == null || value.isNull()) {
            if (type.isRepetition(Type.Repetition.REQUIRED)) {
                throw new IllegalStateException("no value for required column " + type.getName());
            }
        } else if (type.isPrimitive()) {
            primitive(group, field, type, value);
        } else if (type.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation) {
            Group list = group.addGroup(field);
            Type element = type.asGroupType().getType(0).asGroupType().getType(0);
            for (JsonNode item : value) {
                Group entry = list.addGroup(0);
                if (element.isPrimitive()) {
                    primitive(entry, 0, element, item);
                } else {
                    fill(entry.addGroup(0), item);
                }
            }
        } else {
            fill(group.addGroup(field), value);
        }
    }

    private static void primitive(Group group, int field, Type type, JsonNode value) {
        switch (type.asPrimitiveType().getPrimitiveTypeName()) {
            case INT32 -> group.add(field, value.intValue());
            case INT64 -> group.add(field, value.longValue());
            case DOUBLE -> group.add(field, value.doubleValue());
            case FLOAT -> group.add(field, value.floatValue());
            case BOOLEAN -> group.add(field, value.booleanValue());
            case BINARY -> group.add(field, type.getLogicalTypeAnnotation()
                    instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation ? value.toString() : value.asText());
            default -> throw new IllegalStateException("column " + type.getName() + " has a type JSON values are not "
                    + "written as: " + type);
        }
    }
}
