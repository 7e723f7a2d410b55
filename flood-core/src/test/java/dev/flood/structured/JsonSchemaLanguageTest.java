package dev.flood.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * JSON schemas compiled to automata, checked without a model: random texts of each automaton's language must be
 * UTF-8, parse as JSON, be compact (no whitespace outside strings) and validate against the schema under an
 * independent validator; texts that break the schema must be rejected.
 */
public class JsonSchemaLanguageTest {

    /** Every construct the engine supports, in one schema (the engine test uses it too). */
    public static final String EVERY_CONSTRUCT = """
            {"type": "object", "additionalProperties": false,
             "properties": {
               "name": {"type": "string", "minLength": 1, "maxLength": 12},
               "code": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{3}$"},
               "age": {"type": "integer", "minimum": 0, "maximum": 120},
               "score": {"type": "number"},
               "active": {"type": "boolean"},
               "nothing": {"type": "null"},
               "kind": {"enum": ["cat", "dog", "blue whale"]},
               "version": {"const": 2},
               "tags": {"type": "array", "items": {"type": "string", "maxLength": 8}, "minItems": 1, "maxItems": 3},
               "address": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 10},
                                                            "zip": {"type": "integer"}}, "required": ["city"]},
               "contact": {"anyOf": [{"type": "string", "maxLength": 10}, {"type": "integer"}, {"type": "null"}]}
             },
             "required": ["name", "age", "kind", "tags", "address"]}
            """;

    /** Every construct again in few characters, for the engine test: required and optional properties, a nested object, an array with an item schema and length
     * bounds, an enum, a const, strings with length bounds and a pattern, integers, numbers, booleans, null, anyOf. */
    public static final String COMPACT_EVERY_CONSTRUCT = """
            {"type": "object", "additionalProperties": false,
             "properties": {
               "k": {"enum": ["x", "yy"]},
               "t": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 3},
                     "minItems": 1, "maxItems": 2},
               "o": {"type": "object", "properties": {"a": {"type": "integer", "minimum": 0, "maximum": 99},
                                                      "s": {"type": "string", "maxLength": 3}},
                     "required": ["a"]},
               "u": {"anyOf": [{"type": "number"}, {"type": "boolean"}, {"type": "null"}, {"const": 2},
                               {"type": "string", "pattern": "^[A-Z][0-9]$"}]}
             },
             "required": ["k", "o"]}
            """;

