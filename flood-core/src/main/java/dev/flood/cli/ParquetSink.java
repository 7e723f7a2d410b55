package dev.flood.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroup;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;

/**
 * Records written as rows of one Snappy-compressed Parquet file: the input's columns with their types (a Parquet
 * input's values copied as they are), then the result columns, filled from the result record by
 * {@link JsonToParquet}.
 */
final class ParquetSink implements RecordSink {

    private final ParquetWriter<Group> writer;
    private final MessageType schema;
    private final MessageType inputColumns;
    private final OutputColumns columns;

    private ParquetSink(ParquetWriter<Group> writer, MessageType schema, MessageType inputColumns,
                        OutputColumns columns) {
        this.writer = writer;
        this.schema = schema;
        this.inputColumns = inputColumns;
        this.columns = columns;
    }

    /** @param inputColumns the input's columns with their types, the output's first columns */
    static ParquetSink create(Path file, MessageType inputColumns, OutputColumns columns) throws IOException {
        MessageType schema = columns.parquet(inputColumns);
        ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withType(schema)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build();
        return new ParquetSink(writer, schema, inputColumns, columns);
    }

    @Override
    public void write(RowPrompt item, ObjectNode result) throws IOException {
        Group record = new SimpleGroup(schema);
        if (item.row().columns() != null) {
            item.row().columns().writeTo(record, inputColumns);
        }
        columns.fill(record, inputColumns.getFieldCount(), result);
        writer.write(record);
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
