package dev.flood.spark;

import dev.flood.spark.catalyst.ExtractFloodCalls$;
import dev.flood.spark.catalyst.FloodCall$;
import dev.flood.spark.catalyst.FloodStrategy;
import dev.flood.spark.catalyst.PruneUnreadFloodCalls$;
import dev.flood.spark.catalyst.PushFiltersThroughFloodEval$;
import dev.flood.spark.runtime.FloodFunction;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.SparkSessionExtensionsProvider;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import scala.Option;
import scala.Tuple3;
import scala.runtime.BoxedUnit;

/**
 * Adds Flood to a Spark session: set {@code spark.sql.extensions=dev.flood.spark.FloodSparkExtensions}. SQL,
 * PySpark and DataFrame users then call {@code flood_generate}, {@code flood_chat}, {@code flood_perplexity} and
 * {@code flood_score} by name.
 */
public final class FloodSparkExtensions implements SparkSessionExtensionsProvider {

    @Override
    public BoxedUnit apply(SparkSessionExtensions extensions) {
        // functions, resolved by name
        for (FloodFunction function : FloodFunction.values()) {
            ExpressionInfo info = new ExpressionInfo(FloodSparkExtensions.class.getName(), null, function.sqlName(),
                    function.usage(), "", "", "", "", "", "", "");
            extensions.injectFunction(new Tuple3<>(new FunctionIdentifier(function.sqlName(), Option.empty(),
                    Option.empty()), info, FloodCall$.MODULE$.builder(function)));
        }
        // analysis: calls move into FloodEval nodes
        extensions.injectPostHocResolutionRule(session -> ExtractFloodCalls$.MODULE$);
        // optimization: filters that do not read the results go below FloodEval
        extensions.injectOptimizerRule(session -> PushFiltersThroughFloodEval$.MODULE$);
        // optimization: calls whose results nothing reads are dropped
        extensions.injectOptimizerRule(session -> PruneUnreadFloodCalls$.MODULE$);
        // planning: FloodEval runs as FloodEvalExec
        extensions.injectPlannerStrategy(FloodStrategy::new);
        return BoxedUnit.UNIT;
    }
}
