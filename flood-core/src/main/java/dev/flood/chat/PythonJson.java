package dev.flood.chat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps} as Hugging Face's {@code tojson} filter calls it ({@code ensure_ascii=False},
 * optional {@code indent}, {@code separators} and {@code sort_keys}), over the values a template holds: maps, lists,
 * strings, numbers, booleans and null. Jinja's own {@code tojson} (and Jinjava's) escape HTML characters and print
 * compactly; chat templates that show tool schemas to the model need Python's exact text.
 *
 * @param indent           null for one line, else spaces per nesting level (a newline before each item)
 * @param itemSeparator    between items: {@code ", "} on one line, {@code ","} when indented (Python's defaults)
 * @param keySeparator     between a key and its value: {@code ": "}
 */
record PythonJson(Integer indent, String itemSeparator, String keySeparator, boolean sortKeys, boolean ensureAscii) {

    static PythonJson of(Integer indent, List<String> separators, boolean sortKeys, boolean ensureAscii) {
        String item = indent == null ? ", " : ",";
        String key = ": ";
        if (separators != null) {
            if (separators.size() != 2) {
                throw new IllegalArgumentException("tojson separators must be a pair, got " + separators);
            }
            item = separators.get(0);
            key = separators.get(1);
        }
        return new PythonJson(indent, item, key, sortKeys, ensureAscii);
    }

    String dumps(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, 0, out);
        return out.toString();
    }

    private void write(Object value, int depth, StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (value instanceof CharSequence s) {
            writeString(s.toString(), out);
        } else if (value instanceof Double || value instanceof Float) {
            out.append(pythonFloat(((Number) value).doubleValue()));
        } else if (value instanceof Number n) {
            out.append(n);
        } else if (value instanceof Map<?, ?> map) {
            List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
            if (sortKeys) {
                entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
            }
            writeContainer('{', '}', entries.size(), depth, out, (i, nested) -> {
                writeString(String.valueOf(entries.get(i).getKey()), out);
                out.append(keySeparator);
                write(entries.get(i).getValue(), nested, out);
            });
        } else if (value instanceof Iterable<?> iterable) {
            List<Object> items = new ArrayList<>();
            iterable.forEach(items::add);
            writeContainer('[', ']', items.size(), depth, out, (i, nested) -> write(items.get(i), nested, out));
        } else if (value instanceof Object[] array) {
            writeContainer('[', ']', array.length, depth, out, (i, nested) -> write(array[i], nested, out));
        } else {
            throw new IllegalArgumentException("tojson cannot write a " + value.getClass().getSimpleName());
        }
    }

    private interface ItemWriter {
        void write(int index, int depth);
    }

    private void writeContainer(char open, char close, int size, int depth, StringBuilder out, ItemWriter items) {
        out.append(open);
        if (size == 0) {
            out.append(close);
            return;
        }
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                out.append(itemSeparator);
            }
            newline(depth + 1, out);
            items.write(i, depth + 1);
        }
        newline(depth, out);
        out.append(close);
    }

    private void newline(int depth, StringBuilder out) {
        if (indent != null) {
            out.append('\n').append(" ".repeat(indent * depth));
        }
    }

    private void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, exponent form outside [1e-4, 1e16). */
    static String pythonFloat(double x) {
        if (Double.isNaN(x)) {
            return "NaN";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "Infinity" : "-Infinity";
        }
        double magnitude = Math.abs(x);
        if (magnitude == 0) {
            return Double.toString(x);   // "0.0" or "-0.0", as Python
        }
        if (magnitude >= 1e-4 && magnitude < 1e16) {
            String plain = new BigDecimal(Double.toString(x)).toPlainString();
            return plain.contains(".") ? stripTrailingZeros(plain) : plain + ".0";
        }
        String java = Double.toString(x);   // d.dddE[-]n
        int e = java.indexOf('E');
        String mantissa = stripTrailingZeros(java.substring(0, e));
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        int exponent = Integer.parseInt(java.substring(e + 1));
        return mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }

    private static String stripTrailingZeros(String plain) {
        if (!plain.contains(".")) {
            return plain;
        }
        String s = plain.replaceAll("0+$", "");
        return s.endsWith(".") ? s + "0" : s;
    }
}
