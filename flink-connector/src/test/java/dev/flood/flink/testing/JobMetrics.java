package dev.flood.flink.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;

/** The connector's metrics of one job, as an in-memory reporter kept them, summed over subtasks. */
public final class JobMetrics {

    private JobMetrics() {
    }

    /** Metrics named {@code flood.<name>} of every subtask of the job. */
    public static List<Metric> named(InMemoryReporter reporter, JobID job, String name) {
        List<Metric> found = new ArrayList<>();
        for (Map.Entry<MetricGroup, Map<String, Metric>> group : reporter.getMetricsByGroup().entrySet()) {
            String[] scope = group.getKey().getScopeComponents();
            boolean ofJob = job.toString().equals(group.getKey().getAllVariables().get("<job_id>"));
            if (ofJob && scope.length > 0 && scope[scope.length - 1].equals("flood")
                    && group.getValue().containsKey(name)) {
                found.add(group.getValue().get(name));
            }
        }
        return found;
    }

    /** Sum of counters, meters' counts or numeric gauges named {@code flood.<name>}; fails if there are none. */
    public static long sum(InMemoryReporter reporter, JobID job, String name) {
        List<Metric> metrics = named(reporter, job, name);
        if (metrics.isEmpty()) {
            throw new AssertionError("no metric flood." + name + " in job " + job);
        }
        long sum = 0;
        for (Metric metric : metrics) {
            if (metric instanceof Counter counter) {
                sum += counter.getCount();
            } else if (metric instanceof Meter meter) {
                sum += meter.getCount();
            } else if (metric instanceof Gauge<?> gauge && gauge.getValue() instanceof Number number) {
                sum += number.longValue();
            } else {
                throw new AssertionError("flood." + name + " is not a number: " + metric);
            }
        }
        return sum;
    }
}
