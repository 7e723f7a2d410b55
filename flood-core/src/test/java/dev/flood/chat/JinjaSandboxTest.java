package dev.flood.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FloodException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Templates from strangers: no file, class or network access, bounded output, bounded time. The time tests use
 * templates that never finish (or would take years) on a sandbox with a one-second deadline, so reaching it is
 * certain, not a speed assumption; every other test renders on a sandbox with a deadline no render here nears.
 */
class JinjaSandboxTest {

    private static JinjaSandbox sandbox;
    private static JinjaSandbox hasty;

    @BeforeAll
    static void open() {
        Clock clock = Clock.fixed(Instant.parse("2026-03-07T21:05:09Z"), ZoneId.of("Europe/Paris"));
        sandbox = new JinjaSandbox(new JinjaSandbox.Limits(100_000, 10_000, Duration.ofMinutes(5), 2), clock);
        hasty = new JinjaSandbox(new JinjaSandbox.Limits(100_000, 10_000, Duration.ofSeconds(1), 2), clock);
    }

    @AfterAll
    static void close() {
        sandbox.close();
        hasty.close();
    }

    private static String render(String source) {
        return sandbox.render(source, Map.of("name", "World"));
    }

    private static String failure(String source) {
        return assertThrows(FloodException.class, () -> render(source), source).getMessage();
    }

    private static String hastyFailure(String source) {
        return assertThrows(FloodException.class, () -> hasty.render(source, Map.of()), source).getMessage();
    }

    @Test
    void lstripBlocksStripsOnlyIndentation() {
        assertEquals("a b|1 b|x\nb|3 2 1 ", render("a {% if true %}b{% endif %}|{{ 1 }} {% if true %}b{% endif %}|"
                + "x\n  {% if true %}b{% endif %}|"
                + "{% macro f(n) %}{{ n }} {% if n > 1 %}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}"));
    }

    @Test
    void rendersPlainTemplates() {
        assertEquals("Hello, World!", render("Hello, {{ name }}!"));
        assertEquals("Hello", render("Hello\n"), "one trailing newline of the source is dropped, as Jinja does");
    }

    @Test
    void otherTemplatesFilesAndClasspathResourcesCannotBeRead() {
        for (String source : new String[] {"{% include '/etc/passwd' %}", "{% include 'META-INF/MANIFEST.MF' %}",
                "{% import 'macros.j2' as m %}", "{% from 'macros.j2' import m %}", "{% extends 'base.j2' %}"}) {
            String message = failure(source);
            assertTrue(message.startsWith("it uses something chat templates may not use"), source + ": " + message);
        }
    }

    @Test
    void classesAndReflectionAreOutOfReach() {
        assertTrue(failure("{{ name.getClass().forName('java.lang.Runtime') }}").contains("getClass"));
        assertEquals("", render("{{ name.class }}"), "the class property resolves to nothing");
        assertTrue(failure("{{ name.getClass() }}").contains("getClass"));
    }

    @Test
    void hostNameLookupsAreDisabled() {
        assertTrue(failure("{{ 'example.com' | ipaddr }}").startsWith("it uses something chat templates may not use"));
        assertTrue(failure("{{ 'example.com' | ipv4 }}").startsWith("it uses something chat templates may not use"));
    }

    @Test
    void aTemplateThatRunsForeverIsStoppedAtTheDeadline() {
        String loops = "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
                + "{% for d in range(1000) %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}done";
        assertEquals("rendering took longer than 1000 ms", hastyFailure(loops));
        assertEquals("rendering took longer than 1000 ms", hastyFailure(
                "{% macro f(n) %}{% for i in range(1000) %}{{ f(n + 1) }}{% endfor %}{% endmacro %}{{ f(1) }}"));
        assertEquals("Hello", hasty.render("Hello", Map.of()), "the workers are free again");
        assertTrue(failure("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}").contains("recursion"),
                "endless recursion stops at the depth limit");
    }

    @Test
    void hugeOutputIsRefused() {
        assertEquals("it renders more than 100000 characters",
                failure("{% set s = '" + "x".repeat(200) + "' %}{% for a in range(1000) %}{{ s }}{% endfor %}"));
        String doubling = "{% set ns = namespace(s='xxxxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
                + "{% endfor %}{{ ns.s | length }}";
        assertTrue(failure(doubling).contains("100000"), "a string may not outgrow the limit either");
    }

    @Test
    void raiseExceptionGivesTheTemplatesMessage() {
        assertEquals("it raised: no system messages, please",
                failure("before{{ raise_exception('no system messages, please') }}after"));
    }

    @Test
    void syntaxErrorsSayWhere() {
        String message = failure("line one\n{% if %}");
        assertTrue(message.contains("line 2"), message);
    }

    @Test
    void strftimeNowReadsTheClockInItsZone() {
        assertEquals("07 Mar 2026 22:05:09 Saturday 066 PM 7", render(
                "{{ strftime_now('%d %b %Y %H:%M:%S %A %j %p %-d') }}"));
        String message = failure("{{ strftime_now('%Q') }}");
        assertTrue(message.contains("strftime_now does not know the directive %Q"), message);
    }

    @Test
    void pythonStringAndDictMethods() {
        assertEquals("['a', 'b', 'c']|['a', ' b ,c']|['a b', 'c']|['', 'x', '']",
                render("{{ ' a  b\\tc '.split() }}|{{ 'a, b ,c'.split(',', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}|{{ '-x-'.split('-') }}"));
        assertEquals("x|xx--|--|True|False|HELLO|Hello World|2|-1",
                render("{{ '--x--'.strip('-') }}|{{ 'xx--'.lstrip('-') }}|{{ '--xx'.rstrip('x') }}|"
                        + "{{ 'abc'.startswith(['x', 'a']) | string }}|{{ 'abc'.endswith('b') | string }}|{{ 'hello'.upper() }}|"
                        + "{{ 'hello world'.title() }}|{{ 'a.b.c'.count('.') }}|{{ 'abc'.find('z') }}"));
        assertEquals("1|dflt|a=1", render("{% set d = {'a': 1} %}{{ d.get('a') }}|{{ d.get('b', 'dflt') }}|"
                + "{% for k, v in d.items() %}{{ k }}={{ v }}{% endfor %}"));
    }

    @Test
    void toJsonWritesAsPython() {
        assertEquals("{\"a\": [1, 2.5, null, true], \"b\": \"\\\"q\\\" é\\n\"}",
                render("{{ {'a': [1, 2.5, none, true], 'b': '\"q\" é\\n'} | tojson }}"));
        assertEquals("{\"b\":1,\"a\":2}", render("{{ {'b': 1, 'a': 2} | tojson(separators=(',', ':')) }}"));
        assertEquals("{\"a\": 2, \"b\": 1}", render("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}"));
        assertEquals("\"\\u00e9\"", render("{{ 'é' | tojson(ensure_ascii=true) }}"));
    }

    @Test
    void slicesWithSteps() {
        assertEquals("[3, 2, 1]|[1, 3]|cba|[2]|[]", render("{% set l = [1, 2, 3] %}{{ l[::-1] }}|{{ l[::2] }}|"
                + "{{ 'abc'[::-1] }}|{{ l[-2:-1] }}|{{ l[5:] }}"));
    }
}
