package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DateLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.EnumLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.JsonLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.ListLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.MapLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.StringLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.UUIDLogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Parquet values as JSON, for JSON Lines output of a Parquet input and for reading a prompt column. Strings, enums
 * and JSON text become strings; integers and floating point numbers become numbers (decimals exactly, with their
 * scale; unsigned integers without wrapping); dates, times and timestamps (INT96 ones as Spark and Impala write
 * them included) become ISO-8601 strings, with {@code Z} when the timestamp is UTC-adjusted; other bytes become
 * base64 strings. {@code LIST} groups become arrays, {@code MAP} groups objects keyed by the key's text, other
 * groups objects; a repeated field is an array, a null optional field {@code null}.
 */
final class ParquetJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The Julian day number of 1970-01-01, the epoch of INT96 timestamps' day field. */
    private static final long JULIAN_DAY_OF_EPOCH = 2_440_588L;
    private static final long SECONDS_PER_DAY = 86_400L;

    private ParquetJson() {
    }

    /** Every field of {@code group}, in order. */
    static ObjectNode object(Group group) {
        ObjectNode object = NODES.objectNode();
        GroupType type = group.getType();
        for (int field = 0; field < type.getFieldCount(); field++) {
            object.set(type.getFieldName(field), field(group, field));
        }
        return object;
    }

    /** One field: its value, an array of its values when it is repeated, or null when an optional field is absent. */
    static JsonNode field(Group group, int field) {
        Type type = group.getType().getType(field);
        int count = group.getFieldRepetitionCount(field);
        if (type.isRepetition(Type.Repetition.REPEATED)) {
            ArrayNode values = NODES.arrayNode();
            for (int index = 0; index < count; index++) {
                values.add(value(group, field, index, type));
            }
            return values;
        }
        return count == 0 ? NODES.nullNode() : value(group, field, 0, type);
    }

    private static JsonNode value(Group group, int field, int index, Type type) {
        if (type.isPrimitive()) {
            return primitive(group, field, index, type.asPrimitiveType());
        }
        Group value = group.getGroup(field, index);
        LogicalTypeAnnotation annotation = type.getLogicalTypeAnnotation();
        if (annotation instanceof ListLogicalTypeAnnotation) {
            return list(value);
        }
        if (annotation instanceof MapLogicalTypeAnnotation) {
            return map(value);
        }
        return object(value);
    }

    /**
     * A {@code LIST} group: {@code group (LIST) { repeated group list { element } }}, or one of the older two-level
     * forms whose repeated field is the element itself.
     */
    private static JsonNode list(Group list) {
        GroupType repeated = list.getType();
        Type entry = repeated.getType(0);
        boolean threeLevel = !entry.isPrimitive() && entry.asGroupType().getFieldCount() == 1
                && entry.getName().equals("list");
        if (!threeLevel) {
            return field(list, 0);
        }
        ArrayNode values = NODES.arrayNode();
        for (int index = 0; index < list.getFieldRepetitionCount(0); index++) {
            values.add(field(list.getGroup(0, index), 0));
        }
        return values;
    }

    /** A {@code MAP} group: {@code group (MAP) { repeated group key_value { key; value } }}. */
    private static JsonNode map(Group map) {
        ObjectNode object = NODES.objectNode();
        for (int index = 0; index < map.getFieldRepetitionCount(0); index++) {
            Group entry = map.getGroup(0, index);
            JsonNode key = field(entry, 0);
            object.set(key.isTextual() ? key.textValue() : key.toString(),
                    entry.getType().getFieldCount() > 1 ? field(entry, 1) : NODES.nullNode());
        }
        return object;
    }

    private static JsonNode primitive(Group group, int field, int index, PrimitiveType type) {
        LogicalTypeAnnotation annotation = type.getLogicalTypeAnnotation();
        return switch (type.getPrimitiveTypeName()) {
            case BOOLEAN -> NODES.booleanNode(group.getBoolean(field, index));
            case FLOAT -> NODES.numberNode(group.getFloat(field, index));
            case DOUBLE -> NODES.numberNode(group.getDouble(field, index));
            case INT32 -> int32(group.getInteger(field, index), annotation);
            case INT64 -> int64(group.getLong(field, index), annotation);
            case INT96 -> NODES.textNode(int96(group.getInt96(field, index)).toString());
            case BINARY, FIXED_LEN_BYTE_ARRAY -> bytes(group.getBinary(field, index), annotation);
        };
    }

    private static JsonNode int32(int value, LogicalTypeAnnotation annotation) {
        if (annotation instanceof DateLogicalTypeAnnotation) {
            return NODES.textNode(LocalDate.ofEpochDay(value).toString());
        }
        if (annotation instanceof DecimalLogicalTypeAnnotation decimal) {
            return DecimalNode.valueOf(BigDecimal.valueOf(value, decimal.getScale()));
        }
        if (annotation instanceof TimeLogicalTypeAnnotation) {
            return NODES.textNode(LocalTime.ofNanoOfDay(TimeUnit.MILLISECONDS.toNanos(value)).toString());
        }
        if (annotation instanceof IntLogicalTypeAnnotation integer && !integer.isSigned()) {
            return NODES.numberNode(Integer.toUnsignedLong(value));
        }
        return NODES.numberNode(value);
    }

    private static JsonNode int64(long value, LogicalTypeAnnotation annotation) {
        if (annotation instanceof TimestampLogicalTypeAnnotation timestamp) {
            Instant instant = instant(value, timestamp.getUnit());
            return NODES.textNode(timestamp.isAdjustedToUTC() ? instant.toString()
                    : instant.atOffset(ZoneOffset.UTC).toLocalDateTime().toString());
        }
        if (annotation instanceof TimeLogicalTypeAnnotation time) {
            long nanos = time.getUnit() == LogicalTypeAnnotation.TimeUnit.NANOS ? value
                    : TimeUnit.MICROSECONDS.toNanos(value);
            return NODES.textNode(LocalTime.ofNanoOfDay(nanos).toString());
        }
        if (annotation instanceof DecimalLogicalTypeAnnotation decimal) {
            return DecimalNode.valueOf(BigDecimal.valueOf(value, decimal.getScale()));
        }
        if (annotation instanceof IntLogicalTypeAnnotation integer && !integer.isSigned()) {
            return NODES.numberNode(new BigInteger(Long.toUnsignedString(value)));
        }
        return NODES.numberNode(value);
    }

    private static Instant instant(long value, LogicalTypeAnnotation.TimeUnit unit) {
        long perSecond = switch (unit) {
            case MILLIS -> 1_000L;
            case MICROS -> 1_000_000L;
            case NANOS -> 1_000_000_000L;
        };
        return Instant.ofEpochSecond(Math.floorDiv(value, perSecond),
                Math.floorMod(value, perSecond) * (1_000_000_000L / perSecond));
    }

    /** INT96: 8 bytes of nanoseconds in the day, then 4 bytes of Julian day, both little-endian. */
    static Instant int96(Binary value) {
        ByteBuffer bytes = value.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long nanosOfDay = bytes.getLong();
        long julianDay = Integer.toUnsignedLong(bytes.getInt());
        return Instant.ofEpochSecond((julianDay - JULIAN_DAY_OF_EPOCH) * SECONDS_PER_DAY, nanosOfDay);
    }

    private static JsonNode bytes(Binary value, LogicalTypeAnnotation annotation) {
        if (annotation instanceof StringLogicalTypeAnnotation || annotation instanceof EnumLogicalTypeAnnotation
                || annotation instanceof JsonLogicalTypeAnnotation) {
            return NODES.textNode(value.toStringUsingUTF8());
        }
        if (annotation instanceof DecimalLogicalTypeAnnotation decimal) {
            return DecimalNode.valueOf(new BigDecimal(new BigInteger(value.getBytes()), decimal.getScale()));
        }
        if (annotation instanceof UUIDLogicalTypeAnnotation) {
            ByteBuffer bytes = value.toByteBuffer();
            return NODES.textNode(new UUID(bytes.getLong(), bytes.getLong()).toString());
        }
        return NODES.binaryNode(value.getBytes());
    }
}
