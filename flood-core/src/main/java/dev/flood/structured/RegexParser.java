package dev.flood.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses a regular expression into a {@link Regular} matched against the whole output (as vLLM's guided regex
 * and Outlines match it). The syntax is the common core of Python's {@code re}, JavaScript and Java:
 * alternation, groups ({@code (...)}, {@code (?:...)}, named), greedy or lazy quantifiers ({@code * + ? {n}
 * {n,} {n,m} {,m}}; laziness does not change which texts match), {@code .} (any character but a newline),
 * classes ({@code [a-z]}, {@code [^...]}), the escapes {@code \d \w \s \D \W \S} (ASCII digits, word characters,
 * whitespace), {@code \n \t \r \f \v \0 \xHH \\uHHHH} and escaped punctuation, and a leading {@code (?i)}.
 * {@code ^} and {@code $} (or {@code \A}, {@code \Z}, {@code \z}) are accepted at the very ends only.
 *
 * <p>What no finite automaton can do is refused with an error naming it: backreferences, lookaround, word
 * boundaries, possessive quantifiers. Repetition counts above {@link #MAX_COUNT} are refused before anything
 * is built.
 */
final class RegexParser {

    static final int MAX_COUNT = 100_000;
    private static final CharClass DIGITS = CharClass.range('0', '9');
    private static final CharClass WORD = CharClass.range('a', 'z').union(CharClass.range('A', 'Z')).union(DIGITS)
            .union(CharClass.of('_'));
    private static final CharClass SPACE = CharClass.ofChars(" \t\n\r\f\u000b");
    private static final CharClass NOT_NEWLINE = CharClass.of('\n').complement();

    private final String pattern;
    private final int[] chars;
    private int at;
    private boolean ignoreCase;

    private RegexParser(String pattern) {
        this.pattern = pattern;
        this.chars = pattern.codePoints().toArray();
    }

    /** The language of {@code pattern}; {@link IllegalArgumentException} saying where and why it cannot be used. */
    static Regular parse(String pattern) {
        if (pattern == null) {
            throw new IllegalArgumentException("regex is null");
        }
        return new RegexParser(pattern).whole();
    }

    private Regular whole() {
        if (startsWith("(?i)")) {
            ignoreCase = true;
            at += 4;
        }
        if (startsWith("^")) {
            at++;
        } else if (startsWith("\\A")) {
            at += 2;
        }
        Regular r = alternation();
        if (at < chars.length) {
            throw error(chars[at] == ')' ? "an unmatched ')'" : "unexpected '" + Character.toString(chars[at]) + "'");
        }
        return r;
    }

    private Regular alternation() {
        List<Regular> options = new ArrayList<>();
        options.add(sequence());
        while (at < chars.length && chars[at] == '|') {
            at++;
            options.add(sequence());
        }
        return Regular.anyOf(options);
    }

    private Regular sequence() {
        List<Regular> parts = new ArrayList<>();
        while (at < chars.length && chars[at] != '|' && chars[at] != ')') {
            if (endAnchor()) {
                break;
            }
            parts.add(quantified(atom()));
        }
        return parts.size() == 1 ? parts.get(0) : Regular.seq(parts);
    }

    /** {@code $}, {@code \Z} or {@code \z} closing the whole pattern (possibly inside final groups) is skipped. */
    private boolean endAnchor() {
        int length = chars[at] == '$' ? 1 : startsWith("\\Z") || startsWith("\\z") ? 2 : 0;
        if (length == 0) {
            return false;
        }
        for (int i = at + length; i < chars.length; i++) {
            if (chars[i] != ')') {
                throw error("an anchor that is not at the end of the pattern");
            }
        }
        at += length;
        return true;
    }

    private Regular atom() {
        int c = chars[at];
        switch (c) {
            case '(':
                return group();
            case '[':
                return chars(charClass());
            case '.':
                at++;
                return chars(NOT_NEWLINE);
            case '\\':
                return escape();
            case '^':
                throw error("'^' that is not at the start of the pattern");
            case '*':
            case '+':
            case '?':
                throw error("a quantifier with nothing to repeat");
            case '{':
                if (quantifierAhead()) {
                    throw error("a quantifier with nothing to repeat");
                }
                at++;
                return literal(c);
            default:
                at++;
                return literal(c);
        }
    }

    private Regular group() {
        int open = at;
        at++;
        if (startsWith("?")) {
            if (startsWith("?:")) {
                at += 2;
            } else if (startsWith("?P<") || (startsWith("?<") && !startsWith("?<=") && !startsWith("?<!"))) {
                int close = indexOf('>', at);
                if (close < 0) {
                    throw error("an unterminated group name");
                }
                at = close + 1;
            } else if (startsWith("?=") || startsWith("?!") || startsWith("?<=") || startsWith("?<!")) {
                throw error("lookaround, which no finite automaton can check");
            } else if (startsWith("?P=")) {
                throw error("a backreference, which no finite automaton can check");
            } else {
                throw error("a group flag other than a leading (?i)");
            }
        }
        Regular inner = alternation();
        if (at >= chars.length || chars[at] != ')') {
            at = open;
            throw error("a '(' that is never closed");
        }
        at++;
        return inner;
    }

    private Regular quantified(Regular atom) {
        while (at < chars.length) {
            int min;
            int max;
            int c = chars[at];
            if (c == '*') {
                min = 0;
                max = Regular.UNBOUNDED;
                at++;
            } else if (c == '+') {
                min = 1;
                max = Regular.UNBOUNDED;
                at++;
            } else if (c == '?') {
                min = 0;
                max = 1;
                at++;
            } else if (c == '{' && quantifierAhead()) {
                at++;
                min = startsWith(",") ? 0 : number();
                max = min;
                if (startsWith(",")) {
                    at++;
                    max = startsWith("}") ? Regular.UNBOUNDED : number();
                }
                at++;   // '}'
                if (max != Regular.UNBOUNDED && max < min) {
                    throw error("a repetition {" + min + "," + max + "} whose maximum is below its minimum");
                }
            } else {
                return atom;
            }
            if (at < chars.length && chars[at] == '?') {
                at++;   // lazy: the same texts match
            } else if (at < chars.length && chars[at] == '+') {
                throw error("a possessive quantifier");
            }
            atom = new Regular.Repeat(atom, min, max);
        }
        return atom;
    }

    /** Whether {@code {n}}, {@code {n,}}, {@code {n,m}} or {@code {,m}} starts here (else '{' is a literal). */
    private boolean quantifierAhead() {
        int i = at + 1;
        int digits = 0;
        while (i < chars.length && Character.isDigit(chars[i])) {
            i++;
            digits++;
        }
        if (i < chars.length && chars[i] == ',') {
            i++;
            while (i < chars.length && Character.isDigit(chars[i])) {
                i++;
                digits++;
            }
        }
        return digits > 0 && i < chars.length && chars[i] == '}';
    }

    private int number() {
        int start = at;
        long value = 0;
        while (at < chars.length && chars[at] >= '0' && chars[at] <= '9') {
            value = Math.min(value * 10 + (chars[at] - '0'), Integer.MAX_VALUE);
            at++;
        }
        if (value > MAX_COUNT) {
            at = start;
            throw error("a repetition count of " + value + ", more than " + MAX_COUNT);
        }
        return (int) value;
    }

    private Regular escape() {
        if (at + 1 >= chars.length) {
            throw error("a '\\' at the end of the pattern");
        }
        int c = chars[at + 1];
        if (c == 'b' || c == 'B') {
            throw error("a word boundary, which no finite automaton over the output can check here");
        }
        if ((c >= '1' && c <= '9') || c == 'k') {
            throw error("a backreference, which no finite automaton can check");
        }
        return chars(escapeClass());
    }

    /** The set an escape inside or outside a class stands for; consumes it. */
    private CharClass escapeClass() {
        int c = chars[at + 1];
        at += 2;
        switch (c) {
            case 'd': return DIGITS;
            case 'D': return DIGITS.complement();
            case 'w': return WORD;
            case 'W': return WORD.complement();
            case 's': return SPACE;
            case 'S': return SPACE.complement();
            case 'n': return CharClass.of('\n');
            case 't': return CharClass.of('\t');
            case 'r': return CharClass.of('\r');
            case 'f': return CharClass.of('\f');
            case 'v': return CharClass.of(0x0b);
            case '0': return CharClass.of(0);
            case 'x': return CharClass.of(hex(2));
            case 'u': return CharClass.of(hex(4));
            default:
                if (Character.isLetterOrDigit(c)) {
                    at -= 2;
                    throw error("the escape \\" + Character.toString(c) + ", which is not supported");
                }
                return CharClass.of(c);
        }
    }

    private int hex(int digits) {
        if (at + digits > chars.length) {
            throw error("a hex escape with fewer than " + digits + " digits");
        }
        int value = 0;
        for (int i = 0; i < digits; i++) {
            int d = Character.digit(chars[at + i], 16);
            if (d < 0) {
                throw error("a hex escape with a non-hex digit");
            }
            value = value * 16 + d;
        }
        at += digits;
        if (value >= 0xD800 && value <= 0xDFFF) {
            throw error("a surrogate code unit, which is not a character");
        }
        return value;
    }

    private CharClass charClass() {
        int open = at;
        at++;
        boolean negated = startsWith("^");
        if (negated) {
            at++;
        }
        CharClass set = CharClass.NONE;
        boolean first = true;
        while (true) {
            if (at >= chars.length) {
                at = open;
                throw error("a '[' that is never closed");
            }
            int c = chars[at];
            if (c == ']' && !first) {
                at++;
                break;
            }
            first = false;
            if (startsWith("[:")) {
                throw error("a POSIX class, which is not supported");
            }
            CharClass item;
            int low;
            if (c == '\\') {
                item = escapeClass();
                low = item.numRanges() == 1 && item.lo(0) == item.hi(0) ? item.lo(0) : -1;
            } else {
                at++;
                item = CharClass.of(c);
                low = c;
            }
            if (low >= 0 && startsWith("-") && at + 1 < chars.length && chars[at + 1] != ']') {
                at++;
                int high;
                if (chars[at] == '\\') {
                    CharClass end = escapeClass();
                    if (end.numRanges() != 1 || end.lo(0) != end.hi(0)) {
                        throw error("a class range ending in a class escape");
                    }
                    high = end.lo(0);
                } else {
                    high = chars[at++];
                }
                if (high < low) {
                    throw error("a class range whose end comes before its start");
                }
                item = CharClass.range(low, high);
            }
            set = set.union(item);
        }
        if (ignoreCase) {
            set = set.caseInsensitive();
        }
        return negated ? set.complement() : set;
    }

    private Regular literal(int c) {
        CharClass set = CharClass.of(c);
        return chars(ignoreCase ? set.caseInsensitive() : set);
    }

    private Regular chars(CharClass set) {
        return Regular.chars(set);
    }

    private boolean startsWith(String s) {
        int[] cs = s.codePoints().toArray();
        if (at + cs.length > chars.length) {
            return false;
        }
        for (int i = 0; i < cs.length; i++) {
            if (chars[at + i] != cs[i]) {
                return false;
            }
        }
        return true;
    }

    private int indexOf(int c, int from) {
        for (int i = from; i < chars.length; i++) {
            if (chars[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("regex " + quoted() + " has " + what + " at character " + (at + 1));
    }

    private String quoted() {
        String shown = pattern.length() > 200 ? pattern.substring(0, 200) + "..." : pattern;
        return "'" + shown + "'";
    }
}
