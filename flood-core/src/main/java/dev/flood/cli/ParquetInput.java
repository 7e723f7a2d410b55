package dev.flood.cli;

import dev.flood.api.FloodException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * A Parquet file's string column, read row by row. Only that column is decoded (the read schema is projected
 * to it); a null value becomes an item with an error.
 */
final class ParquetInput implements InputReader {

    private final ParquetReader<Group> reader;
    private final Path file;
    private final String field;
    private final long count;
    private long rowNumber;

    private ParquetInput(ParquetReader<Group> reader, Path file, String field, long count) {
        this.reader = reader;
        this.file = file;
        this.field = field;
        this.count = count;
    }

    /** @throws FloodException if the file has no such column or the column does not hold strings */
    static ParquetInput open(Path file, String field) throws IOException {
        LocalInputFile input = new LocalInputFile(file);
        MessageType schema;
        long count;
        try (ParquetFileReader footer = ParquetFileReader.open(input)) {
            schema = footer.getFooter().getFileMetaData().getSchema();
            count = footer.getRecordCount();
        } catch (RuntimeException e) {
            // parquet-hadoop reports a file that is not Parquet with a bare RuntimeException
            throw new FloodException("cannot read Parquet file " + file + ": " + e.getMessage(), e);
        }
        if (!schema.containsField(field)) {
            throw new FloodException(file + " has no column '" + field + "' (columns: "
                    + String.join(", ", schema.getFields().stream().map(Type::getName).toList()) + ")");
        }
        Type column = schema.getType(field);
        boolean isString = column.isPrimitive()
                && column.asPrimitiveType().getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY
                && !column.isRepetition(Type.Repetition.REPEATED)
                && (column.getLogicalTypeAnnotation() == null
                    || column.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation);
        if (!isString) {
            throw new FloodException(file + ": column '" + field + "' must hold strings, but it is " + column);
        }
        PlainParquetConfiguration conf = new PlainParquetConfiguration();
        conf.set(ReadSupport.PARQUET_READ_SCHEMA, new MessageType(schema.getName(), List.of(column)).toString());
        ParquetReader<Group> reader = new ParquetReader.Builder<Group>(input, conf) {
            @Override
            protected ReadSupport<Group> getReadSupport() {
                return new GroupReadSupport();
            }
        }.build();
        return new ParquetInput(reader, file, field, count);
    }

    @Override
    public InputItem next() throws IOException {
        Group row;
        try {
            row = reader.read();
        } catch (RuntimeException e) {
            throw new FloodException("cannot read row " + (rowNumber + 1) + " of " + file + ": " + e.getMessage(), e);
        }
        if (row == null) {
            return null;
        }
        rowNumber++;
        String location = "row " + rowNumber;
        if (row.getFieldRepetitionCount(field) == 0) {
            return InputItem.failed(location, "'" + field + "' is null");
        }
        return InputItem.of(location, row.getString(field, 0), null);
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
