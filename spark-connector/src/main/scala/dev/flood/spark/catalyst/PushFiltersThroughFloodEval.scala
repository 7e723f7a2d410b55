package dev.flood.spark.catalyst

import org.apache.spark.sql.catalyst.expressions.{And, PredicateHelper}
import org.apache.spark.sql.catalyst.plans.logical.{Filter, LogicalPlan}
import org.apache.spark.sql.catalyst.rules.Rule

/**
 * Pushes the deterministic parts of a filter that read none of a [[FloodEval]]'s results below it, so that
 * `df.withColumn("out", flood_generate(...)).where("id < 10")` generates for ten rows, not all of them. Spark's
 * own push-down does not know the node. A row's result does not depend on which other rows run.
 */
object PushFiltersThroughFloodEval extends Rule[LogicalPlan] with PredicateHelper {

  override def apply(plan: LogicalPlan): LogicalPlan = plan.transform {
    case filter @ Filter(condition, eval: FloodEval) =>
      val (pushable, kept) = splitConjunctivePredicates(condition)
        .partition(p => p.deterministic && p.references.subsetOf(eval.child.outputSet))
      if (pushable.isEmpty) {
        filter
      } else {
        val pushed = eval.copy(child = Filter(pushable.reduce(And), eval.child))
        kept.reduceOption(And).map(Filter(_, pushed)).getOrElse(pushed)
      }
  }
}
