package dev.flood.examples.spark;

import static dev.flood.spark.FloodFunctions.flood_generate;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import dev.flood.cli.Workload;
import dev.flood.config.ModelConfigReader;
import dev.flood.spark.FloodSparkExtensions;
import dev.flood.spark.FloodSparkPlugin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Workload W through {@code flood_generate} (a benchmark, not a test), to set beside {@code ./flood bench} run on
 * the same machine with the same engine options: the first N prompts of W as token ids in one partition, every
 * one in flight at once ({@code max_in_flight} = N, as the bench submits them all), greedy, EOS ignored. One
 * untimed job of four short prompts opens the executor's engine (the bench also loads the model and warms up
 * before it measures); the timed job's wall time covers planning, the task, and every row back at the driver.
 * Prints one JSON line: output and total tokens/s.
 *
 * <p>GPUs: Spark's local mode assigns tasks no resources ({@code LocalSchedulerBackend}: "local mode doesn't support
 * extra resources like GPUs"), so with {@code --gpus N} the benchmark runs Spark's own one-machine cluster,
 * {@code local-cluster[1,1,MB]}: a worker that discovers its GPUs with {@code --discovery-script}, one executor
 * JVM holding N of them, and a task granted N ({@code spark.task.resource.gpu.amount}), whose addresses become
 * the engine's {@code devices} (one pipeline stage per GPU). That executor needs {@code SPARK_HOME} set to a
 * folder with a (possibly empty) {@code jars/} folder, and takes Spark and Flood from this JVM's classpath.
 */
public final class WorkloadBenchmark {

    private static final String USAGE = "WorkloadBenchmark --model DIR [--load-format dummy] [--backend cuda] "
            + "[--prompts 1024] [--output-tokens 256] [--gpus 1 --discovery-script FILE] [--executor-memory-mb 65536] "
            + "[--max-batch-tokens N] [--max-running N] [--cache-tokens N] [--steps-in-flight N] [--stage-layers L,M] "
            + "[--prefix-caching on|off] [--master local[1]] [--rounds 1]";

    private WorkloadBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        ExampleArgs options = ExampleArgs.parse(USAGE, args);
        Path model = Path.of(options.required("model")).toAbsolutePath();
        int numPrompts = options.integer("prompts", 1024);
        String outputTokens = options.optional("output-tokens", String.valueOf(Workload.w().outputTokens()));
        int gpus = options.integer("gpus", 0);

        SparkSession.Builder builder = SparkSession.builder().appName("flood-workload-w")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.extensions", FloodSparkExtensions.class.getName())
                .config("spark.plugins", FloodSparkPlugin.class.getName())
                .config("spark.flood.model", model.toString())
                .config("spark.flood.load_format", options.optional("load-format", "dummy"))
                .config("spark.flood.backend", options.optional("backend", gpus > 0 ? "cuda" : "cpu"))
                .config("spark.flood.max_in_flight", String.valueOf(numPrompts));
        // engine options under ./flood bench's names, so that one command line serves both
        for (String[] engineOption : new String[][] {{"max-batch-tokens", "max_batch_tokens"},
                {"max-running", "max_running_requests"}, {"cache-tokens", "cache_tokens"},
                {"steps-in-flight", "steps_in_flight"}, {"stage-layers", "stage_layers"},
                {"prefix-caching", "prefix_caching"}}) {
            if (options.optional(engineOption[0], null) != null) {
                builder.config("spark.flood." + engineOption[1], options.required(engineOption[0]));
            }
        }
        if (gpus > 0) {
            int memoryMb = options.integer("executor-memory-mb", 65536);
            String script = Path.of(options.required("discovery-script")).toAbsolutePath().toString();
            builder.master(options.optional("master", "local-cluster[1,1," + (memoryMb + 1024) + "]"))
                    .config("spark.executor.memory", memoryMb + "m")
                    // the collector ./flood bench runs with (tools/gpu/connectors-bench.sh), for a like-for-like figure
                    .config("spark.executor.extraJavaOptions", "-XX:+UseParallelGC")
                    .config("spark.worker.resource.gpu.amount", String.valueOf(gpus))
                    .config("spark.worker.resource.gpu.discoveryScript", script)
                    .config("spark.executor.resource.gpu.amount", String.valueOf(gpus))
                    .config("spark.executor.resource.gpu.discoveryScript", script)
                    .config("spark.task.resource.gpu.amount", String.valueOf(gpus))
                    .config("spark.executor.extraClassPath", System.getProperty("java.class.path"));
        } else {
            builder.master(options.optional("master", "local[1]"));
        }
        SparkSession spark = builder.getOrCreate();

