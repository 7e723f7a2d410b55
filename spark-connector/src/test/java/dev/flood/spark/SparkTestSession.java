package dev.flood.spark;

import dev.flood.spark.catalyst.FloodEvalExec;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import scala.runtime.BoxedUnit;

/**
 * One local Spark session for every test class of the module (a JVM holds one SparkContext): two task slots and
 * up to three attempts per task ({@code local[2,3]}), Flood's extensions and plugin, the tiny-llama fixture as
 * the default model, two engine threads.
 */
final class SparkTestSession {

    static final String MODEL = "tiny-llama";

    private static SparkSession session;

    private SparkTestSession() {
    }

    static synchronized SparkSession get() {
        if (session == null) {
            session = SparkSession.builder()
                    .master("local[2,3]")
                    .appName("flood-spark-tests")
                    .config("spark.sql.extensions", FloodSparkExtensions.class.getName())
                    .config("spark.plugins", FloodSparkPlugin.class.getName())
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.flood.model", Fixtures.model(MODEL).toString())
                    .config("spark.flood.threads", "2")
                    .getOrCreate();
        }
        return session;
    }

    /** The Flood operators of an executed query's final plan. */
    static List<FloodEvalExec> floodNodes(Dataset<Row> executed) {
        SparkPlan plan = executed.queryExecution().executedPlan();
        if (plan instanceof AdaptiveSparkPlanExec adaptive) {
            plan = adaptive.executedPlan();
        }
        List<FloodEvalExec> nodes = new ArrayList<>();
        plan.foreach(node -> {
            if (node instanceof FloodEvalExec flood) {
                nodes.add(flood);
            }
            return BoxedUnit.UNIT;
        });
        return nodes;
    }

    /** The one Flood operator of an executed query. */
    static FloodEvalExec floodNode(Dataset<Row> executed) {
        List<FloodEvalExec> nodes = floodNodes(executed);
        if (nodes.size() != 1) {
            throw new AssertionError("expected one FloodEvalExec, found " + nodes.size() + " in\n"
                    + executed.queryExecution().executedPlan());
        }
        return nodes.get(0);
    }

    static long metric(FloodEvalExec node, String name) {
        return node.metrics().apply(name).value();
    }
}
