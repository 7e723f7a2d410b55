package dev.flood.spark.typed;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * The Spark type of the values a JSON schema ({@code output_schema} given as JSON) admits:
 * <pre>
 *   object with properties              STRUCT of the properties, in schema order (absent ones are null)
 *   object with only an additionalProperties schema   MAP&lt;STRING, T&gt;
 *   array with items                    ARRAY&lt;T&gt;
 *   string / integer / number / boolean STRING / BIGINT / DOUBLE / BOOLEAN
 *   enum or const                       the type all its values share
 * </pre>
 * {@code "null"} among the types, or an {@code anyOf} member {@code {"type":"null"}}, only makes the value
 * nullable (every Spark field is). {@code type} may be left out where the keywords imply it, as the engine reads
 * the schema; local {@code $ref}s into {@code $defs}/{@code definitions} and one-schema {@code allOf}s are
 * followed. Keywords that only narrow values ({@code minimum}, {@code pattern}, ...) do not change the type; the
 * engine checks them when it compiles the schema. A schema with no single Spark type (any value, a union of
 * types, an object without properties) is refused, naming its JSON pointer.
 */
final class JsonSchemaTypes {

    /** Deepest nesting followed (also bounds a recursive $ref, which the engine refuses anyway). */
    private static final int MAX_DEPTH = 64;

    private final JsonNode root;

    private JsonSchemaTypes(JsonNode root) {
        this.root = root;
    }

    /** Throws IllegalArgumentException naming the JSON pointer of the part that has no Spark type. */
    static DataType of(JsonNode schema) {
        return new JsonSchemaTypes(schema).type(schema, "", 0);
    }

    private DataType type(JsonNode schema, String pointer, int depth) {
        if (depth > MAX_DEPTH) {
            throw refuse(pointer, "nests deeper than " + MAX_DEPTH + " levels (a recursive $ref?)");
        }
        if (!schema.isObject() || schema.isEmpty()) {
            throw refuse(pointer, "admits any JSON value, which has no Spark type; give its type");
        }
        if (schema.has("$ref")) {
            return type(reference(schema.get("$ref"), pointer), pointer + "/$ref", depth + 1);
        }
        if (schema.has("allOf")) {
            JsonNode all = schema.get("allOf");
            if (!all.isArray() || all.size() != 1) {
                throw refuse(pointer + "/allOf", "combines schemas; only a one-schema allOf has a Spark type");
            }
            return type(all.get(0), pointer + "/allOf/0", depth + 1);
        }
        if (schema.has("anyOf")) {
            return anyOf(schema.get("anyOf"), pointer + "/anyOf", depth);
        }
        List<String> types = types(schema, pointer);
        if (types.size() != 1) {
            throw refuse(pointer, "admits values of types " + types + ", which no one Spark type holds");
        }
        return switch (types.get(0)) {
            case "object" -> object(schema, pointer, depth);
            case "array" -> {
                if (!schema.has("items")) {
                    throw refuse(pointer, "is an array without items, whose elements have no Spark type");
                }
                yield DataTypes.createArrayType(type(schema.get("items"), pointer + "/items", depth + 1), true);
            }
            case "string" -> DataTypes.StringType;
            case "integer" -> DataTypes.LongType;
            case "number" -> DataTypes.DoubleType;
            case "boolean" -> DataTypes.BooleanType;
            default -> throw refuse(pointer, "admits only null, which has no Spark type");
        };
    }

    /** anyOf's members other than {@code {"type":"null"}} must all have one Spark type. */
    private DataType anyOf(JsonNode members, String pointer, int depth) {
        if (!members.isArray() || members.isEmpty()) {
            throw refuse(pointer, "is not a non-empty array");
        }
        DataType common = null;
        for (int i = 0; i < members.size(); i++) {
            JsonNode member = members.get(i);
            if (member.path("type").asText("").equals("null") && member.size() == 1) {
                continue;
            }
            DataType type = type(member, pointer + "/" + i, depth + 1);
            if (common != null && !common.equals(type)) {
                throw refuse(pointer, "joins " + common.sql() + " and " + type.sql()
                        + ", which no one Spark type holds");
            }
            common = type;
        }
        if (common == null) {
            throw refuse(pointer, "admits only null, which has no Spark type");
        }
        return common;
    }

