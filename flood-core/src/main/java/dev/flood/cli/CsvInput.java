package dev.flood.cli;

import dev.flood.api.FloodException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.csv.DuplicateHeaderMode;

/**
 * One CSV (or TSV) file with a header line, parsed by Apache Commons CSV: RFC 4180 quoting (a quoted value may
 * hold the delimiter, quotes and line breaks), blank lines skipped. Each record is a row whose columns are the
 * header's names; a record with more or fewer values than the header becomes a row with an error. A file whose
 * quoting is broken cannot be split into records reliably and fails as a whole, when it is opened.
 */
final class CsvInput implements InputReader {

    private final Path file;
    private final InputFiles input;
    private final CSVFormat format;
    private final List<String> header;
    private final long count;
    private CSVParser parser;
    private Iterator<CSVRecord> records;
    private long rowNumber;

    private CsvInput(Path file, InputFiles input, CSVFormat format, List<String> header, long count) {
        this.file = file;
        this.input = input;
        this.format = format;
        this.header = header;
        this.count = count;
    }

    /**
     * Reads the header and counts the records of {@code file}, one of {@code input}'s files.
     *
     * @throws FloodException when the file has no header, a header name is empty or repeated, or the quoting is
     *                        broken
     */
    static CsvInput open(Path file, InputFiles input) throws IOException {
        CSVFormat format = CSVFormat.RFC4180.builder()
                .setDelimiter(input.format() == InputFormat.TSV ? '\t' : ',')
                .setHeader()
                .setSkipHeaderRecord(true)
                .setIgnoreEmptyLines(true)
                .setAllowMissingColumnNames(false)
                .setDuplicateHeaderMode(DuplicateHeaderMode.DISALLOW)
                .get();
        try (BufferedReader reader = TextFiles.open(file); CSVParser counter = CSVParser.parse(reader, format)) {
            List<String> header = List.copyOf(counter.getHeaderNames());
            if (header.isEmpty()) {
                throw new FloodException(file + " is empty: a " + input.format().optionName()
                        + " input starts with a header line naming its columns");
            }
            long count = counter.stream().count();
            return new CsvInput(file, input, format, header, count);
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            throw failure(file, e);
        }
    }

    /** Commons CSV reports a read error unchecked, the wrapped cause saying what it was. */
    private static FloodException failure(Path file, RuntimeException e) {
        if (e.getCause() instanceof CharacterCodingException coding) {
            return TextFiles.notUtf8(file, coding);
        }
        return new FloodException("cannot read " + file + ": " + e.getMessage(), e);
    }

    /** The column names of the header line. */
    List<String> header() {
        return header;
    }

    Path file() {
        return file;
    }

    @Override
    public InputRow next() throws IOException {
        CSVRecord record;
        try {
            if (records == null) {
                parser = CSVParser.parse(TextFiles.open(file), format);
                records = parser.iterator();
            }
            if (!records.hasNext()) {
                return null;
            }
            record = records.next();
        } catch (IllegalStateException | UncheckedIOException e) {
            throw failure(file, e);
        }
        rowNumber++;
        String location = input.location(file, "row " + rowNumber);
        if (record.size() != header.size()) {
            return InputRow.unreadable(location, "has " + record.size() + " values, the header has " + header.size());
        }
        return InputRow.of(location, new CsvColumns(header, record.toList()));
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public void close() throws IOException {
        if (parser != null) {
            parser.close();
        }
    }
}
