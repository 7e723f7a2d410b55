package dev.flood.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * JSON's lexical pieces as {@link Regular}s, with no whitespace anywhere (outputs stay short): string contents
 * (each character as itself or, for {@code "}, {@code \} and control characters, its escape), bounded numbers,
 * and any JSON value to a bounded depth.
 */
final class JsonText {

    /** Digits an integer may have: every such integer fits in a signed 64-bit value. */
    static final int MAX_INTEGER_DIGITS = 18;
    /** Digits before and after a number's point, and of its exponent: every such number is a finite double. */
    static final int MAX_NUMBER_DIGITS = 16;
    static final int MAX_EXPONENT_DIGITS = 2;
    /** Nesting of objects and arrays in a value the schema leaves free ({@code {}}, an object without properties). */
    static final int FREE_VALUE_DEPTH = 3;

    /** Characters written as themselves inside a JSON string. */
    static final CharClass PLAIN = CharClass.range(0x20, CharClass.MAX).minus(CharClass.ofChars("\"\\"));
    private static final CharClass DIGIT = CharClass.range('0', '9');
    private static final CharClass HEX = DIGIT.union(CharClass.range('a', 'f')).union(CharClass.range('A', 'F'));

    private JsonText() {
    }

    /**
     * One character of string content: a plain character, a short escape, or {@code \\uXXXX} of a character that
     * is not a surrogate (so that each unit is exactly one character, as length bounds count them).
     */
    static Regular stringUnit() {
        Regular notSurrogate = Regular.anyOf(List.of(
                Regular.seq(Regular.chars(HEX.minus(CharClass.ofChars("dD"))), hex(3)),
                Regular.seq(Regular.chars(CharClass.ofChars("dD")), Regular.chars(CharClass.range('0', '7')), hex(2))));
        return Regular.anyOf(List.of(
                Regular.chars(PLAIN),
                Regular.seq(Regular.text("\\"), Regular.chars(CharClass.ofChars("\"\\/bfnrt"))),
                Regular.seq(Regular.text("\\u"), notSurrogate)));
    }

    private static Regular hex(int count) {
        return new Regular.Repeat(Regular.chars(HEX), count, count);
    }

    /** A whole string: quotes around {@code min..max} units ({@code max} may be {@link Regular#UNBOUNDED}). */
    static Regular string(int minLength, int maxLength) {
        return Regular.seq(Regular.text("\""), new Regular.Repeat(stringUnit(), minLength, maxLength), Regular.text("\""));
    }

    /** {@code text} as a JSON string literal body (no quotes): the one spelling Jackson and Python both write. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> out.append(escapeChar(c)));
        return out.toString();
    }

    private static String escapeChar(int c) {
        return switch (c) {
            case '"' -> "\\\"";
            case '\\' -> "\\\\";
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            case '\b' -> "\\b";
            case '\f' -> "\\f";
            default -> c < 0x20 ? String.format("\\u%04x", c) : new String(Character.toChars(c));
        };
    }

    /**
     * The language of a string's decoded value turned into the language of its JSON spelling: every character
     * written as {@link #escape} writes it. Lengths and patterns are about decoded characters; this keeps one
     * spelling per character so that the mapping is exact.
     */
    static Regular escaped(Regular value) {
        if (value instanceof Regular.Text t) {
            return Regular.text(escape(t.text()));
        }
        if (value instanceof Regular.Chars c) {
            List<Regular> options = new ArrayList<>();
            CharClass plain = c.set().intersect(PLAIN);
            if (!plain.isEmpty()) {
                options.add(Regular.chars(plain));
            }
            CharClass special = c.set().minus(PLAIN);
            for (int r = 0; r < special.numRanges(); r++) {
                for (int ch = special.lo(r); ch <= special.hi(r); ch++) {
                    options.add(Regular.text(escapeChar(ch)));
                }
            }
            return new Regular.Union(options);
        }
        if (value instanceof Regular.Concat c) {
            return Regular.seq(c.parts().stream().map(JsonText::escaped).toList());
        }
        if (value instanceof Regular.Union u) {
            return new Regular.Union(u.options().stream().map(JsonText::escaped).toList());
        }
        if (value instanceof Regular.Repeat rep) {
            return new Regular.Repeat(escaped(rep.body()), rep.min(), rep.max());
        }
        if (value instanceof Regular.Intersect i) {
            return new Regular.Intersect(escaped(i.left()), escaped(i.right()));
        }
        if (value instanceof Regular.Separated l) {
            return new Regular.Separated(escaped(l.item()), escaped(l.separator()), l.min(), l.max());
        }
        Regular.Members m = (Regular.Members) value;
        return new Regular.Members(m.items().stream().map(JsonText::escaped).toList(), m.required(),
                escaped(m.separator()));
    }

    /** {@code -?(0|[1-9][0-9]{0,17})}. */
    static Regular integer() {
        return Regular.seq(Regular.optional(Regular.text("-")), naturalNumber(MAX_INTEGER_DIGITS));
    }

    /** An integer part (negative ones if {@code signed}), an optional fraction and exponent, each bounded. */
    static Regular number(boolean signed) {
        Regular digits = new Regular.Repeat(Regular.chars(DIGIT), 1, MAX_NUMBER_DIGITS);
        Regular exponent = Regular.seq(Regular.chars(CharClass.ofChars("eE")),
                Regular.optional(Regular.chars(CharClass.ofChars("+-"))),
                new Regular.Repeat(Regular.chars(DIGIT), 1, MAX_EXPONENT_DIGITS));
        return Regular.seq(signed ? Regular.optional(Regular.text("-")) : Regular.seq(), naturalNumber(MAX_NUMBER_DIGITS),
                Regular.optional(Regular.seq(Regular.text("."), digits)), Regular.optional(exponent));
    }

    /** {@code 0|[1-9][0-9]{0,maxDigits-1}}. */
    static Regular naturalNumber(int maxDigits) {
        return Regular.anyOf(List.of(Regular.text("0"), Regular.seq(Regular.chars(CharClass.range('1', '9')),
                new Regular.Repeat(Regular.chars(DIGIT), 0, maxDigits - 1))));
    }

    /** Any JSON value, objects and arrays nested at most {@code depth} deep. */
    static Regular anyValue(int depth) {
        List<Regular> options = new ArrayList<>(List.of(string(0, Regular.UNBOUNDED), number(true), Regular.text("true"),
                Regular.text("false"), Regular.text("null")));
        if (depth > 0) {
            options.add(anyObject(depth - 1));
            options.add(anyArray(depth - 1));
        }
        return Regular.anyOf(options);
    }

    /** An object with any keys and values nested at most {@code depth} deep. */
    static Regular anyObject(int depth) {
        return objectOf(anyValue(depth));
    }

    static Regular anyArray(int depth) {
        return Regular.seq(Regular.text("["), Regular.separated(anyValue(depth), Regular.text(","), 0,
                Regular.UNBOUNDED), Regular.text("]"));
    }

    /** An object with any string keys, each value of {@code value}'s language. */
    static Regular objectOf(Regular value) {
        Regular member = Regular.seq(string(0, Regular.UNBOUNDED), Regular.text(":"), value);
        return Regular.seq(Regular.text("{"), Regular.separated(member, Regular.text(","), 0, Regular.UNBOUNDED),
                Regular.text("}"));
    }
}
