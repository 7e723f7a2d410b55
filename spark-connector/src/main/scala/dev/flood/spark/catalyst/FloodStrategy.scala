package dev.flood.spark.catalyst

import scala.jdk.CollectionConverters._

import dev.flood.spark.FloodSettings
import dev.flood.spark.runtime.CallSpec
import org.apache.spark.sql.SparkSession
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan
import org.apache.spark.sql.execution.{SparkPlan, SparkStrategy}

/**
 * Plans [[FloodEval]] as [[FloodEvalExec]], resolving each call's settings against the session's conf now
 * (see [[dev.flood.spark.FloodSettings]] for the precedence), so a bad option fails before any task runs.
 */
class FloodStrategy(session: SparkSession) extends SparkStrategy {

  override def apply(plan: LogicalPlan): Seq[SparkPlan] = plan match {
    case FloodEval(calls, resultAttrs, child) =>
      val conf = session.conf.getAll.asJava
      val specs = calls.map(call => new CallSpec(call.function, FloodSettings.resolve(conf, call.callOptions)))
      FloodEvalExec(calls, resultAttrs, specs, planLater(child)) :: Nil
    case _ => Nil
  }
}
