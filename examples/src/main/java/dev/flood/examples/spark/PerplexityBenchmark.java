package dev.flood.examples.spark;

import static dev.flood.spark.FloodFunctions.flood_perplexity;
import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.FloodEngine;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import dev.flood.spark.FloodSettings;
import dev.flood.spark.runtime.EngineRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * {@code flood_perplexity}'s cost against the engine's own scoring (a benchmark, not a test): the same texts,
 * with the same engine settings (the session conf: {@code --conf spark.flood.backend=cuda} and so on), scored by
 * {@code engine.score} and by {@code flood_perplexity} in a local Spark session (rows collected to the driver).
 * Both use the one engine this JVM's registry holds, so the figures differ only by the connector. After one untimed
 * round of each, rounds alternate; prints text tokens per second of each round, the medians and the median
 * ratio. {@code --texts-out FILE.jsonl} also writes the texts, for {@code flood score --input FILE.jsonl}.
 */
public final class PerplexityBenchmark {

    private static final String USAGE = "PerplexityBenchmark [--model DIR] [--texts 1024] [--rounds 3] "
            + "[--master local[2]] [--texts-out FILE.jsonl] [--conf KEY=VALUE,KEY=VALUE]";
    /** Words texts are made of: common English words, so that a word is about one token of an English BPE. */
    private static final String[] WORDS = ("the of and to in a is that for it as was with be by on not he this are "
            + "or his from at which but have an they you were her she there been one all we their has would when "
            + "if so no will more out up into do any your what can some time could them other than then now only "
            + "its my over also new our two may first after these way many well because should people very long "
            + "great little world still own under never last while where most same good through those such day "
            + "sea ship whale water land house night hand eyes work life state country government year man").split(" ");

    private PerplexityBenchmark() {
    }

    public static void main(String[] args) {
        ExampleArgs options = ExampleArgs.parse(USAGE, args);
        int numTexts = options.integer("texts", 1024);
        int rounds = options.integer("rounds", 3);
        SparkSession spark = LocalSpark.start("flood-perplexity-benchmark", options.optional("master", "local[2]"),
                options.model(), LocalSpark.Registration.EXTENSIONS);
        for (String setting : options.optional("conf", "").split(",")) {
            if (!setting.isBlank()) {
                spark.conf().set(setting.substring(0, setting.indexOf('=')), setting.substring(setting.indexOf('=') + 1));
            }
        }
        Map<String, String> call = new HashMap<>(Map.of("output", "struct"));
        FloodSettings settings = FloodSettings.resolve(CollectionConverters.asJava(spark.conf().getAll()), call);
        List<String> texts = texts(numTexts);
        if (options.optional("texts-out", null) != null) {
            writeJsonLines(Path.of(options.required("texts-out")), texts);
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            rows.add(RowFactory.create(i, texts.get(i)));
        }
        Dataset<Row> scored = spark.createDataFrame(rows,
                        new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType))
                .withColumn("out", flood_perplexity(col("text"), call))
                .select(col("id"), col("out.tokens"), col("out.error"));

        double[] direct = new double[rounds];
        double[] connector = new double[rounds];
        double[] ratios = new double[rounds];
        try (EngineRegistry.Lease lease = EngineRegistry.shared().acquire(settings.engineConfig(List.of()))) {
            FloodEngine engine = lease.engine();
            System.out.printf("%d texts, %s, %d partitions%n", numTexts, settings, scored.javaRDD().getNumPartitions());
            // one untimed round of each warms the JIT and the GPU and generates Spark's code
            directRound(engine, texts, settings);
            connectorRound(scored);
            for (int r = 0; r < rounds; r++) {
                direct[r] = directRound(engine, texts, settings);
                connector[r] = connectorRound(scored);
                ratios[r] = connector[r] / direct[r];
                System.out.printf("round %d: engine.score %.0f tokens/s, flood_perplexity %.0f tokens/s, ratio %.3f%n",
                        r, direct[r], connector[r], ratios[r]);
            }
            System.out.printf("engines opened in this JVM: %d (1: both sides used the same engine)%n",
                    EngineRegistry.shared().opened());
        }
        System.out.printf("median: engine.score %.0f tokens/s, flood_perplexity %.0f tokens/s; median ratio %.3f%n",
                median(direct), median(connector), median(ratios));
        spark.stop();
    }

    /** Text tokens scored per second by the engine itself, every text submitted at once. */
    private static double directRound(FloodEngine engine, List<String> texts, FloodSettings settings) {
        long start = System.nanoTime();
        List<CompletableFuture<ScoreResult>> futures = texts.stream()
                .map(t -> engine.submitScore(ScoreRequest.of(t, settings.scoring()))).toList();
        long tokens = 0;
        for (CompletableFuture<ScoreResult> future : futures) {
            ScoreResult result = future.join();
            if (result.isError()) {
                throw new IllegalStateException("a text failed: " + result.error());
            }
            tokens += result.tokens();
        }
        return tokens / ((System.nanoTime() - start) / 1e9);
    }

    /** Text tokens scored per second by one Spark job over all rows, collected to the driver. */
    private static double connectorRound(Dataset<Row> scored) {
        long start = System.nanoTime();
        long tokens = 0;
        for (Row row : scored.collectAsList()) {
            if (!row.isNullAt(2)) {
                throw new IllegalStateException("row " + row.getInt(0) + " failed: " + row.getString(2));
            }
            tokens += row.getInt(1);
        }
        return tokens / ((System.nanoTime() - start) / 1e9);
    }

    /** Deterministic texts of 8 to 800 common words (mean about 400: a few hundred tokens). */
    private static List<String> texts(int count) {
        Random random = new Random(42);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder text = new StringBuilder();
            int words = 8 + random.nextInt(793);
            for (int w = 0; w < words; w++) {
                text.append(w == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
            }
            texts.add(text.append('.').toString());
        }
        return texts;
    }

    private static void writeJsonLines(Path file, List<String> texts) {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (String text : texts) {
            lines.add(json.createObjectNode().put("text", text).toString());
        }
        try {
            Files.write(file, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
