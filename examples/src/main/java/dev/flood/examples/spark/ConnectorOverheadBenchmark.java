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
 * (ignore_eos), so both sides produce the same number of tokens. After one untimed round of each, rounds
 * alternate (direct, then Spark); prints generated tokens per second of each round, the medians, the median of
 * the per-round ratios, and the best of each.
 */
public final class ConnectorOverheadBenchmark {

    private static final String USAGE = "ConnectorOverheadBenchmark [--model DIR] [--prompts 256] [--max-tokens 32] "
            + "[--rounds 3] [--threads N] [--master local[2]]";

    private ConnectorOverheadBenchmark() {
    }

    public static void main(String[] args) {
        ExampleArgs options = ExampleArgs.parse(USAGE, args);
        int numPrompts = options.integer("prompts", 256);
        int rounds = options.integer("rounds", 3);
        SparkSession spark = LocalSpark.start("flood-connector-benchmark", options.optional("master", "local[2]"),
                options.model(), LocalSpark.Registration.EXTENSIONS);
        if (options.optional("threads", null) != null) {
            spark.conf().set("spark.flood.threads", options.required("threads"));
        }
        Map<String, String> call = new HashMap<>(Map.of("max_tokens", options.optional("max-tokens", "32"),
                "ignore_eos", "true", "temperature", "0.8", "top_p", "0.95", "output", "struct"));
        FloodSettings settings = FloodSettings.resolve(CollectionConverters.asJava(spark.conf().getAll()), call);

        List<String> prompts = prompts(numPrompts);
        List<GenerateRequest> requests = prompts.stream().map(p -> GenerateRequest.of(p,
                settings.sampling().toBuilder().seed(RowSeeds.seed(settings, p)).build())).toList();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            rows.add(RowFactory.create(i, prompts.get(i)));
        }
        Dataset<Row> generated = spark.createDataFrame(rows,
                        new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType))
                .withColumn("out", flood_generate(col("prompt"), call))
                .select(col("id"), col("out.text"), col("out.completion_tokens"));
        System.out.printf("%d prompts, %s, %d partitions%n", numPrompts, call, generated.javaRDD().getNumPartitions());

        double[] direct = new double[rounds];
        double[] connector = new double[rounds];
        double[] ratios = new double[rounds];
        try (FloodEngine engine = FloodEngine.open(settings.engineConfig(List.of()))) {
            // one untimed round of each warms the JIT, opens the executor's engine and generates Spark's code
            directRound(engine, requests);
            connectorRound(generated);
            // rounds alternate, so that load from outside the benchmark weighs on both sides alike
            for (int r = 0; r < rounds; r++) {
                direct[r] = directRound(engine, requests);
                connector[r] = connectorRound(generated);
                ratios[r] = connector[r] / direct[r];
                System.out.printf("round %d: direct %.0f tok/s, flood_generate %.0f tok/s, ratio %.3f%n",
                        r, direct[r], connector[r], ratios[r]);
            }
        }
        System.out.printf("median: direct %.0f tok/s, flood_generate %.0f tok/s; median ratio %.3f "
                        + "(connector cost %.1f%%)%n", median(direct), median(connector), median(ratios),
                100 * (1 - median(ratios)));
        System.out.printf("best: direct %.0f tok/s, flood_generate %.0f tok/s, ratio %.3f%n",
                max(direct), max(connector), max(connector) / max(direct));
        spark.stop();
    }

    /** Generated tokens per second of one engine.generate over all requests. */
    private static double directRound(FloodEngine engine, List<GenerateRequest> requests) {
        long start = System.nanoTime();
        long tokens = engine.generate(requests).stream().mapToLong(GenerationResult::completionTokens).sum();
        return tokens / ((System.nanoTime() - start) / 1e9);
    }

    /** Generated tokens per second of one Spark job over all rows, collected to the driver. */
    private static double connectorRound(Dataset<Row> generated) {
        long start = System.nanoTime();
        long tokens = generated.collectAsList().stream().mapToLong(row -> row.getInt(2)).sum();
        return tokens / ((System.nanoTime() - start) / 1e9);
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

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElseThrow();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
