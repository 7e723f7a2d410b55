package dev.flood.structured;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A JSON schema as the {@link Regular} language of the compact JSON texts (no whitespace) it accepts. Properties
 * are written in the schema's order, required ones always, optional ones where the model chooses.
 *
 * <p>Supported: {@code type} (one or a list), {@code properties}, {@code required},
 * {@code additionalProperties} ({@code false}, or a schema for the values of an object without
 * {@code properties}), {@code items}, {@code minItems}, {@code maxItems}, {@code enum}, {@code const},
 * {@code minLength}, {@code maxLength}, {@code pattern}, {@code format} ({@code date}, {@code time},
 * {@code date-time}, {@code uuid}, {@code ipv4}), integer {@code minimum}, {@code maximum},
 * {@code exclusiveMinimum}, {@code exclusiveMaximum}, number {@code minimum: 0}, {@code anyOf}, a one-schema
 * {@code allOf}, local {@code $ref}s into {@code $defs} or {@code definitions} (not
 * recursive), and {@code {}} or {@code true} for any value. Annotations ({@code title}, {@code description},
 * {@code default}, {@code examples}, ...) and {@code x-} extensions are ignored. Anything else is refused with
 * its JSON pointer, so that an output never claims a schema it was not held to.
 *
 * <p>A {@code pattern} is matched against the whole string (JSON Schema's patterns search anywhere in it; a
 * string the whole pattern matches satisfies that, and whole-string patterns are what schema authors mean).
 *
 * <p>Bounds: integers have at most 18 digits, numbers 16 before and after the point and 2 in the exponent; values the schema leaves
 * free nest at most {@link JsonText#FREE_VALUE_DEPTH} deep; schemas at most {@link #MAX_DEPTH} deep.
 */
final class JsonSchemaCompiler {

    static final int MAX_DEPTH = 64;
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$schema",
            "$id", "$comment", "deprecated", "readOnly", "writeOnly", "$defs", "definitions");
    private static final Set<String> TYPES = Set.of("object", "array", "string", "integer", "number", "boolean", "null");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode root;
    private final Deque<String> references = new ArrayDeque<>();

    private JsonSchemaCompiler(JsonNode root) {
        this.root = root;
    }

    /** The language of {@code schema} (JSON text); {@link IllegalArgumentException} naming what is wrong and where. */
    static Regular compile(String schema) {
        if (schema == null) {
            throw new IllegalArgumentException("JSON schema is null");
        }
        JsonNode root;
        try {
            root = JSON.readTree(schema);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("JSON schema is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null) {
            throw new IllegalArgumentException("JSON schema is empty");
        }
        return new JsonSchemaCompiler(root).value(root, "#", 0);
    }

    private Regular value(JsonNode schema, String pointer, int depth) {
        if (depth > MAX_DEPTH) {
            throw refuse(pointer, "nests deeper than " + MAX_DEPTH + " levels");
        }
        if (schema.isBoolean()) {
            if (!schema.booleanValue()) {
                throw refuse(pointer, "is false: no value is allowed");
            }
            return JsonText.anyValue(JsonText.FREE_VALUE_DEPTH);
        }
        if (!schema.isObject()) {
            throw refuse(pointer, "is neither an object nor a boolean");
        }
        checkKeywords(schema, pointer);
        if (schema.has("$ref")) {
            return reference(schema, pointer, depth);
        }
        if (schema.has("allOf")) {
            JsonNode all = schema.get("allOf");
            if (!all.isArray() || all.size() != 1 || schema.size() > 1 + annotationCount(schema)) {
                throw refuse(pointer + "/allOf", "combines schemas; only a one-schema allOf is supported");
            }
            return value(all.get(0), pointer + "/allOf/0", depth + 1);
        }
        Regular result;
        if (schema.has("const")) {
            result = Regular.text(compact(schema.get("const")));
        } else if (schema.has("enum")) {
            result = enumeration(schema, pointer);
        } else if (schema.has("anyOf")) {
            JsonNode any = schema.get("anyOf");
            if (!any.isArray() || any.isEmpty()) {
                throw refuse(pointer + "/anyOf", "is not a non-empty array");
            }
            List<Regular> options = new ArrayList<>();
            for (int i = 0; i < any.size(); i++) {
                options.add(value(any.get(i), pointer + "/anyOf/" + i, depth + 1));
            }
            result = Regular.anyOf(options);
        } else {
            List<Regular> options = new ArrayList<>();
            for (String type : types(schema, pointer)) {
                options.add(typed(type, schema, pointer, depth));
            }
            result = Regular.anyOf(options);
        }
        return result;
    }

    private Regular typed(String type, JsonNode schema, String pointer, int depth) {
        return switch (type) {
            case "object" -> object(schema, pointer, depth);
            case "array" -> array(schema, pointer, depth);
            case "string" -> string(schema, pointer);
            case "integer" -> NumberBounds.integer(schema, pointer);
            case "number" -> NumberBounds.number(schema, pointer);
            case "boolean" -> Regular.anyOf(List.of(Regular.text("true"), Regular.text("false")));
            case "null" -> Regular.text("null");
            default -> throw refuse(pointer + "/type", "names an unknown type '" + type + "'");
        };
    }

    /** The schema's types: {@code type} (one or a list), else every type its keywords imply, else any value. */
    private List<String> types(JsonNode schema, String pointer) {
        JsonNode type = schema.get("type");
        if (type == null) {
            if (schema.has("properties") || schema.has("required") || schema.has("additionalProperties")) {
                return List.of("object");
            }
            if (schema.has("items") || schema.has("minItems") || schema.has("maxItems")) {
                return List.of("array");
            }
            if (schema.has("minLength") || schema.has("maxLength") || schema.has("pattern") || schema.has("format")) {
                return List.of("string");
            }
            if (schema.has("minimum") || schema.has("maximum") || schema.has("exclusiveMinimum")
                    || schema.has("exclusiveMaximum")) {
                return List.of("number");
            }
            return List.of("string", "number", "boolean", "null", "object", "array");
        }
        List<String> types = new ArrayList<>();
        for (JsonNode t : type.isArray() ? type : JSON.createArrayNode().add(type)) {
            if (!t.isTextual() || !TYPES.contains(t.asText())) {
                throw refuse(pointer + "/type", "names an unknown type " + t);
            }
            types.add(t.asText());
        }
        if (types.isEmpty()) {
            throw refuse(pointer + "/type", "is an empty list");
        }
        return types;
    }

    private Regular object(JsonNode schema, String pointer, int depth) {
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.get("additionalProperties");
        if (!properties.isMissingNode() && !properties.isObject()) {
            throw refuse(pointer + "/properties", "is not an object");
        }
        List<String> required = new ArrayList<>();
        for (JsonNode name : schema.path("required")) {
            if (!name.isTextual()) {
                throw refuse(pointer + "/required", "holds a non-string " + name);
            }
            required.add(name.asText());
        }
        if (properties.isMissingNode() || properties.isEmpty()) {
            if (!required.isEmpty()) {
                throw refuse(pointer + "/required", "names properties the schema does not describe: " + required);
            }
            if (additional != null && additional.isBoolean() && !additional.booleanValue()) {
                return Regular.text("{}");
            }
            Regular values = additional == null || additional.isBoolean()
                    ? JsonText.anyValue(JsonText.FREE_VALUE_DEPTH - 1)
                    : value(additional, pointer + "/additionalProperties", depth + 1);
            return JsonText.objectOf(values);
        }
        List<Regular> members = new ArrayList<>();
        List<Boolean> isRequired = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = properties.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            members.add(Regular.seq(Regular.text("\"" + JsonText.escape(name) + "\":"),
                    value(field.getValue(), pointer + "/properties/" + escapePointer(name), depth + 1)));
            isRequired.add(required.remove(name));
        }
        if (!required.isEmpty()) {
            throw refuse(pointer + "/required", "names properties the schema does not describe: " + required);
        }
        return Regular.seq(Regular.text("{"), new Regular.Members(members, isRequired, Regular.text(",")),
                Regular.text("}"));
    }

    private Regular array(JsonNode schema, String pointer, int depth) {
        if (schema.path("uniqueItems").asBoolean(false)) {
            throw refuse(pointer + "/uniqueItems", "asks for distinct items, which decoding cannot enforce");
        }
        int min = count(schema, "minItems", 0, pointer);
        int max = count(schema, "maxItems", Regular.UNBOUNDED, pointer);
        if (max != Regular.UNBOUNDED && max < min) {
            throw refuse(pointer, "has maxItems " + max + " below minItems " + min);
        }
        JsonNode items = schema.get("items");
        Regular item = items == null ? JsonText.anyValue(JsonText.FREE_VALUE_DEPTH - 1)
                : value(items, pointer + "/items", depth + 1);
        return Regular.seq(Regular.text("["), Regular.separated(item, Regular.text(","), min, max), Regular.text("]"));
    }

    private Regular string(JsonNode schema, String pointer) {
        int min = count(schema, "minLength", 0, pointer);
        int max = count(schema, "maxLength", Regular.UNBOUNDED, pointer);
        if (max != Regular.UNBOUNDED && max < min) {
            throw refuse(pointer, "has maxLength " + max + " below minLength " + min);
        }
        if (max != Regular.UNBOUNDED && max > RegexParser.MAX_COUNT) {
            throw refuse(pointer + "/maxLength", "is above " + RegexParser.MAX_COUNT);
        }
        String pattern = null;
        if (schema.has("pattern")) {
            if (!schema.get("pattern").isTextual()) {
                throw refuse(pointer + "/pattern", "is not a string");
            }
            pattern = schema.get("pattern").asText();
        }
        if (schema.has("format")) {
            String format = schema.get("format").asText();
            if (!StringFormats.PATTERNS.containsKey(format)) {
                throw refuse(pointer + "/format", "is '" + format + "'; supported formats are "
                        + StringFormats.PATTERNS.keySet());
            }
            if (pattern != null) {
                throw refuse(pointer, "has both a pattern and a format");
            }
            pattern = StringFormats.PATTERNS.get(format);
        }
        Regular lengths = new Regular.Repeat(JsonText.stringUnit(), min, max);
        Regular content;
        if (pattern == null) {
            content = lengths;
        } else {
            Regular matching;
            try {
                matching = JsonText.escaped(RegexParser.parse(pattern));
            } catch (IllegalArgumentException e) {
                throw refuse(pointer + "/pattern", e.getMessage());
            }
            content = min == 0 && max == Regular.UNBOUNDED ? matching : new Regular.Intersect(matching, lengths);
        }
        return Regular.seq(Regular.text("\""), content, Regular.text("\""));
    }

    private Regular enumeration(JsonNode schema, String pointer) {
        JsonNode values = schema.get("enum");
        if (!values.isArray() || values.isEmpty()) {
            throw refuse(pointer + "/enum", "is not a non-empty array");
        }
        List<Regular> options = new ArrayList<>();
        for (JsonNode v : values) {
            options.add(Regular.text(compact(v)));
        }
        return Regular.anyOf(options);
    }

    private Regular reference(JsonNode schema, String pointer, int depth) {
        String ref = schema.get("$ref").asText("");
        if (!ref.startsWith("#")) {
            throw refuse(pointer + "/$ref", "points outside the schema (" + ref + "); only local references work");
        }
        if (references.contains(ref)) {
            throw refuse(pointer + "/$ref", "is recursive (" + ref + "), which no finite automaton can follow");
        }
        JsonNode target = root.at(ref.substring(1));
        if (target.isMissingNode()) {
            throw refuse(pointer + "/$ref", "points to nothing (" + ref + ")");
        }
        references.push(ref);
        try {
            return value(target, ref, depth + 1);
        } finally {
            references.pop();
        }
    }

    private static final Set<String> KEYWORDS = Set.of("type", "properties", "required", "additionalProperties",
            "items", "minItems", "maxItems", "uniqueItems", "enum", "const", "minLength", "maxLength", "pattern",
            "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "anyOf", "allOf",
            "$ref");

    private void checkKeywords(JsonNode schema, String pointer) {
        Iterator<String> names = schema.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!KEYWORDS.contains(name) && !ANNOTATIONS.contains(name) && !name.startsWith("x-")) {
                throw refuse(pointer + "/" + escapePointer(name), "is a keyword Flood does not support");
            }
        }
    }

    private static int annotationCount(JsonNode schema) {
        int count = 0;
        for (Iterator<String> names = schema.fieldNames(); names.hasNext(); ) {
            if (ANNOTATIONS.contains(names.next())) {
                count++;
            }
        }
        return count;
    }

    private int count(JsonNode schema, String keyword, int absent, String pointer) {
        JsonNode node = schema.get(keyword);
        if (node == null) {
            return absent;
        }
        if (!node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() < 0) {
            throw refuse(pointer + "/" + keyword, "is not a non-negative integer");
        }
        if (node.asInt() > RegexParser.MAX_COUNT) {
            throw refuse(pointer + "/" + keyword, "is above " + RegexParser.MAX_COUNT);
        }
        return node.asInt();
    }

    private static String compact(JsonNode value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String escapePointer(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }

    static IllegalArgumentException refuse(String pointer, String why) {
        return new IllegalArgumentException("JSON schema at " + pointer + " " + why);
    }
}
