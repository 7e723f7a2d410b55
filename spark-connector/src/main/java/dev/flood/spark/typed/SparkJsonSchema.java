package dev.flood.spark.typed;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.CharType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.VarcharType;

/**
 * A Spark type (from a DDL {@code output_schema}) as the JSON schema its generated values are held to:
 * <pre>
 *   STRING              {"type":"string"}      VARCHAR(n) adds maxLength n, CHAR(n) minLength and maxLength n
 *   TINYINT .. INT      {"type":"integer","minimum":..,"maximum":..}   the type's range, so every value fits
 *   BIGINT              {"type":"integer"}     the engine writes at most 18 digits, which fit
 *   FLOAT, DOUBLE, DECIMAL(p,s)   {"type":"number"}
 *   BOOLEAN             {"type":"boolean"}
 *   ARRAY&lt;T&gt;            {"type":"array","items":T}
 *   MAP&lt;STRING,T&gt;       {"type":"object","additionalProperties":T}
 *   STRUCT&lt;a: T, ...&gt;   {"type":"object","properties":{"a":T,..},"required":[every field],
 *                        "additionalProperties":false}
 * </pre>
 * Every field is required and no value is null, whatever the DDL's nullability: a field the caller declares is
 * one the model must fill (a schema that allowed null would let a weak model answer null everywhere). A JSON
 * schema {@code output_schema} is the way to let a field be null or absent.
 */
final class SparkJsonSchema {

    static final String SUPPORTED = "STRING, VARCHAR(n), CHAR(n), TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, "
            + "DECIMAL(p,s), BOOLEAN, ARRAY<T>, MAP<STRING,T>, STRUCT<...>";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private SparkJsonSchema() {
    }

    /** Throws IllegalArgumentException naming the field and the type that has no JSON schema. */
    static ObjectNode of(StructType struct) {
        return schema(struct, "");
    }

    /** @param path the field's dotted path in the struct, for messages ({@code ""} at the top) */
    private static ObjectNode schema(DataType type, String path) {
        ObjectNode schema = NODES.objectNode();
        // CHAR and VARCHAR are StringTypes in Spark 4: test them first
        if (type instanceof VarcharType varchar) {
            schema.put("type", "string").put("maxLength", varchar.length());
        } else if (type instanceof CharType chars) {
            schema.put("type", "string").put("minLength", chars.length()).put("maxLength", chars.length());
        } else if (type instanceof StringType) {
            schema.put("type", "string");
        } else if (type instanceof ByteType) {
            integer(schema, Byte.MIN_VALUE, Byte.MAX_VALUE);
        } else if (type instanceof ShortType) {
            integer(schema, Short.MIN_VALUE, Short.MAX_VALUE);
        } else if (type instanceof IntegerType) {
            integer(schema, Integer.MIN_VALUE, Integer.MAX_VALUE);
        } else if (type instanceof LongType) {
            schema.put("type", "integer");
        } else if (type instanceof FloatType || type instanceof DoubleType || type instanceof DecimalType) {
            schema.put("type", "number");
        } else if (type instanceof BooleanType) {
            schema.put("type", "boolean");
        } else if (type instanceof ArrayType array) {
            schema.put("type", "array").set("items", schema(array.elementType(), path + "[]"));
        } else if (type instanceof MapType map) {
            if (!(map.keyType() instanceof StringType)) {
                throw new IllegalArgumentException("output_schema: " + where(path) + "a MAP's keys must be STRING "
                        + "(they are JSON object keys), got " + map.keyType().sql());
            }
            schema.put("type", "object").set("additionalProperties", schema(map.valueType(), path + "{}"));
        } else if (type instanceof StructType struct) {
            if (struct.fields().length == 0) {
                throw new IllegalArgumentException("output_schema: " + where(path) + "a STRUCT needs a field");
            }
            ObjectNode properties = NODES.objectNode();
            ArrayNode required = NODES.arrayNode();
            for (StructField field : struct.fields()) {
                String fieldPath = path.isEmpty() ? field.name() : path + "." + field.name();
                properties.set(field.name(), schema(field.dataType(), fieldPath));
                required.add(field.name());
            }
            schema.put("type", "object");
            schema.set("properties", properties);
            schema.set("required", required);
            schema.put("additionalProperties", false);
        } else {
            throw new IllegalArgumentException("output_schema: " + where(path) + "type " + type.sql()
                    + " cannot be generated as JSON; supported: " + SUPPORTED);
        }
        return schema;
    }

    private static void integer(ObjectNode schema, long minimum, long maximum) {
        schema.put("type", "integer").put("minimum", minimum).put("maximum", maximum);
    }

    private static String where(String path) {
        return path.isEmpty() ? "" : "field '" + path + "': ";
    }
}
