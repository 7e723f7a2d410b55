package dev.flood.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The Python {@code str} and {@code dict} methods that Hugging Face chat templates call on their values
 * ({@code content.strip()}, {@code content.split('</think>')}, {@code name.startswith('<')}, {@code d.get(k, v)},
 * {@code d.items()}), which Jinjava lacks or gives Java's meaning ({@code split} takes a regular expression in
 * Java). Placed before Jinjava's own resolvers, it answers only these method calls on strings and maps and leaves
 * everything else to them. Arguments arrive as Jinjava evaluates them: integers as {@code Long}.
 */
final class PythonMethods extends ELResolver {

    private static final Set<String> STRING_METHODS = Set.of("strip", "lstrip", "rstrip", "startswith", "endswith",
            "split", "rsplit", "upper", "lower", "title", "capitalize", "replace", "find", "rfind", "count", "join",
            "isdigit", "isalpha", "isspace", "isalnum", "isupper", "islower", "splitlines");
    private static final Set<String> MAP_METHODS = Set.of("items", "keys", "values", "get");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        String name = String.valueOf(method);
        Object[] args = params == null ? new Object[0] : params;
        if (base instanceof String s && STRING_METHODS.contains(name)) {
            context.setPropertyResolved(true);
            return stringMethod(s, name, args);
        }
        if (base instanceof Map<?, ?> map && MAP_METHODS.contains(name)) {
            context.setPropertyResolved(true);
            return mapMethod(map, name, args);
        }
        return null;
    }

    private static Object stringMethod(String s, String name, Object[] args) {
        return switch (name) {
            case "strip" -> strip(s, chars(args, name), true, true);
            case "lstrip" -> strip(s, chars(args, name), true, false);
            case "rstrip" -> strip(s, chars(args, name), false, true);
            case "startswith" -> affixes(args, name).stream().anyMatch(s::startsWith);
            case "endswith" -> affixes(args, name).stream().anyMatch(s::endsWith);
            case "split" -> split(s, separator(args, name), maxSplit(args, name), false);
            case "rsplit" -> split(s, separator(args, name), maxSplit(args, name), true);
            case "splitlines" -> splitLines(s);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "replace" -> replace(s, args);
            case "find" -> (long) s.indexOf(stringArg(args, 0, name));
            case "rfind" -> (long) s.lastIndexOf(stringArg(args, 0, name));
            case "count" -> count(s, stringArg(args, 0, name));
            case "join" -> join(s, args, name);
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(PythonMethods::isPythonSpace);
            case "isupper" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            case "islower" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            default -> throw new IllegalStateException(name);
        };
    }

    private static Object mapMethod(Map<?, ?> map, String name, Object[] args) {
        return switch (name) {
            case "items" -> {
                List<List<Object>> items = new ArrayList<>();
                map.forEach((k, v) -> items.add(java.util.Arrays.asList(k, v)));
                yield items;
            }
            case "keys" -> new ArrayList<>(map.keySet());
            case "values" -> new ArrayList<>(map.values());
            case "get" -> {
                if (args.length < 1 || args.length > 2) {
                    throw new IllegalArgumentException("dict.get takes a key and an optional default");
                }
                yield map.containsKey(args[0]) ? map.get(args[0]) : args.length == 2 ? args[1] : null;
            }
            default -> throw new IllegalStateException(name);
        };
    }

    /** Python's {@code str.strip([chars])}: whitespace when chars is null. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && stripped(s.charAt(start), chars)) {
            start++;
        }
        while (right && end > start && stripped(s.charAt(end - 1), chars)) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isPythonSpace(c) : chars.indexOf(c) >= 0;
    }

    /** Python's {@code str.isspace} for one character (Unicode whitespace, including U+001C..U+001F and U+0085). */
    static boolean isPythonSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    /** Python's {@code str.split} and {@code str.rsplit}; a null separator splits on runs of whitespace. */
    private static List<String> split(String s, String separator, int maxSplit, boolean fromRight) {
        if (separator != null && separator.isEmpty()) {
            throw new IllegalArgumentException("split: empty separator");
        }
        if (fromRight) {   // rsplit is split of the reversed text, each part and their order reversed back
            List<String> parts = new ArrayList<>();
            for (String part : split(reverse(s), separator == null ? null : reverse(separator), maxSplit, false)) {
                parts.add(0, reverse(part));
            }
            return parts;
        }
        List<String> parts = new ArrayList<>();
        if (separator != null) {
            int from = 0;
            for (int at; (maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(separator, from)) >= 0; ) {
                parts.add(s.substring(from, at));
                from = at + separator.length();
            }
            parts.add(s.substring(from));
            return parts;
        }
        int i = 0;
        while (true) {
            while (i < s.length() && isPythonSpace(s.charAt(i))) {
                i++;
            }
            if (i == s.length()) {
                return parts;
            }
            if (maxSplit >= 0 && parts.size() == maxSplit) {
                parts.add(s.substring(i));
                return parts;
            }
            int j = i;
            while (j < s.length() && !isPythonSpace(s.charAt(j))) {
                j++;
            }
            parts.add(s.substring(i, j));
            i = j;
        }
    }

    private static String reverse(String s) {
        return new StringBuilder(s).reverse().toString();
    }

    /** Python's {@code str.splitlines()}: split at any line boundary; no empty last line for a final newline. */
    private static List<String> splitLines(String s) {
        List<String> lines = new ArrayList<>(List.of(s.split("\r\n|[\n\r\u000b\u000c\u001c\u001d\u001e\u0085\u2028\u2029]", -1)));
        if (lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    /** Python's {@code str.title}: a cased letter after an uncased character starts a word. */
    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    private static String replace(String s, Object[] args) {
        if (args.length < 2 || args.length > 3) {
            throw new IllegalArgumentException("replace takes old, new and an optional count");
        }
        String old = String.valueOf(args[0]);
        String replacement = String.valueOf(args[1]);
        long limit = args.length == 3 ? ((Number) args[2]).longValue() : -1;
        if (limit < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (long n = 0; n < limit; n++) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            out.append(s, from, at).append(replacement);
            from = at + old.length();
            if (old.isEmpty()) {
                if (from < s.length()) {
                    out.append(s.charAt(from));
                }
                from++;
            }
        }
        return from <= s.length() ? out.append(s.substring(from)).toString() : out.toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String separator, Object[] args, String name) {
        if (args.length != 1 || !(args[0] instanceof Iterable<?> || args[0] instanceof Object[])) {
            throw new IllegalArgumentException(name + " takes one list");
        }
        Iterator<?> items = args[0] instanceof Iterable<?> iterable ? iterable.iterator()
                : List.of((Object[]) args[0]).iterator();
        StringBuilder out = new StringBuilder();
        while (items.hasNext()) {
            out.append(items.next());
            if (items.hasNext()) {
                out.append(separator);
            }
        }
        return out.toString();
    }

    private static String chars(Object[] args, String name) {
        if (args.length > 1) {
            throw new IllegalArgumentException(name + " takes at most one argument");
        }
        return args.length == 0 || args[0] == null ? null : String.valueOf(args[0]);
    }

    private static List<String> affixes(Object[] args, String name) {
        if (args.length != 1) {
            throw new IllegalArgumentException(name + " takes one argument");
        }
        if (args[0] instanceof Collection<?> options) {
            return options.stream().map(String::valueOf).toList();
        }
        return List.of(String.valueOf(args[0]));
    }

    private static String separator(Object[] args, String name) {
        if (args.length > 2) {
            throw new IllegalArgumentException(name + " takes at most a separator and a count");
        }
        return args.length == 0 || args[0] == null ? null : String.valueOf(args[0]);
    }

    private static int maxSplit(Object[] args, String name) {
        return args.length < 2 ? -1 : (int) ((Number) args[1]).longValue();
    }

    private static String stringArg(Object[] args, int index, String name) {
        if (args.length <= index || args[index] == null) {
            throw new IllegalArgumentException(name + " needs a string argument");
        }
        return String.valueOf(args[index]);
    }

    // Property access is left to Jinjava's resolvers.

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