        int vocabSize = ModelConfigReader.read(model).vocabSize();
        List<List<Integer>> prompts = Workload.w().prompts(numPrompts, vocabSize);
        // the warm-up runs the timed job's plan (same schema and operators) on ./flood bench's four warm-up prompts,
        // so that Spark's code generation and the executor's first task of this shape happen outside the timing
        run(workload(spark, Workload.warmUpPrompts(4, 16, vocabSize)), "4");
        Dataset<Row> workload = workload(spark, prompts);
        long start = System.nanoTime();
        Row totals = run(workload, outputTokens);
        double seconds = (System.nanoTime() - start) / 1e9;
        // further rounds (diagnosis: what of the first is a first job's cost) are printed, never reported; they hit
        // the prefix cache unless it is off
        for (int round = 2; round <= options.integer("rounds", 1); round++) {
            long again = System.nanoTime();
            run(workload, outputTokens);
            System.err.printf(Locale.ROOT, "round %d: %.3f s (the reported first: %.3f s)%n", round,
                    (System.nanoTime() - again) / 1e9, seconds);
        }
        long promptTokens = totals.getLong(0);
        long generated = totals.getLong(1);
        System.out.printf(Locale.ROOT, "{\"workload\": \"W\", \"via\": \"spark flood_generate\", \"model\": \"%s\", "
                        + "\"prompts\": %d, \"gpus_per_task\": %d, \"prompt_tokens\": %d, \"generated_tokens\": %d, "
                        + "\"seconds\": %.3f, \"output_tokens_per_second\": %.1f, \"total_tokens_per_second\": %.1f}%n",
                model, numPrompts, gpus, promptTokens, generated, seconds, generated / seconds,
                (promptTokens + generated) / seconds);
        spark.stop();
        printEngineLines();
    }

    /** The prompts as rows {@code (id, ids)} in one partition. */
    private static Dataset<Row> workload(SparkSession spark, List<List<Integer>> prompts) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            rows.add(RowFactory.create(i, prompts.get(i)));
        }
        return spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType)
                .add("ids", DataTypes.createArrayType(DataTypes.IntegerType))).coalesce(1);
    }

    /** Generates for every row; the sums of prompt and generated tokens. */
    private static Row run(Dataset<Row> prompts, String maxTokens) {
        Map<String, String> call = Map.of("max_tokens", maxTokens, "ignore_eos", "true", "output", "struct");
        Row totals = prompts.withColumn("out", flood_generate(col("ids"), call))
                .agg(sum("out.prompt_tokens"), sum("out.completion_tokens"), sum(col("out.error").isNotNull()
                        .cast("int")))
                .first();
        if (totals.getLong(2) > 0) {
            throw new IllegalStateException(totals.getLong(2) + " rows failed; run with output=struct to see why");
        }
        return totals;
    }

    /** The executors' engine open and close lines (local-cluster executors log under SPARK_HOME/work). */
    private static void printEngineLines() throws IOException {
        String sparkHome = System.getenv("SPARK_HOME");
        if (sparkHome == null || !Files.isDirectory(Path.of(sparkHome, "work"))) {
            return;
        }
        try (Stream<Path> files = Files.walk(Path.of(sparkHome, "work"))) {
            for (Path log : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
                Files.readAllLines(log).stream().filter(line -> line.contains("Flood engine"))
                        .forEach(line -> System.out.println(log.getParent().getFileName() + ": " + line));
            }
        }
    }
}
