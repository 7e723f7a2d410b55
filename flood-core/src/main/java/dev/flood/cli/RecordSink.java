package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;
import org.apache.parquet.schema.MessageType;

/**
 * Where a command's results go, one record per input in input order. A record is a JSON object; it is written
 * as a JSON line, as readable text, or as a Parquet row.
 */
interface RecordSink extends Closeable {

    void write(ObjectNode record) throws IOException;

    /**
     * The sink the options ask for: Parquet when {@code --output} ends in {@code .parquet}; JSON Lines with
     * {@code --json} or when {@code --output} ends in {@code .jsonl}; otherwise {@code plain} text. Without
     * {@code --output} records go to the command's standard output.
     *
     * @param schema the Parquet schema of a record
     * @param plain  the readable text of a record
     */
    static RecordSink open(ParsedArgs args, Streams streams, MessageType schema, Function<JsonNode, String> plain)
            throws IOException {
        Path output = args.path("output");
        String name = output == null ? "" : output.getFileName().toString();
        if (name.endsWith(".parquet")) {
            return ParquetSink.create(output, schema);
        }
        Function<JsonNode, String> format = args.flag("json") || name.endsWith(".jsonl") ? TextSink::json : plain;
        return output == null ? TextSink.toStream(streams.out(), format) : TextSink.toFile(output, format);
    }
}
