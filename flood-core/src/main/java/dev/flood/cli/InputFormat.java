package dev.flood.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The formats {@code --input} reads, each known by its file-name extensions or named with {@code --input-format}.
 * The text formats may be gzip-compressed: {@code prompts.jsonl.gz} is JSON Lines.
 */
enum InputFormat {
    /** One JSON object per line; {@code .json} too, as Spark's {@code df.write.json} names its part files. */
    JSONL(List.of(".jsonl", ".ndjson", ".json")),
    PARQUET(List.of(".parquet")),
    /** Comma-separated values with a header line (RFC 4180 quoting). */
    CSV(List.of(".csv")),
    /** Tab-separated values with a header line, quoted as CSV. */
    TSV(List.of(".tsv"));

    private static final String GZIP = ".gz";

    private final List<String> extensions;

    InputFormat(List<String> extensions) {
        this.extensions = extensions;
    }

    /** The name {@code --input-format} takes, e.g. {@code jsonl}. */
    String optionName() {
        return name().toLowerCase(Locale.ROOT);
    }

    boolean isText() {
        return this != PARQUET;
    }

    /** The format of a file, from its name; null when the extension is not one of ours. */
    static InputFormat ofFileName(String fileName) {
        String name = fileName.toLowerCase(Locale.ROOT);
        boolean gzip = name.endsWith(GZIP);
        if (gzip) {
            name = name.substring(0, name.length() - GZIP.length());
        }
        for (InputFormat format : values()) {
            if (format.extensions.stream().anyMatch(name::endsWith) && (format.isText() || !gzip)) {
                return format;
            }
        }
        return null;
    }

    /** Whether a file of this format is gzip-compressed, by its name. */
    static boolean isGzip(String fileName) {
        return fileName.toLowerCase(Locale.ROOT).endsWith(GZIP);
    }

    /** The value of {@code --input-format}. */
    static InputFormat parse(String value) throws UsageException {
        for (InputFormat format : values()) {
            if (format.optionName().equals(value.toLowerCase(Locale.ROOT))) {
                return format;
            }
        }
        throw new UsageException("--input-format must be one of " + names() + "; got '" + value + "'");
    }

    /** {@code jsonl, parquet, csv, tsv}. */
    static String names() {
        return Arrays.stream(values()).map(InputFormat::optionName).collect(Collectors.joining(", "));
    }

    /** Every known extension, for messages: {@code .jsonl, .ndjson, .json, .parquet, .csv, .tsv}. */
    static String extensions() {
        return Arrays.stream(values()).flatMap(f -> f.extensions.stream()).collect(Collectors.joining(", "));
    }
}
