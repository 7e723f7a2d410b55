package dev.flood.flink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.ResponseFormat;
import java.io.Serializable;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.BooleanType;
import org.apache.flink.table.types.logical.CharType;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.DoubleType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.VarCharType;
import org.apache.flink.table.types.logical.utils.LogicalTypeParser;
import org.apache.flink.table.types.utils.TypeConversions;

/**
 * The typed output of {@code flood.output-schema}: a Flink row type in DDL form ({@code name STRING, age INT,
 * tags ARRAY<STRING>}, or {@code ROW<...>}) or a JSON schema (a text starting with <code>{</code>). It gives the
 * JSON schema decoding is held to, the Flink {@code ROW} type of the result, and parses a generated JSON text into
 * a row of that type.
 *
 * <p>From a row type: STRING/VARCHAR/CHAR to {@code string} (with {@code maxLength} below STRING's), TINYINT,
 * SMALLINT, INT (with their ranges) and BIGINT to {@code integer}, FLOAT, DOUBLE and DECIMAL to {@code number},
 * BOOLEAN to {@code boolean}, ARRAY to {@code array}, ROW to an {@code object} whose fields are all required (no
 * others). From a JSON schema (kept as given for decoding): an object's {@code properties} in order, {@code string}
 * (or a string {@code enum}/{@code const}) to STRING, {@code integer} to BIGINT, {@code number} to DOUBLE,
 * {@code boolean} to BOOLEAN, {@code array} to ARRAY, {@code object} to ROW; a property not required may be NULL.
 */
