package dev.flood.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;

/** Writing Parquet inputs and reading outputs back in the command-line tests, with parquet-hadoop's example API. */
final class ParquetFiles {

    private ParquetFiles() {
    }

    static void write(Path file, MessageType schema, List<Group> rows) throws IOException {
        write(file, schema, rows, Map.of());
    }

    /** @param metadata the footer's key-value metadata (Spark writes its schema there) */
    static void write(Path file, MessageType schema, List<Group> rows, Map<String, String> metadata)
            throws IOException {
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration()).withType(schema).withExtraMetaData(metadata)
                .withCompressionCodec(CompressionCodecName.SNAPPY).build()) {
            for (Group row : rows) {
                writer.write(row);
            }
        }
    }

    static List<Group> read(Path file) throws IOException {
        List<Group> rows = new ArrayList<>();
        try (ParquetReader<Group> reader = new ParquetReader.Builder<Group>(new LocalInputFile(file),
                new PlainParquetConfiguration()) {
            @Override
            protected ReadSupport<Group> getReadSupport() {
                return new GroupReadSupport();
            }
        }.build()) {
            for (Group row; (row = reader.read()) != null; ) {
                rows.add(row);
            }
        }
        return rows;
    }

    static MessageType schema(Path file) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file))) {
            return reader.getFooter().getFileMetaData().getSchema();
        }
    }
}
