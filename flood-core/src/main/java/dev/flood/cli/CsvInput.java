package dev.flood.cli;

import dev.flood.api.FloodException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * One CSV (or TSV) file with a header line, parsed by Apache Commons CSV: RFC 4180 quoting (a quoted value may
 * hold the delimiter, quotes and line breaks), blank lines skipped. Each record is a row whose columns are the
 * header's names; a record with more or fewer values than the header becomes a row with an error. A file whose
 * quoting is broken cannot be split into records reliably and fails as a whole, when it is opened (before any row
 * runs), with the line where the quoting breaks.
 */
final class CsvInput implements InputReader {

    /** Commons CSV's words for broken quoting (1.14), put in a user's terms; anything else is passed on as it is. */
    private static final Pattern UNCLOSED =
            Pattern.compile("\\(startline ([\\d,]*\\d)\\) EOF reached before encapsulated token finished");
    private static final Pattern TEXT_AFTER_QUOTE =
            Pattern.compile("Invalid character between encapsulated token and delimiter at line: ([\\d,]*\\d).*");

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
        // the header is read as a plain record, so that its names are checked here with messages of our own
        CSVFormat format = CSVFormat.RFC4180.builder()
                .setDelimiter(input.format() == InputFormat.TSV ? '\t' : ',')
                .setIgnoreEmptyLines(true)
                .get();
        try (BufferedReader reader = TextFiles.open(file); CSVParser counter = CSVParser.parse(reader, format)) {
            Iterator<CSVRecord> records = counter.iterator();
            if (!records.hasNext()) {
                throw new FloodException(file + " is empty: a " + input.format().optionName()
                        + " input starts with a header line naming its columns");
            }
            List<String> header = checkedHeader(file, records.next().toList());
            long count = 0;
            while (records.hasNext()) {
                records.next();
                count++;
            }
            return new CsvInput(file, input, format, header, count);
        } catch (IllegalStateException | UncheckedIOException e) {
            throw failure(file, e);
        }
    }

    /** The header's names, each present and none repeated: they become the rows' column names. */
    private static List<String> checkedHeader(Path file, List<String> names) {
        Map<String, Integer> columns = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (name.isEmpty()) {
                throw new FloodException(file + ": column " + (i + 1) + " of the header line has no name (header: "
                        + String.join(",", names) + ")");
            }
            Integer earlier = columns.putIfAbsent(name, i + 1);
            if (earlier != null) {
                throw new FloodException(file + ": the header line names two columns '" + name + "' (columns "
                        + earlier + " and " + (i + 1) + "); each column needs a name of its own");
            }
        }
        return List.copyOf(names);
    }

    /** Commons CSV reports a read error unchecked, the wrapped cause saying what it was. */
    private static FloodException failure(Path file, RuntimeException e) {
        if (e.getCause() instanceof CharacterCodingException coding) {
            return TextFiles.notUtf8(file, coding);
        }
        String message = e.getCause() instanceof CSVException csv ? csv.getMessage() : e.getMessage();
        Matcher unclosed = UNCLOSED.matcher(message);
        if (unclosed.matches()) {
            return new FloodException(file + ": the quoted value that starts on line " + unclosed.group(1)
                    + " is never closed, so the rows cannot be told apart; no row was run", e);
        }
        Matcher textAfterQuote = TEXT_AFTER_QUOTE.matcher(message);
        if (textAfterQuote.matches()) {
            return new FloodException(file + ": line " + textAfterQuote.group(1) + " has text after the closing"
                    + " quote of a value (a quote inside a quoted value is written twice: \"\"), so the rows cannot be"
                    + " told apart; no row was run", e);
        }
        return new FloodException("cannot read " + file + ": " + message, e);
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
                records.next();  // the header, read by open
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
