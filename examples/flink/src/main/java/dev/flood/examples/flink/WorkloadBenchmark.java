package dev.flood.examples.flink;

import dev.flood.cli.Workload;
import dev.flood.config.ModelConfigReader;
import dev.flood.flink.EngineFactory;
import dev.flood.flink.FloodSettings;
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.internal.EngineLease;
import dev.flood.flink.internal.EngineRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

/**
 * Workload W through {@code ML_PREDICT} over a Flood model (a benchmark, not a test), to set beside
 * {@code ./flood bench} run on the same machine with the same engine options: the first N prompts of W as token
 * ids ({@code ARRAY<INT>} input), every one in flight at once ({@code max-concurrent-operations} = N), greedy, EOS
 * ignored, on a MiniCluster in this JVM (one TaskManager, one slot) started before the jobs. The engine is opened
 * here before the job and held until the end, as a long-running TaskManager holds it (the bench also excludes
 * loading the model); the timed job's wall time covers planning, deployment and every row back at the client. {@code --devices 0;1} gives the
 * engine two GPUs, one pipeline stage each. Prints one JSON line: output and total tokens/s.
 */
public final class WorkloadBenchmark {

    private static final String USAGE = "WorkloadBenchmark --model DIR [--load-format DUMMY] [--backend cuda] "
            + "[--devices 0] [--prompts 1024] [--output-tokens 256] [--max-batch-tokens N] [--max-running N] "
            + "[--cache-tokens N] [--steps-in-flight N] [--stage-layers L,M]";

    private WorkloadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> arguments = parse(args);
        Path model = Path.of(required(arguments, "model")).toAbsolutePath();
        int numPrompts = Integer.parseInt(arguments.getOrDefault("prompts", "1024"));
        String outputTokens = arguments.getOrDefault("output-tokens", String.valueOf(Workload.w().outputTokens()));

        // the model's options, by their keys in CREATE MODEL (Flood's options without the flood. prefix)
        Map<String, String> modelOptions = new LinkedHashMap<>();
        modelOptions.put("model.path", model.toString());
        modelOptions.put("model.load-format", arguments.getOrDefault("load-format", "DUMMY"));
        modelOptions.put("backend", arguments.getOrDefault("backend", "cuda"));
        modelOptions.put("devices", arguments.getOrDefault("devices", "0"));
        modelOptions.put("threads", "1");
        modelOptions.put("ignore-eos", "true");
        // engine options under ./flood bench's names (lists comma-separated there, ';' in Flink's options)
        for (String[] engineOption : new String[][] {{"max-batch-tokens", "max-batch-tokens"},
                {"max-running", "max-running-requests"}, {"cache-tokens", "cache-tokens"},
                {"steps-in-flight", "steps-in-flight"}, {"stage-layers", "stage-layers"}}) {
            if (arguments.containsKey(engineOption[0])) {
                modelOptions.put(engineOption[1], arguments.get(engineOption[0]).replace(',', ';'));
            }
        }

