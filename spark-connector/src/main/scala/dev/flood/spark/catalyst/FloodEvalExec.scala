package dev.flood.spark.catalyst

import scala.jdk.CollectionConverters._

import dev.flood.spark.runtime.{CallSpec, CatalystPartitionTask, SqlRunnerMetrics}
import org.apache.spark.rdd.RDD
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{Attribute, AttributeSeq, AttributeSet, BindReferences, Cast, Expression, SortOrder}
import org.apache.spark.sql.catalyst.plans.physical.Partitioning
import org.apache.spark.sql.execution.{SparkPlan, UnaryExecNode}
import org.apache.spark.sql.execution.metric.{SQLMetric, SQLMetrics}
import org.apache.spark.sql.types.StringType

/**
 * Runs a [[FloodEval]]: each partition's rows stream through the executor's shared engine in a bounded window
 * and come out in input order with one column per call appended (the work is in [[CatalystPartitionTask]]).
 * Keeps the child's partitioning and ordering.
 */
case class FloodEvalExec(calls: Seq[FloodCall], resultAttrs: Seq[Attribute], specs: Seq[CallSpec], child: SparkPlan)
  extends UnaryExecNode {

  override def output: Seq[Attribute] = child.output ++ resultAttrs

  override def producedAttributes: AttributeSet = AttributeSet(resultAttrs)

  override def outputPartitioning: Partitioning = child.outputPartitioning

  override def outputOrdering: Seq[SortOrder] = child.outputOrdering

  override lazy val metrics: Map[String, SQLMetric] = Map(
    SqlRunnerMetrics.ROWS -> SQLMetrics.createMetric(sparkContext, "number of output rows"),
    SqlRunnerMetrics.PROMPT_TOKENS -> SQLMetrics.createMetric(sparkContext, "prompt tokens"),
    SqlRunnerMetrics.GENERATED_TOKENS -> SQLMetrics.createMetric(sparkContext, "generated tokens"),
    SqlRunnerMetrics.ENGINE_TIME -> SQLMetrics.createNanoTimingMetric(sparkContext, "engine time (task waiting)"),
    SqlRunnerMetrics.MEAN_RUNNING_BATCH -> SQLMetrics.createAverageMetric(sparkContext, "mean running batch"),
    // their ratio is the prefix cache hit rate; what the sums mean with a shared engine: SqlRunnerMetrics
    SqlRunnerMetrics.CACHED_PROMPT_TOKENS -> SQLMetrics.createMetric(sparkContext, "prompt tokens from prefix cache"),
    SqlRunnerMetrics.LOOKED_UP_PROMPT_TOKENS ->
      SQLMetrics.createMetric(sparkContext, "prompt tokens looked up in prefix cache"),
    SqlRunnerMetrics.CACHED_PREFIX_TOKENS ->
      SQLMetrics.createAverageMetric(sparkContext, "cached prefix tokens at task end"),
    SqlRunnerMetrics.CACHED_PREFIX_EXTENTS ->
      SQLMetrics.createAverageMetric(sparkContext, "cached prefix extents at task end"))

  override protected def doExecute(): RDD[InternalRow] = {
    val input = AttributeSeq.fromNormalOutput(child.output)
    // per call: its data arguments, then its key column as a string (if key_column names one)
    val arguments = calls.map { call =>
      (call.arguments ++ call.key.map(k => Cast(k, StringType)))
        .map(a => BindReferences.bindReference[Expression](a, input)).asJava
    }
    val sink = new SqlRunnerMetrics(metrics.asJava)
    val task = new CatalystPartitionTask(specs.asJava, arguments.asJava, output.map(_.dataType).asJava, sink)
    child.execute().mapPartitionsWithIndex((index, rows) => task.run(index, rows.asJava).asScala)
  }

  override protected def withNewChildInternal(newChild: SparkPlan): FloodEvalExec = copy(child = newChild)
}
