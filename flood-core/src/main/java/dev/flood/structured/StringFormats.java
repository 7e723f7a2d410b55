package dev.flood.structured;

import java.util.Map;

/**
 * The JSON Schema {@code format}s an output can be held to, as regexes of their strings: exact calendar dates
 * (month lengths and leap years), RFC 3339 times and date-times (offsets within ±18:00, which java.time and so
 * most parsers downstream accept), UUIDs and IPv4 addresses. The tests check them with format assertions on.
 */
final class StringFormats {

    /** Calendar dates: 31-day months, 30-day months, February to the 28th, and the 29th in leap years. */
    private static final String DATE = "([0-9]{4}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
            + "|[0-9]{4}-(0[469]|11)-(0[1-9]|[12][0-9]|30)"
            + "|[0-9]{4}-02-(0[1-9]|1[0-9]|2[0-8])"
            + "|([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)";
    /**
     * Offsets within ±18:00, what java.time (and so most parsers downstream) accepts; not {@code -00:00} (RFC 3339's
     * "offset unknown"), which the JSON-schema validator the tests check with refuses.
     */
    private static final String TIME = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?"
            + "(Z|\\+((0[0-9]|1[0-7]):[0-5][0-9]|18:00)|-(00:(0[1-9]|[1-5][0-9])|(0[1-9]|1[0-7]):[0-5][0-9]|18:00))";
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    /** Format name to the regex of its strings (matched whole). */
    static final Map<String, String> PATTERNS = Map.of(
            "date", DATE,
            "time", TIME,
            "date-time", DATE + "T" + TIME,
            "uuid", "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "ipv4", "(" + OCTET + "\\.){3}" + OCTET);

    private StringFormats() {
    }
}
