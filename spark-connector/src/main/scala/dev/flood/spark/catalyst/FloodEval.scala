package dev.flood.spark.catalyst

import org.apache.spark.sql.catalyst.expressions.{Attribute, AttributeSet}
import org.apache.spark.sql.catalyst.plans.logical.{LogicalPlan, UnaryNode}

/**
 * Evaluates Flood calls over the child's rows in batches; outputs the child's columns followed by one column per
 * call (`resultAttrs(i)` holds `calls(i)`). The calls' arguments read only the child's output and contain no
 * other call.
 */
case class FloodEval(calls: Seq[FloodCall], resultAttrs: Seq[Attribute], child: LogicalPlan) extends UnaryNode {

  override def output: Seq[Attribute] = child.output ++ resultAttrs

  override def producedAttributes: AttributeSet = AttributeSet(resultAttrs)

  override protected def withNewChildInternal(newChild: LogicalPlan): FloodEval = copy(child = newChild)
}