        // one cluster for both jobs, started outside the timing (a local environment would start one per job)
        Configuration conf = new Configuration();
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, 1);
        conf.set(RestOptions.BIND_PORT, "0");
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
                .setNumTaskManagers(1).setNumSlotsPerTaskManager(1).build());
        cluster.start();
        URI rest = cluster.getRestAddress().get();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createRemoteEnvironment(rest.getHost(),
                rest.getPort(), conf);
        env.setParallelism(1);
        StreamTableEnvironment tableEnv = StreamTableEnvironment.create(env);
        List<List<Integer>> prompts = Workload.w().prompts(numPrompts, ModelConfigReader.read(model).vocabSize());
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            rows.add(Row.of(i, prompts.get(i).toArray(Integer[]::new)));
        }
        DataStream<Row> stream = env.fromData(rows, Types.ROW_NAMED(new String[] {"id", "ids"}, Types.INT,
                Types.OBJECT_ARRAY(Types.INT)));
        tableEnv.createTemporaryView("workload", tableEnv.fromDataStream(stream));

        // the engine the job's subtask will lease: opened now, outside the timing (the registry is per JVM)
        Map<String, String> floodOptions = new HashMap<>();
        modelOptions.forEach((key, value) -> floodOptions.put("flood." + key, value));
        floodOptions.put("flood.max-new-tokens", outputTokens);
        FloodSettings settings = FloodSettings.resolve(floodOptions, key -> null, TaskManagerSlots.UNKNOWN);
        try (EngineLease held = EngineRegistry.acquire(settings.engine(), EngineFactory.DEFAULT)) {
            createModel(tableEnv, "warmup", modelOptions, "4");
            createModel(tableEnv, "w", modelOptions, outputTokens);
            tableEnv.createTemporaryView("warmup_prompts", tableEnv.sqlQuery("SELECT * FROM workload WHERE id < 4"));
            run(tableEnv, "warmup", "warmup_prompts", 4);
            long start = System.nanoTime();
            long[] totals = run(tableEnv, "w", "workload", numPrompts);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "{\"workload\": \"W\", \"via\": \"flink ML_PREDICT\", \"model\": \"%s\", "
                            + "\"prompts\": %d, \"devices\": \"%s\", \"prompt_tokens\": %d, \"generated_tokens\": %d, "
                            + "\"seconds\": %.3f, \"output_tokens_per_second\": %.1f, "
                            + "\"total_tokens_per_second\": %.1f}%n", model, numPrompts, modelOptions.get("devices"),
                    totals[0], totals[1], seconds, totals[1] / seconds, (totals[0] + totals[1]) / seconds);
        } finally {
            cluster.close();
        }
    }

    /**
     * The warm-up model generates a few tokens; both models resolve the same engine options, so they share the
     * engine opened in {@link #main} (max-new-tokens is a sampling option, not an engine one).
     */
    private static void createModel(StreamTableEnvironment tableEnv, String name, Map<String, String> options,
                                    String maxNewTokens) {
        StringBuilder with = new StringBuilder("'provider' = 'flood', 'max-new-tokens' = '" + maxNewTokens + "'");
        options.forEach((key, value) -> with.append(", '").append(key).append("' = '").append(value).append('\''));
        tableEnv.executeSql("CREATE TEMPORARY MODEL " + name + " INPUT (ids ARRAY<INT>) "
                + "OUTPUT (prompt_tokens INT, completion_tokens INT, error STRING) WITH (" + with + ")");
    }

    /** Every row of the view {@code input} through the model; sums of prompt and generated tokens. */
    @SuppressWarnings("try") // Flink's CloseableIterator.close declares Exception
    private static long[] run(StreamTableEnvironment tableEnv, String model, String input, int numRows)
            throws Exception {
        TableResult result = tableEnv.executeSql("SELECT prompt_tokens, completion_tokens, error FROM ML_PREDICT("
                + "TABLE " + input + ", MODEL " + model + ", DESCRIPTOR(ids), MAP['max-concurrent-operations', '"
                + numRows + "', 'timeout', '1 h'])");
        long[] totals = new long[2];
        int seen = 0;
        try (CloseableIterator<Row> it = result.collect()) {
            while (it.hasNext()) {
                Row row = it.next();
                if (row.getField(2) != null) {
                    throw new IllegalStateException("a row failed: " + row.getField(2));
                }
                totals[0] += (Integer) row.getField(0);
                totals[1] += (Integer) row.getField(1);
                seen++;
            }
        }
        if (seen != numRows) {
            throw new IllegalStateException(seen + " rows came back of " + numRows);
        }
        return totals;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("expected --key value pairs, got '" + args[i] + "'\nusage: " + USAGE);
            }
            values.put(args[i].substring(2), args[i + 1]);
        }
        return values;
    }

    private static String required(Map<String, String> arguments, String key) {
        String value = arguments.get(key);
        if (value == null) {
            throw new IllegalArgumentException("missing --" + key + "\nusage: " + USAGE);
        }
        return value;
    }
}
