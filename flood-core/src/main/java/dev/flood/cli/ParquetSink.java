package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Records written as rows of a Parquet file (Snappy-compressed). A JSON record maps onto the schema by name:
 * primitive fields from JSON scalars, {@code LIST}-annotated groups (the standard three-level layout
 * {@code group (LIST) { repeated group list { element } }}) from JSON arrays, other groups from JSON objects.
 * A JSON null or missing field leaves an optional field null.
 */
final class ParquetSink implements RecordSink {

    private final ParquetWriter<Group> writer;
    private final GroupType schema;

    private ParquetSink(ParquetWriter<Group> writer, GroupType schema) {
        this.writer = writer;
        this.schema = schema;
    }

    static ParquetSink create(Path file, MessageType schema) throws IOException {
        ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withType(schema)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build();
        return new ParquetSink(writer, schema);
    }

    @Override
    public void write(ObjectNode record) throws IOException {
        Group row = new SimpleGroup(schema);
        fill(row, schema, record);
        writer.write(row);
    }

    private static void fill(Group group, GroupType type, JsonNode object) {
        for (Type field : type.getFields()) {
            JsonNode value = object.get(field.getName());
            if (value == null || value.isNull()) {
                if (field.isRepetition(Type.Repetition.REQUIRED)) {
                    throw new IllegalStateException("record has no value for required column " + field.getName());
                }
            } else if (field.isPrimitive()) {
                append(group, field, value);
            } else if (field.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation) {
                Group list = group.addGroup(field.getName());
                GroupType repeated = field.asGroupType().getType(0).asGroupType();
                Type element = repeated.getType(0);
                for (JsonNode item : value) {
                    Group entry = list.addGroup(repeated.getName());
                    if (element.isPrimitive()) {
                        append(entry, element, item);
                    } else {
                        fill(entry.addGroup(element.getName()), element.asGroupType(), item);
                    }
                }
            } else {
                fill(group.addGroup(field.getName()), field.asGroupType(), value);
            }
        }
    }

    private static void append(Group group, Type field, JsonNode value) {
        String name = field.getName();
        switch (field.asPrimitiveType().getPrimitiveTypeName()) {
            case INT32 -> group.append(name, value.intValue());
            case INT64 -> group.append(name, value.longValue());
            case DOUBLE -> group.append(name, value.doubleValue());
            case FLOAT -> group.append(name, value.floatValue());
            case BOOLEAN -> group.append(name, value.booleanValue());
            case BINARY -> group.append(name, value.asText());
            default -> throw new IllegalStateException("column " + name + " has a type records do not use: " + field);
        }
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