    static ByteDfa compile(String schema) {
        return ByteDfa.of(ByteNfa.of(JsonSchemaCompiler.compile(schema), 500_000), 50_000);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        EVERY_CONSTRUCT,
        COMPACT_EVERY_CONSTRUCT,
        "{\"type\": \"array\", \"items\": {\"type\": \"integer\", \"minimum\": -37, \"exclusiveMaximum\": 1205}}",
        "{\"type\": \"string\", \"pattern\": \"[a-c\\\"\\\\\\\\]{2,5}\", \"maxLength\": 4}",
        "{\"type\": [\"string\", \"null\"], \"format\": \"date\"}",
        "{\"type\": \"string\", \"format\": \"date-time\"}",
        "{\"type\": \"string\", \"format\": \"uuid\"}",
        "{\"type\": \"object\", \"additionalProperties\": {\"type\": \"number\", \"minimum\": 0}}",
        "{\"$defs\": {\"p\": {\"type\": \"object\", \"properties\": {\"x\": {\"type\": \"integer\"}}, \"required\": [\"x\"]}},"
                + " \"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"#/$defs/p\"}, \"b\": {\"allOf\": [{\"$ref\":"
                + " \"#/$defs/p\"}]}, \"c\": {\"$ref\": \"#/$defs/p\", \"description\": \"again\"}}}",
        "{}",
        "{\"type\": \"object\"}",
        "{\"enum\": [{\"a\": [1, \"é\\n\"]}, null, 3.5, \"x\\\"y\"]}",
        "{\"type\": \"array\", \"items\": {\"type\": \"boolean\"}, \"maxItems\": 0}",
        "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\"}, \"b\": {\"type\": \"integer\"},"
                + " \"c\": {\"type\": \"integer\"}, \"d\": {\"type\": \"integer\"}}}",
        "{\"type\": [\"integer\", \"null\"], \"exclusiveMinimum\": 5, \"maximum\": 999999999999}"})
    void randomTextsOfTheLanguageValidate(String schema) throws java.nio.charset.CharacterCodingException {
        ByteDfa dfa = compile(schema);
        SchemaCheck check = new SchemaCheck(schema);
        RandomTexts texts = new RandomTexts(dfa);
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 300; i++) {
            byte[] bytes = texts.next(random, 200);
            String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
            String where = "seed " + seed + ": " + text;
            assertEquals(List.of(), check.errors(text), where);
            assertTrue(compact(text), "no whitespace between tokens: " + where);
        }
    }

    /** Whether the JSON text has no whitespace outside its strings. */
    static boolean compact(String json) {
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (Character.isWhitespace(c)) {
                return false;
            }
        }
        return true;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void textsThatBreakTheSchemaAreRejected() {
        ByteDfa dfa = compile(EVERY_CONSTRUCT);
        String valid = "{\"name\":\"Ann\",\"age\":41,\"kind\":\"cat\",\"tags\":[\"a\"],\"address\":{\"city\":\"Oslo\"}}";
        assertTrue(dfa.matches(bytes(valid)));
        assertTrue(dfa.matches(bytes("{\"name\":\"A\\\"n\\u00e9\",\"code\":\"AB-123\",\"age\":0,\"score\":-1.5e+3,"
                + "\"active\":false,\"nothing\":null,\"kind\":\"blue whale\",\"version\":2,\"tags\":[\"\",\"x\",\"y\"],"
                + "\"address\":{\"city\":\"\",\"zip\":-7},\"contact\":null}")));
        for (String invalid : List.of(
                valid.replace("41", "121"),                                  // above maximum
                valid.replace("\"cat\"", "\"cow\""),                         // not in the enum
                valid.replace(",\"age\":41", ""),                            // required property missing
                valid.replace("[\"a\"]", "[]"),                              // fewer than minItems
                valid.replace("[\"a\"]", "[\"a\",\"b\",\"c\",\"d\"]"),       // more than maxItems
                valid.replace("\"Ann\"", "\"Annabelle Lee Smith\""),         // longer than maxLength
                valid.replace("{\"name\"", "{ \"name\""),                    // whitespace
                valid.replace("\"name\":\"Ann\",\"age\":41", "\"age\":41,\"name\":\"Ann\""),  // out of schema order
                valid.replace("}}", ",\"zip\":1.5}}"),                       // a number where an integer goes
                valid.replace("\"cat\"", "\"cat\",\"code\":\"ab-123\""),     // pattern broken, and out of order
                valid.substring(0, valid.length() - 1))) {                   // unfinished
            assertFalse(dfa.matches(bytes(invalid)), invalid);
        }
    }

    @Test
    void unsupportedKeywordsAreRefusedWithTheirPointer() {
        assertEquals("JSON schema at #/properties/a/minProperties is a keyword Flood does not support",
                refusal("{\"properties\": {\"a\": {\"type\": \"object\", \"minProperties\": 1}}}"));
        assertEquals("JSON schema at #/uniqueItems asks for distinct items, which decoding cannot enforce",
                refusal("{\"type\": \"array\", \"uniqueItems\": true}"));
        assertEquals("JSON schema at #/$defs/n/properties/next/$ref is recursive (#/$defs/n), which no finite"
                        + " automaton can follow",
                refusal("{\"$defs\": {\"n\": {\"type\": \"object\", \"properties\": {\"next\": {\"$ref\": \"#/$defs/n\"}}}},"
                        + " \"$ref\": \"#/$defs/n\"}"));
        assertEquals("JSON schema at #/format is 'email'; supported formats are " ,
                refusal("{\"type\": \"string\", \"format\": \"email\"}").replaceAll("\\[.*]", ""));
        assertEquals("JSON schema at #/required names properties the schema does not describe: [b]",
                refusal("{\"properties\": {\"a\": {}}, \"required\": [\"a\", \"b\"]}"));
        assertTrue(refusal("{\"type\": \"string\", \"pattern\": \"(a)\\\\1\"}")
                .startsWith("JSON schema at #/pattern regex '(a)\\1' has a backreference"));
        assertTrue(refusal("{\"type\": ").startsWith("JSON schema is not valid JSON"));
    }

    private static String refusal(String schema) {
        return assertThrows(IllegalArgumentException.class, () -> JsonSchemaCompiler.compile(schema)).getMessage();
    }

    @Test
    void integerRangesMatchExactly() {
        long[][] ranges = {{0, 0}, {-5, 5}, {7, 123}, {-1000, -999}, {-12345, 678}, {99, 100}, {1, 999_999}};
        SplittableRandom random = new SplittableRandom(7);
        for (long[] range : ranges) {
            ByteDfa dfa = ByteDfa.of(ByteNfa.of(IntegerRange.of(range[0], range[1]), 500_000), 50_000);
            for (int i = 0; i < 3000; i++) {
                long x = random.nextLong(range[0] - 50, range[1] + 51);
                assertEquals(x >= range[0] && x <= range[1], dfa.matches(bytes(Long.toString(x))),
                        x + " in " + List.of(range[0], range[1]));
            }
            assertFalse(dfa.matches(bytes("-0")));
            assertFalse(dfa.matches(bytes("0" + range[1])), "no leading zeros");
        }
    }
}
