package dev.flood.examples.spark;

import static dev.flood.spark.FloodFunctions.flood_generate;
import static org.apache.spark.sql.functions.col;

import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.spark.FloodSettings;
import dev.flood.spark.RowSeeds;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The connector's cost (a benchmark, not a test): the same prompts, with the same settings and row seeds, through
 * an engine opened directly ({@code engine.generate}) and through {@code flood_generate} in a local Spark session
 * (one partition per task slot, rows collected to the driver). Every request generates exactly max-tokens tokens
 * (ignore_eos), so both sides produce the same number of tokens; prints generated tokens per second of each
 * round, the medians and their ratio.
 */
public final class ConnectorOverheadBenchmark {

    private static final String USAGE = "ConnectorOverheadBenchmark --model DIR [--prompts 256] [--max-tokens 32] "
            + "[--rounds 3] [--threads N] [--master local[2]]";

    private ConnectorOverheadBenchmark() {
    }

    public static void main(String[] args) {
        ExampleArgs options = ExampleArgs.parse(USAGE, args);
        int numPrompts = options.integer("prompts", 256);
        int rounds = options.integer("rounds", 3);
        SparkSession spark = LocalSpark.start("flood-connector-benchmark", options.optional("master", "local[2]"),
                options.required("model"), LocalSpark.Registration.EXTENSIONS);
        if (options.optional("threads", null) != null) {
            spark.conf().set("spark.flood.threads", options.required("threads"));
        }
        Map<String, String> call = new HashMap<>(Map.of("max_tokens", options.optional("max-tokens", "32"),
                "ignore_eos", "true", "temperature", "0.8", "top_p", "0.95", "output", "struct"));
        FloodSettings settings = FloodSettings.resolve(CollectionConverters.asJava(spark.conf().getAll()), call);

        List<String> prompts = prompts(numPrompts);
        List<GenerateRequest> requests = prompts.stream().map(p -> GenerateRequest.of(p,
                settings.sampling().toBuilder().seed(RowSeeds.seed(settings, p)).build())).toList();
        double[] direct = new double[rounds];
        try (FloodEngine engine = FloodEngine.open(settings.engineConfig(List.of()))) {
            engine.generate(requests.subList(0, Math.min(16, requests.size())));
            for (int r = 0; r < rounds; r++) {
                long start = System.nanoTime();
                long tokens = engine.generate(requests).stream().mapToLong(GenerationResult::completionTokens).sum();
                direct[r] = tokens / ((System.nanoTime() - start) / 1e9);
                System.out.printf("direct round %d: %d tokens, %.0f tok/s%n", r, tokens, direct[r]);
            }
        }

        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            rows.add(RowFactory.create(i, prompts.get(i)));
        }
        Dataset<Row> frame = spark.createDataFrame(rows,
                new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType));
        Dataset<Row> generated = frame.withColumn("out", flood_generate(col("prompt"), call))
                .select(col("id"), col("out.text"), col("out.completion_tokens"));
        frame.limit(16).withColumn("out", flood_generate(col("prompt"), call)).collectAsList();
        double[] connector = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long start = System.nanoTime();
            long tokens = generated.collectAsList().stream().mapToLong(row -> row.getInt(2)).sum();
            connector[r] = tokens / ((System.nanoTime() - start) / 1e9);
            System.out.printf("flood_generate round %d: %d tokens, %.0f tok/s (%d partitions)%n", r, tokens,
                    connector[r], frame.javaRDD().getNumPartitions());
        }
        double directMedian = median(direct);
        double connectorMedian = median(connector);
        System.out.printf("median: direct %.0f tok/s, flood_generate %.0f tok/s, ratio %.3f (connector cost %.1f%%)%n",
                directMedian, connectorMedian, connectorMedian / directMedian, 100 * (1 - connectorMedian / directMedian));
        spark.stop();
    }

    /** Deterministic prompts of 4 to 24 lower-case words. */
    private static List<String> prompts(int count) {
        Random random = new Random(42);
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder line = new StringBuilder();
            int words = 4 + random.nextInt(21);
            for (int w = 0; w < words; w++) {
                line.append(w == 0 ? "" : " ");
                for (int c = 1 + random.nextInt(7); c > 0; c--) {
                    line.append((char) ('a' + random.nextInt(26)));
                }
            }
            prompts.add(line.toString());
        }
        return prompts;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
