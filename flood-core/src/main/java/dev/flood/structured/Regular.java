package dev.flood.structured;

import java.util.Arrays;
import java.util.List;

/**
 * A regular language over Unicode text, the common form of everything a request can be constrained to: a regex
 * parses into one ({@link RegexParser}), a JSON schema compiles into one ({@link JsonSchemaCompiler}), a choice
 * list is a union of texts. {@link ByteNfa} turns it into an automaton over the text's UTF-8 bytes.
 */
sealed interface Regular {

    /** {@link Repeat#max} of an unbounded repetition. */
    int UNBOUNDED = -1;

    /** One character of the set. */
    record Chars(CharClass set) implements Regular {
    }

    /** Exactly this text. */
    record Text(String text) implements Regular {
    }

    /** Each part in turn; no parts is the empty string. */
    record Concat(List<Regular> parts) implements Regular {
        public Concat {
            parts = List.copyOf(parts);
        }
    }

    /** Any one option; no options matches nothing. */
    record Union(List<Regular> options) implements Regular {
        public Union {
            options = List.copyOf(options);
        }
    }

    /** {@code min} to {@code max} (or {@link #UNBOUNDED}) repetitions of the body. */
    record Repeat(Regular body, int min, int max) implements Regular {
        public Repeat {
            if (min < 0 || (max != UNBOUNDED && max < min)) {
                throw new IllegalArgumentException("bad repetition {" + min + "," + max + "}");
            }
        }
    }

    /**
     * Items in order, each present or (where not required) absent, with the separator between consecutive
     * present items: a JSON object's properties. Compiled in size linear in the items ({@link ByteNfa} keeps
     * two copies of each: before and after the first present item), where spelling it out as unions would not be.
     */
    record Members(List<Regular> items, List<Boolean> required, Regular separator) implements Regular {
        public Members {
            items = List.copyOf(items);
            required = List.copyOf(required);
            if (items.size() != required.size()) {
                throw new IllegalArgumentException(items.size() + " members with " + required.size() + " required flags");
            }
        }
    }

    /** Texts in both languages (a string's pattern and its length bounds): built as a product of automata. */
    record Intersect(Regular left, Regular right) implements Regular {
    }

    static Regular text(String text) {
        return new Text(text);
    }

    static Regular chars(CharClass set) {
        return new Chars(set);
    }

    static Regular seq(Regular... parts) {
        return new Concat(Arrays.asList(parts));
    }

    static Regular seq(List<Regular> parts) {
        return new Concat(parts);
    }

    static Regular anyOf(List<Regular> options) {
        return options.size() == 1 ? options.get(0) : new Union(options);
    }

    static Regular optional(Regular body) {
        return new Repeat(body, 0, 1);
    }

    static Regular star(Regular body) {
        return new Repeat(body, 0, UNBOUNDED);
    }

    /**
     * {@code item (separator item)*} with min..max items (max may be {@link #UNBOUNDED}); the empty string when
     * zero items are allowed. JSON arrays and objects are lists of this shape.
     */
    static Regular separated(Regular item, Regular separator, int min, int max) {
        Regular more = new Repeat(seq(separator, item), Math.max(0, min - 1), max == UNBOUNDED ? UNBOUNDED : max - 1);
        if (max == 0) {
            return seq();
        }
        Regular some = seq(item, more);
        return min == 0 ? optional(some) : some;
    }

    /**
     * An upper bound of the number of automaton states this expression becomes, saturating at
     * {@link Long#MAX_VALUE}: what the compilers check before building, so that a repetition like
     * {@code (a{1000}){1000}} is refused before it is expanded.
     */
    static long size(Regular r) {
        if (r instanceof Chars c) {
            return 2L + 16L * Math.max(1, c.set().numRanges());
        }
        if (r instanceof Text t) {
            return 2L + 4L * t.text().length();
        }
        if (r instanceof Concat c) {
            return c.parts().stream().mapToLong(Regular::size).reduce(2, Regular::saturatingAdd);
        }
        if (r instanceof Union u) {
            return u.options().stream().mapToLong(Regular::size).reduce(2, Regular::saturatingAdd);
        }
        if (r instanceof Members m) {
            long items = m.items().stream().mapToLong(Regular::size).reduce(2, Regular::saturatingAdd);
            return saturatingAdd(saturatingMultiply(items, 2),
                    saturatingMultiply(size(m.separator()), m.items().size()));
        }
        if (r instanceof Intersect i) {
            return saturatingMultiply(size(i.left()), size(i.right()));
        }
        Repeat rep = (Repeat) r;
        return saturatingMultiply(size(rep.body()) + 2,
                rep.max() == UNBOUNDED ? Math.max(1, rep.min()) + 1 : Math.max(1, rep.max()));
    }

    private static long saturatingAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }

    private static long saturatingMultiply(long a, long b) {
        return a != 0 && b > Long.MAX_VALUE / a ? Long.MAX_VALUE : a * b;
    }
}
