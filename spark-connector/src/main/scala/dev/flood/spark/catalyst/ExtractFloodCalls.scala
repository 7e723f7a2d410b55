package dev.flood.spark.catalyst

import dev.flood.api.FloodException
import dev.flood.spark.FloodOptions
import org.apache.spark.sql.catalyst.analysis.UnresolvedAttribute
import org.apache.spark.sql.catalyst.expressions.{AttributeReference, Expression, ExpressionSet}
import org.apache.spark.sql.catalyst.plans.logical.{Filter, LogicalPlan, Project, Sort}
import org.apache.spark.sql.catalyst.rules.Rule
import org.apache.spark.sql.internal.SQLConf

/**
 * Moves Flood calls out of the operators that hold them into a [[FloodEval]] node below, leaving attribute
 * references in their place (as Spark's ExtractPythonUDFs does for Python UDFs):
 * {{{
 *   Project [id, flood_generate(prompt) AS out]        Project [id, flood_generate#7 AS out]
 *   +- Relation [id, prompt]                     =>    +- FloodEval [flood_generate(prompt)], [flood_generate#7]
 *                                                         +- Relation [id, prompt]
 * }}}
 * Runs at the end of analysis rather than in the optimizer, so that no optimizer rule ever sees a call inside a
 * Project: filter push-down and CollapseProject inline aliases and would copy a call (generating twice);
 * [[PushFiltersThroughFloodEval]] then moves filters that do not read a result below the node. Calls are
 * supported in SELECT lists, WHERE and ORDER BY; nested calls give a chain of nodes, innermost first; equal calls
 * in one operator run once. A call's `key_column` option is resolved here, against the same input as its
 * arguments, and becomes the call's `key` child (so that column pruning keeps it).
 */
object ExtractFloodCalls extends Rule[LogicalPlan] {

  override def apply(plan: LogicalPlan): LogicalPlan = plan.resolveOperatorsUp {
    case eval: FloodEval => eval
    case node @ (_: Project | _: Filter | _: Sort) if node.expressions.exists(hasCall) => extract(node)
    case node if node.expressions.exists(hasCall) =>
      throw new FloodException(s"${callNames(node)} can only be used in a SELECT list, WHERE or ORDER BY, not in " +
        s"${node.nodeName}; compute it in a projection first (withColumn or a subquery)")
  }

  private def hasCall(e: Expression): Boolean = e.exists(_.isInstanceOf[FloodCall])

  private def callNames(node: LogicalPlan): String =
    node.expressions.flatMap(_.collect { case c: FloodCall => c.prettyName }).distinct.mkString(", ")

  /** Calls with no call in their arguments: the ones that can run now. */
  private def readyCalls(e: Expression): Seq[FloodCall] = e match {
    case call: FloodCall if !call.children.exists(hasCall) => Seq(call)
    case other => other.children.flatMap(readyCalls)
  }

  private def extract(unkeyed: LogicalPlan): LogicalPlan = {
    val child = unkeyed.children.head
    val node = unkeyed.transformExpressions {
      case call: FloodCall if call.key.isEmpty && call.keyColumnName.isDefined =>
        call.copy(key = Some(resolveKey(call, call.keyColumnName.get, child)))
    }
    val calls = ExpressionSet(node.expressions.flatMap(readyCalls)).toSeq.map(_.asInstanceOf[FloodCall])
    calls.find(!_.references.subsetOf(child.outputSet)).foreach { call =>
      throw new FloodException(s"${call.prettyName} reads columns its input does not have: " +
        s"${call.references -- child.outputSet} (outer references are not supported)")
    }
    val resultAttrs = calls.map(call => AttributeReference(call.prettyName, call.dataType)())
    val byCall = calls.map(_.canonicalized).zip(resultAttrs).toMap
    val rewritten = node.withNewChildren(Seq(FloodEval(calls, resultAttrs, child))).transformExpressions {
      case call: FloodCall if byCall.contains(call.canonicalized) => byCall(call.canonicalized)
    }
    val chained = if (rewritten.expressions.exists(hasCall)) extract(rewritten) else rewritten
    // a Filter or Sort now also outputs the results: keep only what it output before
    if (chained.output != node.output) Project(node.output, chained) else chained
  }

  private def resolveKey(call: FloodCall, name: String, input: LogicalPlan): Expression =
    input.resolve(UnresolvedAttribute.quotedString(name).nameParts, SQLConf.get.resolver).getOrElse {
      throw new FloodException(s"${call.prettyName}: ${FloodOptions.KEY_COLUMN.key} '$name' names no column of the " +
        s"call's input (${input.output.map(_.name).mkString(", ")})")
    }
}
