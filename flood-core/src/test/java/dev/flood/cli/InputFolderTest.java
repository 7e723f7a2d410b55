package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.NanoTime;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --input FOLDER}: Spark's output layout read as one input, in file-name order; what cannot be read is said. */
class InputFolderTest {

    static final String LLAMA = Fixtures.model("tiny-llama").toString();

    /** The schema Spark 4 writes for {@code (id bigint, prompt string, at timestamp)}: INT96 timestamps, by default. */
    static final MessageType SPARK_SCHEMA = MessageTypeParser.parseMessageType("""
            message spark_schema {
              optional int64 id;
              optional binary prompt (STRING);
              optional int96 at;
            }
            """);
    /** The Spark schema Spark keeps in the footer, read back by Spark and ignored by other readers. */
    static final Map<String, String> SPARK_METADATA = Map.of(
            "org.apache.spark.version", "4.1.3",
            "org.apache.spark.sql.parquet.row.metadata", "{\"type\":\"struct\",\"fields\":["
                    + "{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
                    + "{\"name\":\"prompt\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
                    + "{\"name\":\"at\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{}}]}");

    @TempDir
    Path temp;

    /**
     * The layout of {@code df.write.parquet(dir)}: one snappy part file per task (one of them empty, as an empty
     * partition gives), a {@code _SUCCESS} marker and a {@code .crc} checksum beside each file. Part files are
     * created out of order here, so that reading in name order is what puts the rows in order.
     */
    @Test
    void readsASparkWrittenParquetFolderInFileNameOrder() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("prompts.parquet"));
        String uuid = "6f1c2e3a-8b7d-4c1e-9f00-1a2b3c4d5e6f";
        writeSparkPart(dir.resolve("part-00002-" + uuid + "-c000.snappy.parquet"), List.of(4L, 5L));
        writeSparkPart(dir.resolve("part-00000-" + uuid + "-c000.snappy.parquet"), List.of(0L, 1L, 2L));
        writeSparkPart(dir.resolve("part-00001-" + uuid + "-c000.snappy.parquet"), List.of());
        writeSparkPart(dir.resolve("part-00003-" + uuid + "-c000.snappy.parquet"), List.of(6L));
        Files.writeString(dir.resolve("_SUCCESS"), "");
        for (String part : List.of("00000", "00001", "00002", "00003")) {
            Files.write(dir.resolve(".part-" + part + "-" + uuid + "-c000.snappy.parquet.crc"), new byte[] {1, 2, 3});
        }
        Files.writeString(dir.resolve("._SUCCESS.crc"), "crc");

        Path output = temp.resolve("out.parquet");
        Cli run = Cli.run("generate", "--model", LLAMA, "--input", dir.toString(), "--output", output.toString(),
                "--max-tokens", "2", "--ignore-eos", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        List<Group> rows = ParquetFiles.read(output);
        assertEquals(List.of(0L, 1L, 2L, 4L, 5L, 6L), rows.stream().map(r -> r.getLong("id", 0)).toList());
        for (Group row : rows) {
            long id = row.getLong("id", 0);
            assertEquals(id == 5 ? 0 : 1, row.getFieldRepetitionCount("prompt"));
            assertEquals(timestamp(id).toBinary(), row.getInt96("at", 0), "INT96 kept as it is, row " + id);
            assertEquals(id == 5 ? "error" : "length", row.getString("finish_reason", 0));
        }
        assertEquals("part-00002-" + uuid + "-c000.snappy.parquet row 2: 'prompt' is null",
                rows.get(4).getString("error", 0), "rows of a folder are located by file and row");
        assertEquals(SPARK_SCHEMA.getFields(), ParquetFiles.schema(output).getFields().subList(0, 3));
    }

    @Test
    void readsAFolderOfJsonLinesAsSparkWritesThem() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("prompts.json"));
        Files.write(dir.resolve("part-00001-x.json"), List.of("{\"id\":2,\"prompt\":\"Hi\"}"), StandardCharsets.UTF_8);
        Files.write(dir.resolve("part-00000-x.json"), List.of("{\"id\":0,\"prompt\":\"Hello\"}", "{\"id\":1}"),
                StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("_SUCCESS"), "");
        Cli run = Cli.run("generate", "--model", LLAMA, "--input", dir.toString(), "--json", "--max-tokens", "2",
                "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        assertEquals(List.of(0, 1, 2), lines.stream().map(l -> l.get("id").asInt()).toList());
        assertEquals("part-00000-x.json line 2: no 'prompt' field", lines.get(1).get("error").asText());
        assertTrue(run.err().contains("generate: prompts 3, failed 1,"), run.err());
    }

    @Test
    void aFolderWithoutDataFilesSaysWhatItHolds() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("out.parquet"));
        Files.writeString(dir.resolve("_SUCCESS"), "");
        Files.writeString(dir.resolve("._SUCCESS.crc"), "");
        Files.createDirectories(dir.resolve("_temporary"));
        Cli run = Cli.run("generate", "--model", LLAMA, "--input", dir.toString());
        assertEquals(1, run.exitCode(), run.describe());
        assertEquals("flood generate: error: " + dir + " holds no data files, only ._SUCCESS.crc, _SUCCESS, _temporary/"
                + " (names starting with _ or . are not data)\n", run.err());

        Path empty = Files.createDirectories(temp.resolve("empty"));
        Cli none = Cli.run("generate", "--model", LLAMA, "--input", empty.toString());
        assertEquals(1, none.exitCode(), none.describe());
        assertEquals("flood generate: error: " + empty + " is an empty folder\n", none.err());
    }

    @Test
    void partitionedLayoutsMixedFormatsAndUnknownFilesAreRefused() throws IOException {
        Path partitioned = Files.createDirectories(temp.resolve("by-year"));
        Files.createDirectories(partitioned.resolve("year=2024"));
        Files.createDirectories(partitioned.resolve("year=2025"));
        Cli subfolders = Cli.run("generate", "--model", LLAMA, "--input", partitioned.toString());
        assertEquals(1, subfolders.exitCode(), subfolders.describe());
        assertTrue(subfolders.err().contains(partitioned + " has subfolders (year=2024/, year=2025/): --input reads the"
                + " files of one folder, not a partitioned layout"), subfolders.err());

        Path mixed = Files.createDirectories(temp.resolve("mixed"));
        Files.writeString(mixed.resolve("a.jsonl"), "{\"prompt\":\"Hello\"}\n");
        Files.writeString(mixed.resolve("b.csv"), "prompt\nHello\n");
        Cli formats = Cli.run("generate", "--model", LLAMA, "--input", mixed.toString());
        assertEquals(1, formats.exitCode(), formats.describe());
        assertTrue(formats.err().contains(mixed + " mixes formats (jsonl, csv)"), formats.err());

        Path unknown = Files.createDirectories(temp.resolve("unknown"));
        Files.writeString(unknown.resolve("part-00000"), "{\"prompt\":\"Hello\"}\n");
        Cli usage = Cli.run("generate", "--model", LLAMA, "--input", unknown.toString());
        assertEquals(2, usage.exitCode(), usage.describe());
        assertTrue(usage.err().contains(unknown + " holds files of no known format (part-00000; known: .jsonl, .ndjson,"
                + " .json, .parquet, .csv, .tsv); give --input-format jsonl, parquet, csv, tsv"), usage.err());
        Cli told = Cli.run("generate", "--model", LLAMA, "--input", unknown.toString(), "--input-format", "jsonl",
                "--json", "--max-tokens", "2", "--threads", "2");
        assertEquals(0, told.exitCode(), told.describe());
        assertEquals(1, told.jsonLines().size());
    }

    @Test
    void filesOfOneFolderMustHaveTheSameColumns() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("drift"));
        writeSparkPart(dir.resolve("part-00000.parquet"), List.of(0L));
        MessageType other = MessageTypeParser.parseMessageType(
                "message spark_schema { optional int32 id; optional binary prompt (STRING); }");
        ParquetFiles.write(dir.resolve("part-00001.parquet"), other,
                List.of(new SimpleGroupFactory(other).newGroup().append("id", 1).append("prompt", "Hi")));
        Cli run = Cli.run("generate", "--model", LLAMA, "--input", dir.toString());
        assertEquals(1, run.exitCode(), run.describe());
        assertEquals("flood generate: error: " + dir.resolve("part-00001.parquet") + " has other columns than "
                + "part-00000.parquet: id int32, prompt binary (STRING) against id int64, prompt binary (STRING), "
                + "at int96; a folder's files must have the same columns\n", run.err());
    }

    /** A part file of rows {@code ids}; row 5's prompt is null. */
    private static void writeSparkPart(Path file, List<Long> ids) throws IOException {
        SimpleGroupFactory factory = new SimpleGroupFactory(SPARK_SCHEMA);
        List<Group> rows = new ArrayList<>();
        for (long id : ids) {
            Group row = factory.newGroup().append("id", id).append("at", timestamp(id));
            if (id != 5) {
                row.append("prompt", "prompt " + id);
            }
            rows.add(row);
        }
        ParquetFiles.write(file, SPARK_SCHEMA, rows, SPARK_METADATA);
    }

    private static NanoTime timestamp(long id) {
        return new NanoTime(2_460_000 + (int) id, id * 1_000_000_000L);
    }
}
