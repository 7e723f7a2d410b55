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

    /**
     * {@code min..max} items (max may be {@link #UNBOUNDED}) with the separator between them: JSON arrays and
     * free-form objects. Without an upper bound and with at most one required item, {@link ByteNfa} builds one
     * copy of the item with a loop back through the separator.
     */
    record Separated(Regular item, Regular separator, int min, int max) implements Regular {
        public Separated {
            if (min < 0 || (max != UNBOUNDED && max < min)) {
                throw new IllegalArgumentException("bad item counts " + min + ".." + max);
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
        return new Separated(item, separator, min, max);
    }

    /**
     * The number of NFA states {@link ByteNfa} builds for this expression (an intersection counts its two sides;
     * its product automaton is bounded as it is built), saturating at {@link Long#MAX_VALUE}: what the compilers
     * check before building, so that a repetition like {@code (a{1000}){1000}} is refused before it is expanded.
     */
    static long size(Regular r) {
        if (r instanceof Chars c) {
            long states = 2;
            for (int[] sequence : Utf8Ranges.of(c.set())) {
                states += sequence.length / 2 - 1;
            }
            return states;
        }
        if (r instanceof Text t) {
            return 1L + t.text().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
        if (r instanceof Concat c) {
            return c.parts().stream().mapToLong(Regular::size).reduce(1, Regular::saturatingAdd);
        }
        if (r instanceof Union u) {
            return u.options().stream().mapToLong(Regular::size).reduce(2, Regular::saturatingAdd);
        }
        if (r instanceof Members m) {
            long items = m.items().stream().mapToLong(Regular::size).reduce(0, Regular::saturatingAdd);
            long lanes = 2L * (m.items().size() + 1) + 1;
            return saturatingAdd(saturatingAdd(lanes, saturatingMultiply(items, 2)),
                    saturatingMultiply(size(m.separator()), m.items().size()));
        }
        if (r instanceof Intersect i) {
            return saturatingAdd(size(i.left()), size(i.right()));
        }
        if (r instanceof Separated l) {
            long pair = saturatingAdd(size(l.item()), size(l.separator()));
            long copies = l.max() == UNBOUNDED ? Math.max(1, l.min()) : Math.max(1, l.max());
            return saturatingAdd(4, saturatingMultiply(pair + 2, copies));
        }
        Repeat rep = (Repeat) r;
        long copies = rep.max() == UNBOUNDED ? rep.min() + 1L : rep.max();
        return saturatingAdd(3, saturatingMultiply(size(rep.body()) + 1, copies));
    }

    private static long saturatingAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }

    private static long saturatingMultiply(long a, long b) {
        return a != 0 && b > Long.MAX_VALUE / a ? Long.MAX_VALUE : a * b;
    }
}
