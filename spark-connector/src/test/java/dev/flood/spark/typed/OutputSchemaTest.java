package dev.flood.spark.typed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/** DDL to JSON schema, JSON schema to Spark type, generated JSON to values, and the refusals, by their messages. */
class OutputSchemaTest {

    @Test
    void aDdlSchemaBecomesAJsonSchemaWithEveryFieldRequired() {
        OutputSchema schema = OutputSchema.parse("name STRING, age INT, tags ARRAY<STRING>");
        assertEquals("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
                + "\"age\":{\"type\":\"integer\",\"minimum\":-2147483648,\"maximum\":2147483647},"
                + "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
                + "\"required\":[\"name\",\"age\",\"tags\"],\"additionalProperties\":false}", schema.jsonSchema());
        assertEquals(type("struct<name: string, age: int, tags: array<string>>"), schema.valueType());
        assertEquals(RowFactory.create("Ann", 41, seq("a", "b")),
                schema.read("{\"name\":\"Ann\",\"age\":41,\"tags\":[\"a\",\"b\"]}"));
    }

    @Test
    void everySupportedDdlType() {
        OutputSchema schema = OutputSchema.parse("b TINYINT, s SMALLINT NOT NULL, l BIGINT, f FLOAT, d DOUBLE, "
                + "m DECIMAL(5,2), ok BOOLEAN, code VARCHAR(3), pair CHAR(2), "
                + "scores MAP<STRING, DOUBLE>, inner STRUCT<x: INT, ys: ARRAY<BOOLEAN>>");
        assertEquals("{\"type\":\"object\",\"properties\":{"
                + "\"b\":{\"type\":\"integer\",\"minimum\":-128,\"maximum\":127},"
                + "\"s\":{\"type\":\"integer\",\"minimum\":-32768,\"maximum\":32767},"
                + "\"l\":{\"type\":\"integer\"},\"f\":{\"type\":\"number\"},\"d\":{\"type\":\"number\"},"
                + "\"m\":{\"type\":\"number\"},\"ok\":{\"type\":\"boolean\"},"
                + "\"code\":{\"type\":\"string\",\"maxLength\":3},"
                + "\"pair\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":2},"
                + "\"scores\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"number\"}},"
                + "\"inner\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\","
                + "\"minimum\":-2147483648,\"maximum\":2147483647},\"ys\":{\"type\":\"array\","
                + "\"items\":{\"type\":\"boolean\"}}},\"required\":[\"x\",\"ys\"],\"additionalProperties\":false}},"
                + "\"required\":[\"b\",\"s\",\"l\",\"f\",\"d\",\"m\",\"ok\",\"code\",\"pair\",\"scores\",\"inner\"],"
                + "\"additionalProperties\":false}", schema.jsonSchema());
        // NOT NULL is dropped and CHAR/VARCHAR read as strings: every field of the value is nullable
        assertEquals(type("struct<b: tinyint, s: smallint, l: bigint, f: float, d: double, m: decimal(5,2), "
                + "ok: boolean, code: string, pair: string, scores: map<string, double>, "
                + "inner: struct<x: int, ys: array<boolean>>>"), schema.valueType());
        Map<String, Double> scores = new LinkedHashMap<>();
        scores.put("z", 1.5);
        scores.put("a", -2.0);
        assertEquals(RowFactory.create((byte) -3, (short) 300, 12345678901234L, 0.5f, 1e-3, new BigDecimal("123.46"),
                        true, "abc", "xy", CollectionConverters.asScala(scores), RowFactory.create(7, seq(true, false))),
                schema.read("{\"b\":-3,\"s\":300,\"l\":12345678901234,\"f\":0.5,\"d\":1e-3,\"m\":123.455,"
                        + "\"ok\":true,\"code\":\"abc\",\"pair\":\"xy\",\"scores\":{\"z\":1.5,\"a\":-2},"
                        + "\"inner\":{\"x\":7,\"ys\":[true,false]}}"));
    }

    @Test
    void ddlTypesWithoutAJsonFormAreRefusedByName() {
        assertRefused("d DATE", "output_schema: field 'd': type DATE cannot be generated as JSON; supported: STRING");
        assertRefused("a STRUCT<t: TIMESTAMP>", "field 'a.t': type TIMESTAMP cannot be generated as JSON");
        assertRefused("a ARRAY<BINARY>", "field 'a[]': type BINARY cannot be generated as JSON");
        assertRefused("m MAP<INT, STRING>", "field 'm': a MAP's keys must be STRING (they are JSON object keys), got INT");
        assertRefused("name STRING,, age", "output_schema is neither a JSON schema (text starting with '{') nor a "
                + "Spark DDL schema such as 'name STRING, age INT'");
        assertRefused("{\"type\": ", "output_schema starts with '{' but is not valid JSON");
    }

    @Test
    void aJsonSchemaIsTypedByItsProperties() {
        OutputSchema schema = OutputSchema.parse("{\"type\":\"object\",\"properties\":{"
                + "\"name\":{\"type\":\"string\",\"maxLength\":20},"
                + "\"score\":{\"type\":[\"number\",\"null\"]},"
                + "\"rank\":{\"anyOf\":[{\"type\":\"integer\",\"minimum\":1},{\"type\":\"null\"}]},"
                + "\"colour\":{\"enum\":[\"red\",\"green\"]},"
                + "\"where\":{\"$ref\":\"#/$defs/place\"},"
                + "\"counts\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}},"
                + "\"flags\":{\"items\":{\"type\":\"boolean\"}}},"
                + "\"required\":[\"name\"],"
                + "\"$defs\":{\"place\":{\"properties\":{\"city\":{\"type\":\"string\"}}}}}");
        assertEquals(type("struct<name: string, score: double, rank: bigint, colour: string, "
                + "where: struct<city: string>, counts: map<string, bigint>, flags: array<boolean>>"),
                schema.valueType());
        Row value = (Row) schema.read("{\"name\":\"x\",\"score\":null,\"colour\":\"red\",\"where\":{\"city\":\"Oslo\"},"
                + "\"counts\":{\"a\":2},\"flags\":[]}");
        assertEquals("x", value.get(0));
        assertNull(value.get(1), "null in the JSON");
        assertNull(value.get(2), "absent from the JSON");
        assertEquals(RowFactory.create("Oslo"), value.get(4));
        assertEquals(CollectionConverters.asScala(Map.of("a", 2L)), value.get(5));
        assertEquals(seq(), value.get(6));
    }

    @Test
    void jsonSchemasWithoutOneSparkTypeAreRefusedByPointer() {
        assertRefused("{}", "output_schema: the JSON schema at '/' admits any JSON value, which has no Spark type");
        assertRefused("{\"properties\":{\"a\":true}}", "the JSON schema at '/properties/a' admits any JSON value");
        assertRefused("{\"properties\":{\"a\":{\"type\":[\"string\",\"integer\"]}}}",
                "the JSON schema at '/properties/a' admits values of types [string, integer], which no one Spark "
                        + "type holds");
        assertRefused("{\"properties\":{\"a\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}}}",
                "the JSON schema at '/properties/a/anyOf' joins STRING and BIGINT");
        assertRefused("{\"properties\":{\"a\":{\"type\":\"array\"}}}",
                "the JSON schema at '/properties/a' is an array without items");
        assertRefused("{\"type\":\"object\"}", "the JSON schema at '/' is an object without properties");
        assertRefused("{\"properties\":{\"a\":{\"$ref\":\"#/$defs/nope\"}}}",
                "the JSON schema at '/properties/a/$ref' points to nothing");
        assertRefused("{\"properties\":{\"a\":{\"$ref\":\"#\"}}}", "nests deeper than 64 levels (a recursive $ref?)");
        assertRefused("{\"type\":\"null\"}", "the JSON schema at '/' admits only null");
    }

    @Test
    void valuesThatDoNotFitTheirTypeAreNamedByPath() {
        OutputSchema schema = OutputSchema.parse("m DECIMAL(4,2), xs ARRAY<STRUCT<n: INT>>");
        assertEquals(RowFactory.create(new BigDecimal("99.99"), seq(RowFactory.create(1))),
                schema.read("{\"m\":99.994,\"xs\":[{\"n\":1}]}"));
        assertReadFails(schema, "{\"m\":99.995,\"xs\":[]}", "$.m is 99.995, which does not fit DECIMAL(4,2)");
        assertReadFails(schema, "{\"m\":1,\"xs\":[{\"n\":1},{\"n\":2147483648}]}",
                "$.xs[1].n is 2147483648, which does not fit INT");
        assertReadFails(schema, "{\"m\":1,\"xs\":[{\"n\":\"1\"}]}", "$.xs[0].n is \"1\", not an integer");
        assertReadFails(schema, "{\"m\":1,\"xs\":[", "the output is not JSON");
        assertReadFails(schema, "", "the output is empty, not JSON");
    }

    /** Arrays read as Scala sequences (what Spark's Row encoder takes). */
    private static scala.collection.immutable.Seq<Object> seq(Object... elements) {
        return CollectionConverters.asScala(List.of(elements)).toSeq();
    }

    private static DataType type(String ddl) {
        return ((StructType) StructType.fromDDL("v " + ddl)).fields()[0].dataType();
    }

    private static void assertRefused(String option, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutputSchema.parse(option));
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    }

    private static void assertReadFails(OutputSchema schema, String json, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> schema.read(json));
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    }
}
