package dev.flood.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The JVMs one test starts (a cluster's daemons, a client), each logging to its own file; {@link #close} kills
 * every one of them and every process they started (executors), by process id. Only the JVMs started here are
 * touched. The connectors' cluster tests use it.
 */
public final class Jvms implements AutoCloseable {

    private final Path logs;
    private final List<Process> started = new ArrayList<>();

    public Jvms(Path logs) throws IOException {
        this.logs = Files.createDirectories(logs);
    }

    /** Starts {@code java [jvmOptions] -cp classpath mainClass args} with {@code env} added to this JVM's. */
    public Process start(String name, JavaCommand command, Map<String, String> env) throws IOException {
        List<String> line = new ArrayList<>();
        line.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        line.addAll(command.jvmOptions());
        line.add("-cp");
        line.add(command.classpath());
        line.add(command.mainClass());
        line.addAll(command.args());
        ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        started.add(process);
        return process;
    }

    /** The log a started JVM writes. */
    public Path log(String name) {
        return logs.resolve(name + ".log");
    }

    /** The last lines of a log, for a failure message. */
    public static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Deletes a folder and everything in it, if it exists (a cluster test's work folder from an earlier run). */
    public static void deleteRecursively(Path folder) throws IOException {
        if (Files.exists(folder)) {
            try (java.util.stream.Stream<Path> paths = Files.walk(folder)) {
                for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
    }

    /** A port free on the loopback interface now (the daemon that gets it binds it moments later). */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kills the started JVMs, newest first, each after the processes it started, and waits for them to end. */
    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            Process process = started.get(i);
            List<ProcessHandle> children = process.descendants().toList();
            children.forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
                for (ProcessHandle child : children) {
                    child.onExit().get(30, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                throw new IllegalStateException("a test JVM did not end after being killed: " + process, e);
            }
        }
    }

    /** What to run in a JVM. */
    public record JavaCommand(List<String> jvmOptions, String classpath, String mainClass, List<String> args) {
    }
}
