package dev.flood.spark.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.spark.FloodSparkExtensions;
import dev.flood.spark.FloodSparkPlugin;
import dev.flood.testing.Fixtures;
import dev.flood.testing.Jvms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The engine's open and close lines as an executor logs them: {@link ClusterJob} in a JVM of its own in local mode
 * (its executor is the driver's, and {@code spark.stop()} stops it the way a cluster executor stops: the executor
 * plugin's shutdown closes the engines), logging Flood at INFO. Each line must appear once, the close line after the
 * open line, with the request and token counts of the job.
 *
 * <p>Why not on the standalone cluster ({@link StandaloneClusterIT}): when an application ends, Spark's worker
 * stops copying an executor's stderr to its log file before it terminates the executor
 * ({@code ExecutorRunner.killProcess}), so whatever an executor logs while it shuts down, the close line and Spark's
 * own lines alike, never reaches that file.
 */
class EngineLifecycleLogIT {

    private static final Path WORK = Path.of("target", "engine-lifecycle-log-it").toAbsolutePath();
    private static final int ROWS = 8;

    @Test
    void anExecutorLogsItsEngineOpeningAndClosing() throws Exception {
        Jvms.deleteRecursively(WORK);
        Path logging = Files.createDirectories(WORK).resolve("log4j2.properties");
        Files.writeString(logging, String.join("\n",
                "rootLogger.level = warn",
                "rootLogger.appenderRef.stderr.ref = stderr",
                "appender.stderr.type = Console",
                "appender.stderr.name = stderr",
                "appender.stderr.target = SYSTEM_ERR",
                "appender.stderr.layout.type = PatternLayout",
                "appender.stderr.layout.pattern = %p %c{1}: %m%n",
                "logger.flood.name = dev.flood",
                "logger.flood.level = info", ""));
        String model = Fixtures.model("tiny-llama").toString();
        List<String> options = new ArrayList<>(
                Arrays.asList(System.getProperty("flood.jvmOpens").trim().split("\\s+")));
        options.addAll(List.of("-Xmx768m", "-Dlog4j2.configurationFile=" + logging.toUri(),
                "-Dspark.master=local[1]", "-Dspark.ui.enabled=false", "-Dspark.driver.host=127.0.0.1",
                "-Dspark.driver.bindAddress=127.0.0.1",
                "-Dspark.sql.extensions=" + FloodSparkExtensions.class.getName(),
                "-Dspark.plugins=" + FloodSparkPlugin.class.getName(), "-Dspark.flood.model=" + model));
        try (Jvms jvms = new Jvms(WORK.resolve("logs"))) {
            Process job = jvms.start("job", new Jvms.JavaCommand(options, System.getProperty("java.class.path"),
                    ClusterJob.class.getName(), List.of(WORK.resolve("output").toString(), String.valueOf(ROWS),
                            "4")), Map.of("SPARK_LOCAL_IP", "127.0.0.1"));
            assertTrue(job.waitFor(5, TimeUnit.MINUTES), "the job did not finish within 5 minutes");
            Path log = jvms.log("job");
            assertEquals(0, job.exitValue(), () -> "the job failed:\n" + Jvms.tail(log, 60));

            List<String> lines = Files.readAllLines(log);
            List<String> opened = lines.stream().filter(l -> l.contains("Flood engine open: model " + model)).toList();
            List<String> closed = lines.stream().filter(l -> l.contains("Flood engine closed: model " + model)).toList();
            assertEquals(1, opened.size(), () -> "open lines in\n" + Jvms.tail(log, 60));
            assertEquals(1, closed.size(), () -> "close lines in\n" + Jvms.tail(log, 60));
            assertTrue(lines.indexOf(opened.get(0)) < lines.indexOf(closed.get(0)), "closed after it opened");
            assertTrue(closed.get(0).contains(ROWS + " requests completed (0 failed, 0 cancelled)"), closed.get(0));
        }
    }
}
