package dev.flood.cli;

import dev.flood.api.FloodException;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.MessageType;

/**
 * One Parquet file, read row by row with every column. Its footer (schema and row count) is read on
 * {@link #open}; the rows from the first {@link #next()}, so that a folder of many files holds one open at a time.
 */
final class ParquetInput implements InputReader {

    private final Path file;
    private final InputFiles input;
    private final MessageType schema;
    private final long count;
    private ParquetReader<Group> reader;
    private long rowNumber;

    private ParquetInput(Path file, InputFiles input, MessageType schema, long count) {
        this.file = file;
        this.input = input;
        this.schema = schema;
        this.count = count;
    }

    /**
     * Reads the footer of {@code file}, one of {@code input}'s files.
     *
     * @throws FloodException when the file is not Parquet
     */
    static ParquetInput open(Path file, InputFiles input) throws IOException {
        try (ParquetFileReader footer = ParquetFileReader.open(new LocalInputFile(file))) {
            return new ParquetInput(file, input, footer.getFooter().getFileMetaData().getSchema(),
                    footer.getRecordCount());
        } catch (RuntimeException e) {
            // parquet-hadoop reports a file that is not Parquet with a bare RuntimeException
            throw new FloodException("cannot read Parquet file " + file + ": " + e.getMessage(), e);
        }
    }

    Path file() {
        return file;
    }

    /** The file's columns with their types. */
    MessageType schema() {
        return schema;
    }

    @Override
    public InputRow next() throws IOException {
        Group row;
        try {
            if (reader == null) {
                reader = new ParquetReader.Builder<Group>(new LocalInputFile(file), new PlainParquetConfiguration()) {
                    @Override
                    protected ReadSupport<Group> getReadSupport() {
                        return new GroupReadSupport();
                    }
                }.build();
            }
            row = reader.read();
        } catch (RuntimeException e) {
            throw new FloodException("cannot read row " + (rowNumber + 1) + " of " + file + ": " + e.getMessage(), e);
        }
        if (row == null) {
            return null;
        }
        rowNumber++;
        return InputRow.of(input.location(file, "row " + rowNumber), new ParquetColumns(row));
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public void close() throws IOException {
        if (reader != null) {
            reader.close();
        }
    }
}
