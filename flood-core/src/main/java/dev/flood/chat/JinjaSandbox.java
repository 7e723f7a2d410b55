package dev.flood.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.JinjavaNodePreProcessor;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.loader.ResourceLocator;
import dev.flood.api.FloodException;
import java.io.IOException;
import java.nio.charset.Charset;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import jinjava.javax.el.CompositeELResolver;

/**
 * Renders chat templates from model folders, which come from strangers, with Jinjava set up as transformers sets
 * up Jinja for {@code apply_chat_template} and fenced in:
 * <ul>
 *   <li>no files, classes or network: the tags that load other templates are disabled and the resource locator
 *       refuses every name; the filters that resolve host names ({@code ipaddr}, {@code ipv4}, {@code ipv6}) are
 *       disabled; Jinjava already refuses {@code getClass}, reflection and its own interpreter; the variables a
 *       template sees are plain strings, booleans, lists and maps;
 *   <li>bounded output: rendered text, any one string, list and map are capped ({@link Limits});
 *   <li>bounded time: each render runs on one of the sandbox's worker threads while the caller waits at most
 *       {@code Limits.deadline}; past it the render is interrupted (Jinjava checks the interrupt before every
 *       node) and the caller gets an error. A worker stuck inside a single expression stays busy until it ends,
 *       so at most {@code Limits.workers} such renders hold threads, and later renders wait for a free one
 *       within their own deadline.
 * </ul>
 * Jinja semantics as transformers uses them: {@code trim_blocks} and {@code lstrip_blocks}, filters binding
 * tighter than {@code +}, one trailing newline of the source dropped, Python's string and dict methods
 * ({@link PythonMethods}) and transformers' globals and filters ({@link TemplateFunctions}).
 *
 * <p>Thread safety: {@link #render} may be called from many threads at once; each call renders with a fresh
 * interpreter of the shared, immutable Jinjava setup.
 */
final class JinjaSandbox implements AutoCloseable {

    /**
     * @param maxOutputChars most characters a render may produce, and most characters of any one string in it
     * @param maxCollection  most items of any one list or map a template builds
     * @param deadline       longest a caller waits for a render, queueing for a worker included
     * @param workers        render threads
     */
    record Limits(long maxOutputChars, int maxCollection, Duration deadline, int workers) {

        /** Generous for real prompts (millions of characters, well past any context) yet bounded. */
        static final Limits DEFAULT = new Limits(8_000_000, 100_000, Duration.ofSeconds(10), 4);

        Limits {
            if (maxOutputChars < 1 || maxCollection < 1 || deadline.isNegative() || deadline.isZero() || workers < 1) {
                throw new IllegalArgumentException("invalid template limits " + maxOutputChars + ", " + maxCollection
                        + ", " + deadline + ", " + workers);
            }
        }
    }

    /** Jinja allows recursive macros (Python's stack bounds them); so do we, this deep. */
    private static final int MAX_MACRO_DEPTH = 64;
    /**
     * Jinjava reports some failures as warnings and renders on (an over-deep recursion, for one); Jinja raises on
     * them, and so do we. Warnings left alone: undefined names, which Jinja renders as empty too.
     */
    private static final Set<TemplateError.ErrorReason> FAILURES = Set.of(TemplateError.ErrorReason.EXCEPTION,
            TemplateError.ErrorReason.DISABLED, TemplateError.ErrorReason.INVALID_ARGUMENT,
            TemplateError.ErrorReason.INVALID_INPUT, TemplateError.ErrorReason.OUTPUT_TOO_BIG,
            TemplateError.ErrorReason.OVER_LIMIT, TemplateError.ErrorReason.COLLECTION_TOO_BIG);
    /**
     * Jinja's {@code lstrip_blocks}: spaces and tabs from the start of a line up to a block or comment tag are
     * dropped. Done here on the source because Jinjava's option also strips them after text on the same line.
     */
    private static final Pattern LINE_INDENT_BEFORE_TAG = Pattern.compile("(?m)^[ \\t]+(?=\\{%|\\{#)");
    private static final Set<String> DISABLED_TAGS = Set.of("include", "import", "from", "extends");
    private static final Set<String> DISABLED_FILTERS = Set.of("ipaddr", "ipv4", "ipv6");

