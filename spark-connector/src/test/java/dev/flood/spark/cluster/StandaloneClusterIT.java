package dev.flood.spark.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.spark.FloodSettings;
import dev.flood.spark.FloodSparkExtensions;
import dev.flood.spark.FloodSparkPlugin;
import dev.flood.testing.Fixtures;
import dev.flood.testing.Jvms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code flood_generate} on a real Spark standalone cluster on this machine: a master JVM, a worker JVM that
 * starts two executor JVMs (one core each), and a driver JVM started by spark-submit in client mode. Every JVM has
 * only Spark's jars (a SPARK_HOME built from this module's Spark dependencies, without Flood or its
 * dependencies); Flood reaches the driver and the executors as the -all jar alone ({@code --jars}). Checks that
 * every row comes out exactly once with the completion an engine opened here gives, and that each executor logged
 * its engine opening with one thread (its one core). Everything listens on 127.0.0.1; every JVM is killed at the
 * end. The driver gets 8 minutes to finish, a bound against a hang only (it takes well under a minute).
 */
class StandaloneClusterIT {

    private static final long ROWS = 120;
    private static final String MAX_TOKENS = "4";
    private static final Path WORK = Path.of("target", "standalone-cluster-it").toAbsolutePath();

    @Test
    void flood_generateOnAMultiJvmClusterWithTheAllJarAlone() throws Exception {
        Jvms.deleteRecursively(WORK);
        Path sparkHome = sparkHome();
        Path appJar = appJar();
        Path output = WORK.resolve("output");
        Path workerDir = Files.createDirectories(WORK.resolve("worker"));
        int masterPort = Jvms.freePort();
        String master = "spark://127.0.0.1:" + masterPort;
        String classpath = sparkHome.resolve("jars") + "/*";
        List<String> opens = Arrays.asList(System.getProperty("flood.jvmOpens").trim().split("\\s+"));
        Map<String, String> env = Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_LOCAL_IP", "127.0.0.1",
                "SPARK_SCALA_VERSION", "2.13");
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("spark.driver.host", "127.0.0.1");
        conf.put("spark.driver.bindAddress", "127.0.0.1");
        conf.put("spark.executor.cores", "1");
        conf.put("spark.cores.max", "2");
        conf.put("spark.executor.memory", "512m");
        conf.put("spark.ui.enabled", "false");
        conf.put("spark.sql.extensions", FloodSparkExtensions.class.getName());
        conf.put("spark.plugins", FloodSparkPlugin.class.getName());
        conf.put("spark.flood.model", Fixtures.model("tiny-llama").toString());