    private DataType object(JsonNode schema, String pointer, int depth) {
        JsonNode properties = schema.path("properties");
        if (properties.isObject() && !properties.isEmpty()) {
            List<StructField> fields = new ArrayList<>();
            Iterator<Map.Entry<String, JsonNode>> each = properties.fields();
            while (each.hasNext()) {
                Map.Entry<String, JsonNode> property = each.next();
                fields.add(DataTypes.createStructField(property.getKey(), type(property.getValue(),
                        pointer + "/properties/" + escape(property.getKey()), depth + 1), true));
            }
            return DataTypes.createStructType(fields);
        }
        JsonNode additional = schema.get("additionalProperties");
        if (additional != null && additional.isObject() && !additional.isEmpty()) {
            return DataTypes.createMapType(DataTypes.StringType,
                    type(additional, pointer + "/additionalProperties", depth + 1), true);
        }
        throw refuse(pointer, "is an object without properties or an additionalProperties schema, which has no "
                + "Spark type");
    }

    /**
     * The schema's JSON types without {@code "null"}: {@code type} (one or a list); else those its keywords imply
     * (as the engine infers them); else those of its {@code enum} or {@code const} values. Integers among
     * numbers are numbers (DOUBLE).
     */
    private static List<String> types(JsonNode schema, String pointer) {
        Set<String> types = new LinkedHashSet<>();
        JsonNode type = schema.get("type");
        if (type != null) {
            for (JsonNode t : type.isArray() ? type : List.of(type)) {
                types.add(t.asText());
            }
        } else if (schema.has("properties") || schema.has("required") || schema.has("additionalProperties")) {
            types.add("object");
        } else if (schema.has("items") || schema.has("minItems") || schema.has("maxItems")) {
            types.add("array");
        } else if (schema.has("minLength") || schema.has("maxLength") || schema.has("pattern")
                || schema.has("format")) {
            types.add("string");
        } else if (schema.has("minimum") || schema.has("maximum") || schema.has("exclusiveMinimum")
                || schema.has("exclusiveMaximum")) {
            types.add("number");
        } else if (schema.has("enum") || schema.has("const")) {
            for (JsonNode value : schema.has("enum") ? schema.get("enum") : List.of(schema.get("const"))) {
                types.add(jsonType(value));
            }
        } else {
            throw refuse(pointer, "admits any JSON value, which has no Spark type; give its type");
        }
        if (types.size() > 1) {
            types.remove("null");
        }
        if (types.contains("number")) {
            types.remove("integer");
        }
        return new ArrayList<>(types);
    }

    private static String jsonType(JsonNode value) {
        if (value.isTextual()) {
            return "string";
        }
        if (value.isIntegralNumber()) {
            return "integer";
        }
        if (value.isNumber()) {
            return "number";
        }
        if (value.isBoolean()) {
            return "boolean";
        }
        return value.isNull() ? "null" : value.isArray() ? "array" : "object";
    }

    /** A local reference: {@code #/$defs/name}, {@code #/definitions/name}, any JSON pointer, or {@code #}. */
    private JsonNode reference(JsonNode ref, String pointer) {
        String text = ref.asText("");
        if (!text.equals("#") && !text.startsWith("#/")) {
            throw refuse(pointer + "/$ref", "points outside the schema (" + ref + "); only local references work");
        }
        JsonNode target = root.at(text.substring(1));
        if (target.isMissingNode()) {
            throw refuse(pointer + "/$ref", "points to nothing (" + ref + ")");
        }
        return target;
    }

    private static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }

    private static IllegalArgumentException refuse(String pointer, String why) {
        return new IllegalArgumentException("output_schema: the JSON schema at '" + (pointer.isEmpty() ? "/" : pointer)
                + "' " + why);
    }
}