    private final Limits limits;
    private final Jinjava jinjava;
    private final ExecutorService workers;

    JinjaSandbox(Limits limits, Clock clock) {
        this.limits = limits;
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(MAX_MACRO_DEPTH)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUsePyishObjectMapper(true)
                        .withKeepNullableLoopValues(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .build())
                .withMaxOutputSize(limits.maxOutputChars())
                .withMaxStringLength(limits.maxOutputChars())
                .withMaxListSize(limits.maxCollection())
                .withMaxMapSize(limits.maxCollection())
                .withElResolver(resolver)
                .withDisabled(Map.of(Context.Library.TAG, DISABLED_TAGS, Context.Library.FILTER, DISABLED_FILTERS))
                .withProcessors(JinjavaProcessors.newBuilder().withNodePreProcessor(new JinjavaNodePreProcessor()).build())
                .withDateTimeProvider(clock::millis)
                .withTimeZone(clock.getZone())
                .build();
        jinjava = PythonSyntax.jinjava(config);
        jinjava.setResourceLocator(new NoResources());
        Context globals = jinjava.getGlobalContext();
        globals.registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class,
                "raiseException", Object.class));
        globals.registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class,
                "strftimeNow", String.class));
        globals.registerFilter(new TemplateFunctions.ToJson());
        globals.registerFilter(new TemplateFunctions.PythonString(globals.getFilter("string")));
        globals.registerTag(new TemplateFunctions.GenerationBlock());
        AtomicInteger serial = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(limits.workers(), task -> {
            Thread thread = new Thread(task, "flood-chat-template-" + serial.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Renders {@code source} with {@code variables}, which must hold only strings, numbers, booleans, lists and
     * maps. Throws {@link FloodException} saying what went wrong: the template's own {@code raise_exception}
     * message, a limit reached, or Jinjava's error with its line.
     */
    String render(String source, Map<String, Object> variables) {
        String jinjaSource = LINE_INDENT_BEFORE_TAG.matcher(source.endsWith("\n")
                ? source.substring(0, source.length() - 1) : source).replaceAll("");
        Future<RenderResult> rendering = workers.submit(() -> jinjava.renderForResult(jinjaSource, variables));
        RenderResult result;
        try {
            result = rendering.get(limits.deadline().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            rendering.cancel(true);
            throw new FloodException("rendering took longer than " + limits.deadline().toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new FloodException("rendering failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            rendering.cancel(true);
            Thread.currentThread().interrupt();
            throw new FloodException("interrupted while rendering");
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL || FAILURES.contains(error.getReason())) {
                throw new FloodException(describe(error));
            }
        }
        return result.getOutput();
    }

    private String describe(TemplateError error) {
        for (Throwable cause = error.getException(); cause != null; cause = cause.getCause()) {
            if (cause instanceof TemplateFunctions.Raised raised) {
                return "it raised: " + raised.getMessage();
            }
            if (cause instanceof com.hubspot.jinjava.interpret.OutputTooBigException) {
                return "it renders more than " + limits.maxOutputChars() + " characters";
            }
        }
        if (error.getReason() == TemplateError.ErrorReason.DISABLED) {
            return "it uses something chat templates may not use (" + error.getMessage() + ")";
        }
        String where = error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : "";
        return error.getMessage() + where + ourReason(error.getException());
    }

    /** The message of an argument our own functions and filters refused, which Jinjava's message leaves out. */
    private static String ourReason(Throwable exception) {
        for (Throwable cause = exception; cause != null; cause = cause.getCause()) {
            if (cause instanceof IllegalArgumentException && cause.getStackTrace().length > 0
                    && cause.getStackTrace()[0].getClassName().startsWith(JinjaSandbox.class.getPackageName())) {
                return ": " + cause.getMessage();
            }
        }
        return "";
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }

    /** Chat templates may not read other templates, files or classpath resources. */
    private static final class NoResources implements ResourceLocator {
        @Override
        public String getString(String fullName, Charset encoding, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter)
                throws IOException {
            throw new IOException("chat templates may not load other files ('" + fullName + "')");
        }
    }
}
