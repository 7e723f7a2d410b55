package dev.flood.flink.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.GenerationResult;
import dev.flood.flink.FloodSettings;
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.testing.TestPrompts;
import dev.flood.testing.Fixtures;
import dev.flood.testing.Jvms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;

/**
 * ML_PREDICT over a Flood model on a real Flink session cluster on this machine: a JobManager JVM and a
 * TaskManager JVM (two slots) whose lib/ holds Flink's jars and the -lib jar alone for Flood, started as Flink's
 * scripts start them (memory settings from Flink's BashJavaUtils), and a job submitted to it over REST from this
 * JVM. Checks that every row comes out exactly once with the text an engine opened here gives it, that NULLs in
 * the other columns survive, and that the TaskManager logged its engine opening with one thread per slot.
 * Everything listens on 127.0.0.1; both JVMs are killed at the end. The job gets 8 minutes, a bound against a
 * hang only.
 */
class SessionClusterIT {

    private static final Path WORK = Path.of("target", "session-cluster-it").toAbsolutePath();
    private static final int SLOTS = 2;
    private static final String RESOURCE_PARAMS_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";

    @Test
    void mlPredictOnASessionClusterWithTheLibJarInItsLib() throws Exception {
        Jvms.deleteRecursively(WORK);
        Path lib = flinkLib();
        int rpcPort = Jvms.freePort();
        int restPort = Jvms.freePort();
        Map<String, String> config = new LinkedHashMap<>();
        config.put("jobmanager.rpc.address", "127.0.0.1");
        config.put("jobmanager.rpc.port", String.valueOf(rpcPort));
        config.put("jobmanager.bind-host", "127.0.0.1");
        config.put("rest.address", "127.0.0.1");
        config.put("rest.bind-address", "127.0.0.1");
        config.put("rest.port", String.valueOf(restPort));
        config.put("taskmanager.host", "127.0.0.1");
        config.put("taskmanager.bind-host", "127.0.0.1");
        config.put("taskmanager.numberOfTaskSlots", String.valueOf(SLOTS));
        config.put("jobmanager.memory.process.size", "1024m");
        config.put("taskmanager.memory.process.size", "1280m");
        config.put("taskmanager.memory.managed.size", "64m");
        config.put("parallelism.default", String.valueOf(SLOTS));
        // generous RPC start-up and ask timeouts (10 s by default): a loaded CI machine starts JVMs slowly
        config.put("pekko.startup-timeout", "2 min");
        config.put("pekko.ask.timeout", "1 min");
        config.put("pekko.tcp.timeout", "1 min");
        Path conf = writeConf(config);
        String classpath = lib + "/*";

        try (Jvms jvms = new Jvms(WORK.resolve("logs"))) {
            start(jvms, "jobmanager", "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
                    resourceParams(jvms, classpath, conf, "GET_JM_RESOURCE_PARAMS"), classpath, conf);
            start(jvms, "taskmanager", "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                    resourceParams(jvms, classpath, conf, "GET_TM_RESOURCE_PARAMS"), classpath, conf);

            List<String> prompts = new ArrayList<>(TestPrompts.random(new Random(), 40));
            List<String> names = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                names.add(i % 4 == 0 ? null : "name " + i);
            }
            Map<Integer, Row> rows = assertTimeoutPreemptively(Duration.ofMinutes(8),
                    () -> runJob(Configuration.fromMap(config), names, prompts),
                    () -> "the job did not finish; TaskManager log:\n" + Jvms.tail(jvms.log("taskmanager"), 40));

            FloodSettings settings = FloodSettings.resolve(Map.of("flood.model.path",
                    Fixtures.model("tiny-llama").toString(), "flood.max-new-tokens", "5"), key -> null,
                    new TaskManagerSlots(SLOTS));
            Map<String, GenerationResult> reference = TestPrompts.reference(prompts, settings);
            assertEquals(prompts.size(), rows.size(), "every row exactly once");
            for (int i = 0; i < prompts.size(); i++) {
                assertEquals(names.get(i), rows.get(i).getField(1), "name of row " + i + ": a NULL stays NULL");
                assertEquals(reference.get(prompts.get(i)).text(), rows.get(i).getField(2), "completion of row " + i);
            }
            String taskManagerLog = Files.readString(jvms.log("taskmanager"));
            assertTrue(taskManagerLog.contains("Flood engine open: model " + Fixtures.model("tiny-llama")
                    + " (LlamaForCausalLM, 3 layers), cpu backend on " + SLOTS + " threads"), taskManagerLog);
            // the last subtask to release the engine closes it while the job's tasks finish, which runJob awaited
            String closed = "Flood engine closed: model " + Fixtures.model("tiny-llama") + ", " + prompts.size()
                    + " requests completed (0 failed, 0 cancelled)";
            assertTrue(taskManagerLog.contains(closed), () -> "no line '" + closed + "' in the TaskManager log:\n"
                    + Jvms.tail(jvms.log("taskmanager"), 40));
        }
    }

