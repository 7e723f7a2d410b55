package dev.flood.spark.catalyst

import org.apache.spark.sql.catalyst.plans.logical.{LogicalPlan, Project}
import org.apache.spark.sql.catalyst.rules.Rule

/**
 * Drops the calls of a [[FloodEval]] whose results nothing above reads, and the node itself when none is left,
 * as Spark's column pruning drops unread deterministic expressions: `df.withColumn("o", flood_generate(...))
 * .count()` generates nothing. Column pruning puts a Project over the node that lists what is read; this rule
 * sees that Project. An outer call that is dropped no longer reads an inner node's result, so the next pass of
 * the batch drops that one too.
 */
object PruneUnreadFloodCalls extends Rule[LogicalPlan] {

  override def apply(plan: LogicalPlan): LogicalPlan = plan.transform {
    case project @ Project(_, eval: FloodEval) if !eval.resultAttrs.forall(project.references.contains) =>
      val kept = eval.calls.zip(eval.resultAttrs).filter { case (_, result) => project.references.contains(result) }
      val pruned = if (kept.isEmpty) eval.child else eval.copy(calls = kept.map(_._1), resultAttrs = kept.map(_._2))
      project.copy(child = pruned)
  }
}