        try (Jvms jvms = new Jvms(WORK.resolve("logs"))) {
            jvms.start("master", daemon(opens, classpath, "org.apache.spark.deploy.master.Master",
                    List.of("--host", "127.0.0.1", "--port", String.valueOf(masterPort), "--webui-port", "0")), env);
            jvms.start("worker", daemon(opens, classpath, "org.apache.spark.deploy.worker.Worker",
                    List.of("--host", "127.0.0.1", "--port", "0", "--webui-port", "0", "--cores", "2", "--memory",
                            "1200m", "--work-dir", workerDir.toString(), master)), env);
            List<String> submit = new ArrayList<>(List.of("--master", master, "--deploy-mode", "client",
                    "--class", ClusterJob.class.getName(), "--jars", System.getProperty("flood.allJar")));
            conf.forEach((key, value) -> submit.addAll(List.of("--conf", key + "=" + value)));
            submit.addAll(List.of(appJar.toString(), output.toString(), String.valueOf(ROWS), MAX_TOKENS));
            Process driver = jvms.start("driver", new Jvms.JavaCommand(jvmOptions(opens, "768m"), classpath,
                    "org.apache.spark.deploy.SparkSubmit", submit), env);

            assertTrue(driver.waitFor(8, TimeUnit.MINUTES), "the driver did not finish within 8 minutes");
            assertEquals(0, driver.exitValue(), () -> "the driver failed:\n" + Jvms.tail(jvms.log("driver"), 60));
            checkRows(output, conf);
            checkExecutorLogs(workerDir);
        }
    }

    /** Every id exactly once, each with the completion an engine opened here gives its prompt. */
    private static void checkRows(Path output, Map<String, String> conf) throws IOException {
        Map<Long, String> completions = new HashMap<>();
        ObjectMapper json = new ObjectMapper();
        try (Stream<Path> parts = Files.list(output)) {
            for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
                for (String line : Files.readAllLines(part)) {
                    JsonNode row = json.readTree(line);
                    String previous = completions.put(row.get("id").asLong(), row.get("completion").asText());
                    assertEquals(null, previous, "row " + row.get("id") + " twice");
                }
            }
        }
        assertEquals(LongStream.range(0, ROWS).boxed().toList(), completions.keySet().stream().sorted().toList(),
                "every row exactly once");
        FloodSettings settings = FloodSettings.resolve(conf, Map.of("max_tokens", MAX_TOKENS));
        List<String> prompts = LongStream.range(0, ROWS).mapToObj(ClusterJob::prompt).toList();
        try (FloodEngine engine = FloodEngine.open(settings.engineConfig(List.of()))) {
            List<GenerationResult> expected = engine.generate(prompts.stream()
                    .map(p -> GenerateRequest.of(p, settings.sampling())).toList());
            for (int id = 0; id < ROWS; id++) {
                assertEquals(expected.get(id).text(), completions.get((long) id), "completion of row " + id);
            }
        }
    }

    /** Two executor JVMs, each of which opened one engine on its one core (spark.executor.cores = 1). */
    private static void checkExecutorLogs(Path workerDir) throws IOException {
        List<Path> logs;
        try (Stream<Path> files = Files.walk(workerDir)) {
            logs = files.filter(p -> p.getFileName().toString().equals("stderr")).toList();
        }
        assertEquals(2, logs.size(), "executor logs: " + logs);
        for (Path log : logs) {
            String text = Files.readString(log);
            assertTrue(text.contains("Flood engine open: model " + Fixtures.model("tiny-llama")
                    + " (LlamaForCausalLM, 3 layers), cpu backend on 1 threads"), () -> log + ":\n" + Jvms.tail(log, 60));
        }
    }

    /** SPARK_HOME/jars: links to this module's Spark dependencies (the build lists them without Flood's). */
    private static Path sparkHome() throws IOException {
        Path jars = Files.createDirectories(WORK.resolve("spark-home").resolve("jars"));
        for (String entry : Files.readString(Path.of(System.getProperty("flood.sparkClasspath"))).trim().split(":")) {
            Path jar = Path.of(entry);
            Path link = jars.resolve(jar.getFileName());
            if (entry.endsWith(".jar") && !Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, jar);
            }
        }
        return jars.getParent();
    }

    /** The application's jar: {@link ClusterJob} alone. */
    private static Path appJar() throws IOException {
        Path jar = WORK.resolve("cluster-job.jar");
        Files.deleteIfExists(jar);
        Path classes = Path.of(ClusterJob.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        String entry = ClusterJob.class.getName().replace('.', '/') + ".class";
        int rc = ToolProvider.findFirst("jar").orElseThrow().run(System.out, System.err, "cf", jar.toString(),
                "-C", classes.toString(), entry);
        assertEquals(0, rc, "jar cf " + jar);
        return jar;
    }

    private static Jvms.JavaCommand daemon(List<String> opens, String classpath, String mainClass, List<String> args) {
        return new Jvms.JavaCommand(jvmOptions(opens, "256m"), classpath, mainClass, args);
    }

    private static List<String> jvmOptions(List<String> opens, String heap) {
        List<String> options = new ArrayList<>(opens);
        options.add("-Xmx" + heap);
        return options;
    }
}