    /**
     * ML_PREDICT over (id, name, prompt) rows, planned here and run on the cluster; rows by id. Returns once the job
     * has finished, not just once its last row arrived: its operators (and the engine lease) are closed by then.
     */
    @SuppressWarnings("try") // Flink's CloseableIterator.close declares Exception
    private static Map<Integer, Row> runJob(Configuration clientConfig, List<String> names, List<String> prompts)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createRemoteEnvironment("127.0.0.1",
                clientConfig.get(org.apache.flink.configuration.RestOptions.PORT), clientConfig);
        StreamTableEnvironment tableEnv = StreamTableEnvironment.create(env);
        List<Row> input = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            input.add(Row.of(i, names.get(i), prompts.get(i)));
        }
        DataStream<Row> stream = env.fromData(input, Types.ROW_NAMED(new String[] {"id", "name", "prompt"},
                Types.INT, Types.STRING, Types.STRING));
        tableEnv.createTemporaryView("events", tableEnv.fromDataStream(stream.rebalance()));
        tableEnv.executeSql("CREATE TEMPORARY MODEL writer INPUT (prompt STRING) OUTPUT (completion STRING) WITH ("
                + "'provider' = 'flood', 'model.path' = '" + Fixtures.model("tiny-llama") + "', "
                + "'max-new-tokens' = '5')");
        Map<Integer, Row> rows = new HashMap<>();
        TableResult result = tableEnv.executeSql("SELECT id, name, completion FROM "
                + "ML_PREDICT(TABLE events, MODEL writer, DESCRIPTOR(prompt))");
        try (CloseableIterator<Row> it = result.collect()) {
            while (it.hasNext()) {
                Row row = it.next();
                assertNull(rows.put((Integer) row.getField(0), row), "row " + row.getField(0) + " twice");
            }
        }
        result.getJobClient().orElseThrow().getJobExecutionResult().get();
        return rows;
    }

    /** Starts a daemon as Flink's scripts do: its memory flags as JVM options, the derived settings as -D. */
    private static void start(Jvms jvms, String name, String mainClass, List<List<String>> resourceParams,
                              String classpath, Path conf) throws IOException {
        List<String> jvmOptions = new ArrayList<>(resourceParams.get(0));
        jvmOptions.add("-Dlog4j.configurationFile=" + conf.resolve("log4j.properties"));
        List<String> args = new ArrayList<>(List.of("--configDir", conf.toString()));
        args.addAll(resourceParams.get(1));
        jvms.start(name, new Jvms.JavaCommand(jvmOptions, classpath, mainClass, args), Map.of());
    }

    /** Flink's BashJavaUtils' two result lines: the JVM's memory flags, and the settings they were derived with. */
    private static List<List<String>> resourceParams(Jvms jvms, String classpath, Path conf, String command)
            throws Exception {
        String name = command.toLowerCase(java.util.Locale.ROOT);
        Process process = jvms.start(name, new Jvms.JavaCommand(List.of(), classpath,
                "org.apache.flink.runtime.util.bash.BashJavaUtils", List.of(command, "--configDir", conf.toString())),
                Map.of());
        assertEquals(0, process.waitFor(), () -> Jvms.tail(jvms.log(name), 30));
        List<List<String>> params = new ArrayList<>();
        for (String line : Files.readAllLines(jvms.log(name))) {
            if (line.startsWith(RESOURCE_PARAMS_PREFIX)) {
                params.add(Arrays.asList(line.substring(RESOURCE_PARAMS_PREFIX.length()).trim().split("\\s+")));
            }
        }
        assertEquals(2, params.size(), () -> Jvms.tail(jvms.log(name), 30));
        return params;
    }

    /** lib/: links to this module's Flink dependencies (the build lists them without Flood's) and the -lib jar. */
    private static Path flinkLib() throws IOException {
        Path lib = Files.createDirectories(WORK.resolve("flink-home").resolve("lib"));
        List<String> jars = new ArrayList<>(Arrays.asList(
                Files.readString(Path.of(System.getProperty("flood.flinkClasspath"))).trim().split(":")));
        jars.add(System.getProperty("flood.libJar"));
        for (String entry : jars) {
            Path jar = Path.of(entry);
            Path link = lib.resolve(jar.getFileName());
            if (entry.endsWith(".jar") && !Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, jar);
            }
        }
        return lib;
    }

    private static Path writeConf(Map<String, String> config) throws IOException {
        Path conf = Files.createDirectories(WORK.resolve("flink-home").resolve("conf"));
        StringBuilder yaml = new StringBuilder();
        config.forEach((key, value) -> yaml.append(key).append(": ").append(value).append('\n'));
        Files.writeString(conf.resolve("config.yaml"), yaml);
        Files.writeString(conf.resolve("log4j.properties"), String.join("\n",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.console.ref = console",
                "appender.console.type = Console",
                "appender.console.name = console",
                "appender.console.layout.type = PatternLayout",
                "appender.console.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n",
                "logger.djl.name = ai.djl",
                "logger.djl.level = ERROR", ""));
        return conf;
    }
}
