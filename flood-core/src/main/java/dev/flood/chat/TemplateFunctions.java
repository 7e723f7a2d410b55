package dev.flood.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;

/**
 * What transformers adds to Jinja for chat templates, for Jinjava: the {@code raise_exception} and
 * {@code strftime_now} globals, its {@code tojson} filter (Python's {@code json.dumps}), Python's {@code string}
 * filter for booleans and None, and the {@code {% generation %}} block (rendered as its body). Functions are
 * static because Jinjava calls them by reflection; {@code strftime_now} reads the clock and time zone of the
 * sandbox's Jinjava configuration through the interpreter rendering on this thread.
 */
final class TemplateFunctions {

    private TemplateFunctions() {
    }

    /** What {@code raise_exception(message)} throws; the sandbox turns it into the request's error. */
    static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message, null, false, false);
        }
    }

    public static String raiseException(Object message) {
        throw new Raised(String.valueOf(message));
    }

    public static String strftimeNow(String format) {
        JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
        long millis = interpreter.getConfig().getDateTimeProvider().getCurrentTimeMillis();
        return PythonStrftime.format(format,
                ZonedDateTime.ofInstant(Instant.ofEpochMilli(millis), interpreter.getConfig().getTimeZone()));
    }

    /** {@code tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)}, positional or named. */
    static final class ToJson implements Filter {

        private static final List<String> PARAMETERS = List.of("ensure_ascii", "indent", "separators", "sort_keys");

        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object[] values = new Object[PARAMETERS.size()];
            if (args.length > values.length) {
                throw new IllegalArgumentException("tojson takes at most " + values.length + " arguments");
            }
            System.arraycopy(args, 0, values, 0, args.length);
            kwargs.forEach((name, value) -> {
                int index = PARAMETERS.indexOf(name);
                if (index < 0) {
                    throw new IllegalArgumentException("tojson has no argument '" + name + "'");
                }
                values[index] = value;
            });
            Integer indent = values[1] == null ? null : (int) ((Number) values[1]).longValue();
            List<String> separators = values[2] == null ? null
                    : ((List<?>) values[2]).stream().map(String::valueOf).toList();
            return PythonJson.of(indent, separators, Boolean.TRUE.equals(values[3]), Boolean.TRUE.equals(values[0]))
                    .dumps(var);
        }
    }

    /** Python's {@code str()} where Jinjava's differs: {@code True}, {@code False}, {@code None}, float repr. */
    static final class PythonString implements Filter {

        private final Filter jinjavaString;

        PythonString(Filter jinjavaString) {
            this.jinjavaString = jinjavaString;
        }

        @Override
        public String getName() {
            return "string";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var == null) {
                return "None";
            }
            if (var instanceof Boolean b) {
                return b ? "True" : "False";
            }
            if (var instanceof Double || var instanceof Float) {
                return PythonJson.pythonFloat(((Number) var).doubleValue());
            }
            return jinjavaString.filter(var, interpreter, args);
        }
    }

    /** transformers' {@code {% generation %}...{% endgeneration %}}: marks assistant text; renders its body. */
    static final class GenerationBlock implements Tag {

        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder out = new StringBuilder();
            for (Node child : tagNode.getChildren()) {
                out.append(child.render(interpreter).getValue());
            }
            return out.toString();
        }
    }
}
