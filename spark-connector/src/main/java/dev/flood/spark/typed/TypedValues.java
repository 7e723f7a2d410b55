package dev.flood.spark.typed;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
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
import scala.jdk.javaapi.CollectionConverters;

/**
 * A parsed JSON value as the Spark external value of a type ({@link OutputSchema#valueType()}): String, Byte,
 * Short, Integer, Long, Float, Double, BigDecimal, Boolean, scala.collection.Seq, scala.collection.Map (in the
 * JSON's order), Row (fields in the struct's order, read by name). Scala collections because both the physical
 * operator's Catalyst converters and the transform helpers' Row encoder take them (the encoder refuses java.util
 * collections). JSON null and an absent property are null. A value that does not
 * fit its type (a DECIMAL(p,s) overflow after rounding to s digits, or anything decoding should have prevented)
 * throws IllegalArgumentException naming its path ({@code $.tags[2]}).
 */
final class TypedValues {

    private TypedValues() {
    }

    static Object read(DataType type, JsonNode value, String path) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return null;
        }
        if (type instanceof StringType) {
            return expect(value.isTextual(), value, path, "a string").textValue();
        }
        if (type instanceof ByteType || type instanceof ShortType || type instanceof IntegerType
                || type instanceof LongType) {
            return integer(type, value, path);
        }
        if (type instanceof FloatType) {
            return expect(value.isNumber(), value, path, "a number").floatValue();
        }
        if (type instanceof DoubleType) {
            return expect(value.isNumber(), value, path, "a number").doubleValue();
        }
        if (type instanceof DecimalType decimal) {
            BigDecimal rounded = expect(value.isNumber(), value, path, "a number").decimalValue()
                    .setScale(decimal.scale(), RoundingMode.HALF_UP);
            if (rounded.precision() > decimal.precision()) {
                throw new IllegalArgumentException(path + " is " + value + ", which does not fit " + decimal.sql());
            }
            return rounded;
        }
        if (type instanceof BooleanType) {
            return expect(value.isBoolean(), value, path, "true or false").booleanValue();
        }
        if (type instanceof ArrayType array) {
            expect(value.isArray(), value, path, "an array");
            List<Object> elements = new ArrayList<>(value.size());
            for (int i = 0; i < value.size(); i++) {
                elements.add(read(array.elementType(), value.get(i), path + "[" + i + "]"));
            }
            return CollectionConverters.asScala(elements).toSeq();
        }
        if (type instanceof MapType map) {
            expect(value.isObject(), value, path, "an object");
            Map<String, Object> entries = new LinkedHashMap<>();
            value.fields().forEachRemaining(e -> entries.put(e.getKey(),
                    read(map.valueType(), e.getValue(), path + "." + e.getKey())));
            return CollectionConverters.asScala(entries);
        }
        if (type instanceof StructType struct) {
            expect(value.isObject(), value, path, "an object");
            Object[] fields = new Object[struct.fields().length];
            for (int i = 0; i < fields.length; i++) {
                StructField field = struct.fields()[i];
                fields[i] = read(field.dataType(), value.get(field.name()), path + "." + field.name());
            }
            return RowFactory.create(fields);
        }
        throw new IllegalStateException("no JSON reading for " + type.sql() + " (OutputSchema admits no such type)");
    }

    private static Object integer(DataType type, JsonNode value, String path) {
        expect(value.isIntegralNumber(), value, path, "an integer");
        long bits = value.canConvertToLong() ? value.longValue() : 0;
        Object narrowed;
        if (type instanceof ByteType) {
            narrowed = (byte) bits;
        } else if (type instanceof ShortType) {
            narrowed = (short) bits;
        } else if (type instanceof IntegerType) {
            narrowed = (int) bits;
        } else {
            narrowed = bits;
        }
        if (!value.canConvertToLong() || ((Number) narrowed).longValue() != bits) {
            throw new IllegalArgumentException(path + " is " + value + ", which does not fit " + type.sql());
        }
        return narrowed;
    }

    private static JsonNode expect(boolean holds, JsonNode value, String path, String what) {
        if (!holds) {
            throw new IllegalArgumentException(path + " is " + value + ", not " + what);
        }
        return value;
    }
}
