package dev.flood.chat;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * Python's {@code datetime.strftime} for the directives chat templates use ({@code strftime_now("%d %b %Y")} in
 * Llama 3.1's), in the C locale as transformers runs it, with glibc's {@code %-d} form (no padding). An unknown
 * directive is an error rather than a silently different date.
 */
final class PythonStrftime {

    private PythonStrftime() {
    }

    static String format(String pattern, ZonedDateTime time) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            boolean unpadded = i + 1 < pattern.length() && pattern.charAt(i + 1) == '-';
            int at = unpadded ? i + 2 : i + 1;
            if (at >= pattern.length()) {
                throw new IllegalArgumentException("strftime format '" + pattern + "' ends inside a directive");
            }
            out.append(directive(pattern.charAt(at), unpadded, time, pattern));
            i = at;
        }
        return out.toString();
    }

    private static String directive(char d, boolean unpadded, ZonedDateTime t, String pattern) {
        int hour12 = t.getHour() % 12 == 0 ? 12 : t.getHour() % 12;
        return switch (d) {
            case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
            case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
            case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
            case 'd' -> number(t.getDayOfMonth(), 2, unpadded);
            case 'e' -> unpadded ? Integer.toString(t.getDayOfMonth()) : String.format("%2d", t.getDayOfMonth());
            case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
            case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
            case 'm' -> number(t.getMonthValue(), 2, unpadded);
            case 'y' -> number(t.getYear() % 100, 2, unpadded);
            case 'Y' -> Integer.toString(t.getYear());
            case 'H' -> number(t.getHour(), 2, unpadded);
            case 'I' -> number(hour12, 2, unpadded);
            case 'p' -> t.getHour() < 12 ? "AM" : "PM";
            case 'M' -> number(t.getMinute(), 2, unpadded);
            case 'S' -> number(t.getSecond(), 2, unpadded);
            case 'f' -> String.format("%06d", t.getNano() / 1000);
            case 'j' -> number(t.getDayOfYear(), 3, unpadded);
            case 'z' -> t.getOffset().getTotalSeconds() == 0 ? "+0000" : t.getOffset().getId().replace(":", "");
            case 'Z' -> t.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
            case 'F' -> String.format("%04d-%02d-%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth());
            case 'T' -> String.format("%02d:%02d:%02d", t.getHour(), t.getMinute(), t.getSecond());
            case '%' -> "%";
            default -> throw new IllegalArgumentException("strftime_now does not know the directive %" + d
                    + " (in '" + pattern + "')");
        };
    }

    private static String number(int value, int width, boolean unpadded) {
        return unpadded ? Integer.toString(value) : String.format("%0" + width + "d", value);
    }
}
