package dev.flood.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * Parquet column types for the fields of JSON Lines files, for Parquet output of a JSON Lines input: one optional
 * column per field name, in order of first appearance, typed by every non-null value the field has in any line.
 * Only booleans: {@code boolean}; only integers that fit 64 bits: {@code int64}; only numbers: {@code double};
 * only strings (or only nulls): {@code string}; anything else (objects, arrays, a mix): a {@code JSON}-annotated
 * string holding each value's JSON text. Lines that are not JSON objects are skipped (their rows fail anyway).
 */
final class JsonColumnTypes {

    /** The kinds of value seen for one field, as bits. */
    private static final int BOOLEAN = 1;
    private static final int INTEGER = 2;
    private static final int NUMBER = 4;
    private static final int STRING = 8;
    private static final int OTHER = 16;

    private JsonColumnTypes() {
    }

    /** Reads every line of {@code files} once. */
    static MessageType infer(List<Path> files) throws IOException {
        Map<String, Integer> kinds = new LinkedHashMap<>();
        for (Path file : files) {
            try (BufferedReader reader = TextFiles.open(file)) {
                for (String line; (line = TextFiles.readLine(reader, file)) != null; ) {
                    JsonNode object;
                    try {
                        object = JsonLinesInput.JSON.readTree(line);
                    } catch (JsonProcessingException e) {
                        continue;
                    }
                    if (object == null || !object.isObject()) {
                        continue;
                    }
                    for (Iterator<Map.Entry<String, JsonNode>> fields = object.fields(); fields.hasNext(); ) {
                        Map.Entry<String, JsonNode> field = fields.next();
                        kinds.merge(field.getKey(), kind(field.getValue()), (a, b) -> a | b);
                    }
                }
            }
        }
        List<Type> columns = new ArrayList<>();
        kinds.forEach((name, seen) -> columns.add(column(name, seen)));
        return new MessageType("jsonl", columns);
    }

    private static int kind(JsonNode value) {
        if (value.isNull()) {
            return 0;
        }
        if (value.isBoolean()) {
            return BOOLEAN;
        }
        if (value.isIntegralNumber()) {
            return value.canConvertToLong() ? INTEGER : NUMBER;
        }
        if (value.isNumber()) {
            return NUMBER;
        }
        return value.isTextual() ? STRING : OTHER;
    }

    private static Type column(String name, int seen) {
        if (seen == BOOLEAN) {
            return Types.optional(PrimitiveTypeName.BOOLEAN).named(name);
        }
        if (seen == INTEGER) {
            return Types.optional(PrimitiveTypeName.INT64).named(name);
        }
        if (seen == NUMBER || seen == (INTEGER | NUMBER)) {
            return Types.optional(PrimitiveTypeName.DOUBLE).named(name);
        }
        if (seen == STRING || seen == 0) {
            return Types.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(name);
        }
        return Types.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.jsonType()).named(name);
    }
}
