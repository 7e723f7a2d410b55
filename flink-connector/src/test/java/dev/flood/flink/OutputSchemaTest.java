package dev.flood.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.structured.SchemaCheck;
import java.math.BigDecimal;
import java.util.List;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.utils.LogicalTypeParser;
import org.junit.jupiter.api.Test;

/** Row types to JSON schemas and back, and generated JSON to typed rows; what has no JSON form is refused. */
class OutputSchemaTest {

    @Test
    void aRowTypeBecomesAJsonSchemaWithEveryFieldRequired() {
        OutputSchema schema = OutputSchema.parse("name STRING, age INT, tags ARRAY<STRING>, score DOUBLE, ok BOOLEAN,"
                + " price DECIMAL(5, 2), code VARCHAR(3), owner ROW<id BIGINT, `first name` STRING>");
        assertEquals("{\"type\":\"object\",\"properties\":{"
                + "\"name\":{\"type\":\"string\"},"
                + "\"age\":{\"type\":\"integer\",\"minimum\":-2147483648,\"maximum\":2147483647},"
                + "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
                + "\"score\":{\"type\":\"number\"},\"ok\":{\"type\":\"boolean\"},\"price\":{\"type\":\"number\"},"
                + "\"code\":{\"type\":\"string\",\"maxLength\":3},"
                + "\"owner\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},"
                + "\"first name\":{\"type\":\"string\"}},\"required\":[\"id\",\"first name\"],"
                + "\"additionalProperties\":false}},"
                + "\"required\":[\"name\",\"age\",\"tags\",\"score\",\"ok\",\"price\",\"code\",\"owner\"],"
                + "\"additionalProperties\":false}", schema.jsonSchema());
        assertEquals(schema.rowType(), OutputSchema.parse("ROW<name STRING, age INT, tags ARRAY<STRING>, score "
                + "DOUBLE, ok BOOLEAN, price DECIMAL(5, 2), code VARCHAR(3), owner ROW<id BIGINT, `first name` "
                + "STRING>>").rowType(), "ROW<...> or its bare fields");

        String json = "{\"name\":\"Ann\",\"age\":41,\"tags\":[\"a\",\"b c\"],\"score\":-1.5e3,\"ok\":true,"
                + "\"price\":123.45,\"code\":\"xyz\",\"owner\":{\"id\":9007199254740993,\"first name\":\"Bo\"}}";
        assertEquals(List.of(), new SchemaCheck(schema.jsonSchema()).errors(json));
        RowData row = schema.toRow(json);
        assertEquals("Ann", row.getString(0).toString());
        assertEquals(41, row.getInt(1));
        ArrayData tags = row.getArray(2);
        assertEquals(2, tags.size());
        assertEquals("b c", tags.getString(1).toString());
        assertEquals(-1500.0, row.getDouble(3));
        assertTrue(row.getBoolean(4));
        assertEquals(new BigDecimal("123.45"), row.getDecimal(5, 5, 2).toBigDecimal());
        assertEquals(9007199254740993L, row.getRow(7, 2).getLong(0), "a BIGINT beyond a double's exact range");
        assertEquals("Bo", row.getRow(7, 2).getString(1).toString());
    }

    @Test
    void valuesThatDoNotFitTheirTypeAreRefusedNamingTheField() {
        OutputSchema schema = OutputSchema.parse("age TINYINT, price DECIMAL(3, 1), tags ARRAY<INT>");
        assertEquals("the output's $.age is 300, not a value of TINYINT",
                assertThrows(IllegalArgumentException.class,
                        () -> schema.toRow("{\"age\":300,\"price\":1,\"tags\":[]}")).getMessage());
        assertEquals("the output's $.price is 1234.5, not a value of DECIMAL(3, 1)",
                assertThrows(IllegalArgumentException.class,
                        () -> schema.toRow("{\"age\":3,\"price\":1234.5,\"tags\":[]}")).getMessage());
        assertEquals("the output's $.tags[1] is \"x\", not a value of INT",
                assertThrows(IllegalArgumentException.class,
                        () -> schema.toRow("{\"age\":3,\"price\":1,\"tags\":[1,\"x\"]}")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> schema.toRow("{\"age\":3,"))
                .getMessage().startsWith("the output is not JSON: "));
    }

    @Test
    void aJsonSchemaIsKeptAndGivesItsRowType() {
        String json = "{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\", \"maxLength\": 8},"
                + " \"n\": {\"type\": \"integer\", \"minimum\": 0}, \"mood\": {\"enum\": [\"up\", \"down\"]},"
                + " \"xs\": {\"type\": \"array\", \"items\": {\"type\": \"number\"}},"
                + " \"in\": {\"type\": \"object\", \"properties\": {\"ok\": {\"type\": \"boolean\"}}}},"
                + " \"required\": [\"name\"]}";
        OutputSchema schema = OutputSchema.parse(json);
        assertEquals(json, schema.jsonSchema(), "decoding is held to the schema as given");
        assertEquals(LogicalTypeParser.parse("ROW<name STRING, n BIGINT, mood STRING, xs ARRAY<DOUBLE>, "
                + "`in` ROW<ok BOOLEAN>>", getClass().getClassLoader()), schema.rowType());
        RowData row = schema.toRow("{\"name\":\"a\"}");
        assertEquals("a", row.getString(0).toString());
        assertTrue(row.isNullAt(1), "a property not required may be missing: NULL");
        assertNull(((org.apache.flink.table.data.GenericRowData) row).getField(4));
    }

    @Test
    void whatHasNoJsonFormIsRefusedNamingIt() {
        assertEquals("output schema: field when has type DATE, which has no JSON form here (STRING, TINYINT, "
                + "SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DECIMAL, BOOLEAN, ARRAY and ROW do)",
                assertThrows(IllegalArgumentException.class, () -> OutputSchema.parse("name STRING, when DATE"))
                        .getMessage());
        assertEquals("output schema: field owner.tags[] has type MAP<STRING, INT>, which has no JSON form here "
                + "(STRING, TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DECIMAL, BOOLEAN, ARRAY and ROW do)",
                assertThrows(IllegalArgumentException.class,
                        () -> OutputSchema.parse("owner ROW<tags ARRAY<MAP<STRING, INT>>>")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> OutputSchema.parse("name STRNG"))
                .getMessage().startsWith("output schema: field name has type `STRNG`, which has no JSON form"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> OutputSchema.parse("name STRING,"))
                .getMessage().startsWith("output schema 'name STRING,' is neither a Flink row type (name STRING, "
                        + "age INT, ...) nor a JSON schema: Could not parse type at position 16"));
        assertEquals("output schema at #/properties/x: give one \"type\" to derive a Flink type from (or give the "
                + "output schema as a Flink row type)", assertThrows(IllegalArgumentException.class,
                () -> OutputSchema.parse("{\"type\": \"object\", \"properties\": {\"x\": {\"anyOf\": []}}}"))
                .getMessage());
        assertEquals("output schema: a JSON schema of an object with properties, got {\"type\": \"string\"}",
                assertThrows(IllegalArgumentException.class, () -> OutputSchema.parse("{\"type\": \"string\"}"))
                        .getMessage());
    }
}
