package dev.flood.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * The decimal spellings (no leading zeros, no {@code -0}) of the integers in {@code [lo, hi]}, as a
 * {@link Regular}: the range is cut at each digit count, and each same-length range into a prefix shared by
 * both ends, then a first digit strictly between theirs followed by any digits, and the two edges recursively.
 */
final class IntegerRange {

    /** Bounds must lie within ±(10^18 - 1), the integers {@link JsonText#integer()} can spell. */
    static final long LIMIT = 999_999_999_999_999_999L;

    private IntegerRange() {
    }

    static Regular of(long lo, long hi) {
        if (lo < -LIMIT || hi > LIMIT || lo > hi) {
            throw new IllegalArgumentException("integer range [" + lo + ", " + hi + "] is empty or too wide");
        }
        List<Regular> options = new ArrayList<>();
        if (lo < 0) {
            long negativeFrom = hi < 0 ? -hi : 1;
            options.add(Regular.seq(Regular.text("-"), naturals(negativeFrom, -lo)));
        }
        if (hi >= 0) {
            options.add(naturals(Math.max(0, lo), hi));
        }
        return Regular.anyOf(options);
    }

    /** Non-negative integers in [lo, hi]. */
    private static Regular naturals(long lo, long hi) {
        List<Regular> options = new ArrayList<>();
        for (int digits = Long.toString(lo).length(); digits <= Long.toString(hi).length(); digits++) {
            long smallest = digits == 1 ? 0 : pow10(digits - 1);
            long largest = pow10(digits) - 1;
            long from = Math.max(lo, smallest);
            long to = Math.min(hi, largest);
            if (from <= to) {
                options.add(sameLength(Long.toString(from), Long.toString(to)));
            }
        }
        return Regular.anyOf(options);
    }

    /** Numbers spelled with exactly as many digits as {@code lo} and {@code hi} (equal lengths), lo <= hi. */
    private static Regular sameLength(String lo, String hi) {
        int n = lo.length();
        char first = lo.charAt(0);
        char last = hi.charAt(0);
        if (n == 1) {
            return digits(first, last);
        }
        String loRest = lo.substring(1);
        String hiRest = hi.substring(1);
        if (first == last) {
            return Regular.seq(Regular.text(String.valueOf(first)), sameLength(loRest, hiRest));
        }
        if (loRest.chars().allMatch(c -> c == '0') && hiRest.chars().allMatch(c -> c == '9')) {
            return Regular.seq(digits(first, last), anyDigits(n - 1));
        }
        List<Regular> options = new ArrayList<>();
        options.add(Regular.seq(Regular.text(String.valueOf(first)), sameLength(loRest, "9".repeat(n - 1))));
        if (last - first >= 2) {
            options.add(Regular.seq(digits((char) (first + 1), (char) (last - 1)), anyDigits(n - 1)));
        }
        options.add(Regular.seq(Regular.text(String.valueOf(last)), sameLength("0".repeat(n - 1), hiRest)));
        return Regular.anyOf(options);
    }

    private static Regular digits(char from, char to) {
        return Regular.chars(CharClass.range(from, to));
    }

    private static Regular anyDigits(int count) {
        return new Regular.Repeat(digits('0', '9'), count, count);
    }

    private static long pow10(int exponent) {
        long value = 1;
        for (int i = 0; i < exponent; i++) {
            value *= 10;
        }
        return value;
    }
}
