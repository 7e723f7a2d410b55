package dev.flood.structured;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * The numeric keywords of a JSON schema: integer {@code minimum}, {@code maximum} and their exclusive forms (in
 * draft 4's boolean form too) as an {@link IntegerRange}; for numbers only {@code minimum: 0} (no minus sign),
 * since other bounds on decimals are not a simple language of digits. {@code multipleOf} is refused.
 */
final class NumberBounds {

    private NumberBounds() {
    }

    static Regular integer(JsonNode schema, String pointer) {
        if (schema.has("multipleOf")) {
            throw JsonSchemaCompiler.refuse(pointer + "/multipleOf", "is not supported");
        }
        BigDecimal lo = bound(schema, "minimum", pointer);
        BigDecimal hi = bound(schema, "maximum", pointer);
        BigDecimal loExclusive = exclusiveBound(schema, "exclusiveMinimum", "minimum", pointer);
        BigDecimal hiExclusive = exclusiveBound(schema, "exclusiveMaximum", "maximum", pointer);
        if (lo == null && hi == null && loExclusive == null && hiExclusive == null) {
            return JsonText.integer();
        }
        long low = -IntegerRange.LIMIT;
        long high = IntegerRange.LIMIT;
        if (lo != null) {
            low = Math.max(low, clamp(lo.setScale(0, RoundingMode.CEILING)));
        }
        if (loExclusive != null) {
            low = Math.max(low, clamp(loExclusive.setScale(0, RoundingMode.FLOOR).add(BigDecimal.ONE)));
        }
        if (hi != null) {
            high = Math.min(high, clamp(hi.setScale(0, RoundingMode.FLOOR)));
        }
        if (hiExclusive != null) {
            high = Math.min(high, clamp(hiExclusive.setScale(0, RoundingMode.CEILING).subtract(BigDecimal.ONE)));
        }
        if (low > high) {
            throw JsonSchemaCompiler.refuse(pointer, "allows no integer between its bounds");
        }
        return IntegerRange.of(low, high);
    }

    private static long clamp(BigDecimal value) {
        BigDecimal limit = BigDecimal.valueOf(IntegerRange.LIMIT);
        return value.max(limit.negate()).min(limit).longValueExact();
    }

    static Regular number(JsonNode schema, String pointer) {
        if (schema.has("multipleOf")) {
            throw JsonSchemaCompiler.refuse(pointer + "/multipleOf", "is not supported");
        }
        for (String keyword : List.of("maximum", "exclusiveMinimum", "exclusiveMaximum")) {
            if (schema.has(keyword)) {
                throw JsonSchemaCompiler.refuse(pointer + "/" + keyword,
                        "is not supported for numbers (only minimum 0 is)");
            }
        }
        if (schema.has("minimum")) {
            if (bound(schema, "minimum", pointer).signum() != 0) {
                throw JsonSchemaCompiler.refuse(pointer + "/minimum", "is not supported for numbers unless it is 0");
            }
            return JsonText.number(false);
        }
        return JsonText.number(true);
    }

    private static BigDecimal bound(JsonNode schema, String keyword, String pointer) {
        JsonNode node = schema.get(keyword);
        if (node == null) {
            return null;
        }
        if (!node.isNumber()) {
            throw JsonSchemaCompiler.refuse(pointer + "/" + keyword, "is not a number");
        }
        return node.decimalValue();
    }

    /** Draft 6+ gives the exclusive bound as a number; draft 4 as a boolean beside minimum or maximum. */
    private static BigDecimal exclusiveBound(JsonNode schema, String keyword, String inclusive, String pointer) {
        JsonNode node = schema.get(keyword);
        if (node != null && node.isBoolean()) {
            if (!node.booleanValue()) {
                return null;
            }
            BigDecimal value = bound(schema, inclusive, pointer);
            if (value == null) {
                throw JsonSchemaCompiler.refuse(pointer + "/" + keyword, "is true without " + inclusive);
            }
            return value;
        }
        return bound(schema, keyword, pointer);
    }
}
