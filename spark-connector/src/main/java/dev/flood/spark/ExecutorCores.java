package dev.flood.spark;

import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cores each executor runs tasks on, from the session's conf: the default of the CPU backend's {@code threads},
 * so that several executors on one host do not each start a thread per processor of the host.
 * {@code spark.executor.cores} when set; else the cores of a local master ({@code local} is 1, {@code local[N]} and
 * {@code local[N,F]} are N, {@code local-cluster[W,C,M]} is C); else unknown ({@code local[*]}, or a cluster
 * manager's default, where a standalone executor takes all of its worker's cores and the JVM's processor count is
 * the right figure).
 */
final class ExecutorCores {

    static final String EXECUTOR_CORES = "spark.executor.cores";
    static final String MASTER = "spark.master";

    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\d+)(?:\\s*,\\s*\\d+)?])?");
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[\\s*\\d+\\s*,\\s*(\\d+)\\s*,.*]");

    private ExecutorCores() {
    }

    static OptionalInt of(Map<String, String> sparkConf) {
        String cores = sparkConf.get(EXECUTOR_CORES);
        if (cores != null) {
            try {
                return OptionalInt.of(Integer.parseInt(cores.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(EXECUTOR_CORES + " must be an integer, got '" + cores + "'");
            }
        }
        String master = sparkConf.getOrDefault(MASTER, "").trim();
        Matcher local = LOCAL.matcher(master);
        if (local.matches()) {
            return OptionalInt.of(local.group(1) == null ? 1 : Integer.parseInt(local.group(1)));
        }
        Matcher localCluster = LOCAL_CLUSTER.matcher(master);
        return localCluster.matches() ? OptionalInt.of(Integer.parseInt(localCluster.group(1))) : OptionalInt.empty();
    }
}