@PublicEvolving
public final class OutputSchema implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final String source;
    private final RowType rowType;
    private final String jsonSchema;

    private OutputSchema(String source, RowType rowType, String jsonSchema) {
        this.source = source;
        this.rowType = rowType;
        this.jsonSchema = jsonSchema;
    }

    /**
     * Reads a row type or a JSON schema.
     *
     * @throws IllegalArgumentException when it is neither, or holds a type with no JSON form (DATE, MAP, ...)
     */
    public static OutputSchema parse(String text) {
        Objects.requireNonNull(text, "text");
        String trimmed = text.strip();
        if (trimmed.startsWith("{")) {
            JsonNode schema;
            try {
                schema = JSON.readTree(trimmed);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("output schema is not valid JSON: " + e.getOriginalMessage());
            }
            LogicalType type = fromJson(schema, "#");
            if (!(type instanceof RowType row)) {
                throw new IllegalArgumentException("output schema: a JSON schema of an object with properties, got "
                        + trimmed);
            }
            return new OutputSchema(text, row, trimmed);
        }
        String ddl = trimmed.toUpperCase(Locale.ROOT).startsWith("ROW") ? trimmed : "ROW<" + trimmed + ">";
        LogicalType type;
        try {
            type = LogicalTypeParser.parse(ddl, OutputSchema.class.getClassLoader());
        } catch (ValidationException e) {
            throw new IllegalArgumentException("output schema '" + text + "' is neither a Flink row type (name STRING, "
                    + "age INT, ...) nor a JSON schema: " + e.getMessage());
        }
        if (!(type instanceof RowType row) || row.getFieldCount() == 0) {
            throw new IllegalArgumentException("output schema '" + text + "' must be row fields (name STRING, ...)");
        }
        return new OutputSchema(text, row, toJson(row, "").toString());
    }

    /** The text it was read from. */
    public String source() {
        return source;
    }

    /** The result's Flink type. */
    public RowType rowType() {
        return rowType;
    }

    /** The result's Flink type as SQL functions return it: internal {@link RowData}. */
    public DataType dataType() {
        return TypeConversions.fromLogicalToDataType(rowType).bridgedTo(RowData.class);
    }

    /** The JSON schema (compact JSON text) every output is held to. */
    public String jsonSchema() {
        return jsonSchema;
    }

    public ResponseFormat format() {
        return ResponseFormat.jsonSchema(jsonSchema);
    }

    /**
     * The row of a generated JSON text.
     *
     * @throws IllegalArgumentException when the text is not JSON, or a value does not fit its field's type
     */
    public RowData toRow(String json) {
        JsonNode value;
        try {
            value = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the output is not JSON: " + e.getOriginalMessage());
        }
        return (RowData) fromValue(value, rowType, "$");
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof OutputSchema that && that.source.equals(source);
    }

    @Override
    public int hashCode() {
        return source.hashCode();
    }

    @Override
    public String toString() {
        return source;
    }

    /** The JSON schema of a Flink type; {@code path} names the field for messages. */
    private static ObjectNode toJson(LogicalType type, String path) {
        ObjectNode schema = JSON.createObjectNode();
        switch (type.getTypeRoot()) {
            case CHAR, VARCHAR -> {
                schema.put("type", "string");
                int length = type instanceof VarCharType varchar ? varchar.getLength()
                        : ((CharType) type).getLength();
                if (length < VarCharType.MAX_LENGTH) {
                    schema.put("maxLength", length);
                }
            }
            case BOOLEAN -> schema.put("type", "boolean");
            case TINYINT -> range(schema, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case SMALLINT -> range(schema, Short.MIN_VALUE, Short.MAX_VALUE);
            case INTEGER -> range(schema, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case BIGINT -> schema.put("type", "integer");
            case FLOAT, DOUBLE, DECIMAL -> schema.put("type", "number");
            case ARRAY -> {
                schema.put("type", "array");
                schema.set("items", toJson(((ArrayType) type).getElementType(), path + "[]"));
            }
            case ROW -> {
                schema.put("type", "object");
                ObjectNode properties = schema.putObject("properties");
                ArrayNode required = JSON.createArrayNode();
                for (RowType.RowField field : ((RowType) type).getFields()) {
                    String name = path.isEmpty() ? field.getName() : path + "." + field.getName();
                    properties.set(field.getName(), toJson(field.getType(), name));
                    required.add(field.getName());
                }
                schema.set("required", required);
                schema.put("additionalProperties", false);
            }
            default -> throw new IllegalArgumentException("output schema: field " + path + " has type " + type
                    + ", which has no JSON form here (STRING, TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, "
                    + "DECIMAL, BOOLEAN, ARRAY and ROW do)");
        }
        return schema;
    }

    private static void range(ObjectNode schema, long minimum, long maximum) {
        schema.put("type", "integer");
        schema.put("minimum", minimum);
        schema.put("maximum", maximum);
    }

    /** The Flink type of a JSON schema; {@code pointer} is its JSON pointer, for messages. */
    private static LogicalType fromJson(JsonNode schema, String pointer) {
        JsonNode type = schema.get("type");
        if (type == null && (schema.has("enum") || schema.has("const"))) {
            List<JsonNode> values = new ArrayList<>();
            schema.path("enum").forEach(values::add);
            if (schema.has("const")) {
                values.add(schema.get("const"));
            }
            if (values.stream().allMatch(JsonNode::isTextual)) {
                return new VarCharType(VarCharType.MAX_LENGTH);
            }
        }
        String name = type != null && type.isTextual() ? type.textValue() : null;
        if (name == null) {
            throw new IllegalArgumentException("output schema at " + pointer + ": give one \"type\" to derive a Flink "
                    + "type from (or give the output schema as a Flink row type)");
        }
        return switch (name) {
            case "string" -> new VarCharType(VarCharType.MAX_LENGTH);
            case "integer" -> new BigIntType();
            case "number" -> new DoubleType();
            case "boolean" -> new BooleanType();
            case "array" -> new ArrayType(fromJson(schema.path("items"), pointer + "/items"));
            case "object" -> {
                JsonNode properties = schema.get("properties");
                if (properties == null || !properties.isObject() || properties.isEmpty()) {
                    throw new IllegalArgumentException("output schema at " + pointer + ": an object needs "
                            + "\"properties\" to become a ROW");
                }
                List<RowType.RowField> fields = new ArrayList<>();
                properties.fields().forEachRemaining(property -> fields.add(new RowType.RowField(property.getKey(),
                        fromJson(property.getValue(), pointer + "/properties/" + property.getKey()))));
                yield new RowType(fields);
            }
            default -> throw new IllegalArgumentException("output schema at " + pointer + ": type \"" + name
                    + "\" has no Flink form here");
        };
    }

    /** The internal Flink value of a JSON value; {@code path} names it for messages ({@code $.tags[2]}). */
    private static Object fromValue(JsonNode value, LogicalType type, String path) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return null;
        }
        Object converted = switch (type.getTypeRoot()) {
            case CHAR, VARCHAR -> value.isTextual() ? StringData.fromString(value.textValue()) : null;
            case BOOLEAN -> value.isBoolean() ? value.booleanValue() : null;
            case TINYINT -> integer(value, Byte.MIN_VALUE, Byte.MAX_VALUE) ? (byte) value.longValue() : null;
            case SMALLINT -> integer(value, Short.MIN_VALUE, Short.MAX_VALUE) ? (short) value.longValue() : null;
            case INTEGER -> integer(value, Integer.MIN_VALUE, Integer.MAX_VALUE) ? (int) value.longValue() : null;
            case BIGINT -> integer(value, Long.MIN_VALUE, Long.MAX_VALUE) ? value.longValue() : null;
            case FLOAT -> value.isNumber() ? (float) value.doubleValue() : null;
            case DOUBLE -> value.isNumber() ? value.doubleValue() : null;
            case DECIMAL -> value.isNumber() ? decimal(value.decimalValue(), (DecimalType) type) : null;
            case ARRAY -> value.isArray() ? array(value, ((ArrayType) type).getElementType(), path) : null;
            case ROW -> value.isObject() ? row(value, (RowType) type, path) : null;
            default -> throw new IllegalStateException("no JSON form for " + type);
        };
        if (converted == null) {
            throw new IllegalArgumentException("the output's " + path + " is " + value + ", not a value of " + type);
        }
        return converted;
    }

    private static boolean integer(JsonNode value, long minimum, long maximum) {
        return value.isIntegralNumber() && value.canConvertToLong() && value.longValue() >= minimum
                && value.longValue() <= maximum;
    }

    /** Null when the value has more integer digits than the type holds. */
    private static DecimalData decimal(BigDecimal value, DecimalType type) {
        return DecimalData.fromBigDecimal(value, type.getPrecision(), type.getScale());
    }

    private static GenericArrayData array(JsonNode value, LogicalType element, String path) {
        Object[] elements = new Object[value.size()];
        for (int i = 0; i < elements.length; i++) {
            elements[i] = fromValue(value.get(i), element, path + "[" + i + "]");
        }
        return new GenericArrayData(elements);
    }

    private static GenericRowData row(JsonNode value, RowType type, String path) {
        GenericRowData row = new GenericRowData(type.getFieldCount());
        for (int i = 0; i < type.getFieldCount(); i++) {
            String name = type.getFieldNames().get(i);
            row.setField(i, fromValue(value.get(name), type.getTypeAt(i), path + "." + name));
        }
        return row;
    }
}
