package dev.flood.spark.catalyst

import dev.flood.spark.FloodSettings
import dev.flood.spark.runtime.{CallOptions, FloodFunction, FloodSchemas}
import org.apache.spark.sql.catalyst.analysis.TypeCheckResult
import org.apache.spark.sql.catalyst.expressions.{Cast, Expression, Unevaluable}
import org.apache.spark.sql.types.{ArrayType, DataType, StringType}

/**
 * A call of flood_generate, flood_perplexity or flood_score. Children: the data arguments (prompt or text, and
 * flood_score's choices), then the optional options argument, a constant read once here. Never evaluated row by
 * row: [[ExtractFloodCalls]] moves every call into a [[FloodEval]] node, which runs rows in batches.
 */
case class FloodCall(function: FloodFunction, children: Seq[Expression]) extends Expression with Unevaluable {

  def arguments: Seq[Expression] = children.take(function.numArguments)

  def optionsArgument: Option[Expression] = children.drop(function.numArguments).headOption

  /** The call's own options, by key (the conf's are merged in when the query is planned). */
  lazy val callOptions: java.util.Map[String, String] = optionsArgument match {
    case Some(options) => CallOptions.read(function, options.eval(), options.dataType)
    case None => java.util.Map.of()
  }

  override def checkInputDataTypes(): TypeCheckResult = {
    val mismatch = arguments.zip(FloodCall.argumentTypes(function)).find { case (a, t) => !FloodCall.accepts(t, a.dataType) }
    mismatch.map { case (a, t) =>
      TypeCheckResult.TypeCheckFailure(s"$prettyName needs ${t.simpleString} for ${a.sql}, got ${a.dataType.simpleString}")
    }.getOrElse(TypeCheckResult.TypeCheckSuccess)
  }

  override lazy val dataType: DataType = FloodSchemas.dataType(function, FloodSettings.outputOf(callOptions))

  override def nullable: Boolean = true

  override def prettyName: String = function.sqlName

  override def toString: String = s"$prettyName(${children.mkString(", ")})"

  override protected def withNewChildrenInternal(newChildren: IndexedSeq[Expression]): FloodCall =
    copy(children = newChildren)
}

object FloodCall {

  /** The prompt or text is a string; flood_score's choices an array of strings. */
  def argumentTypes(function: FloodFunction): Seq[DataType] = function match {
    case FloodFunction.SCORE => Seq(StringType, ArrayType(StringType))
    case _ => Seq(StringType)
  }

  /** Whether a value of `actual` type can be read as `expected` (arrays may or may not hold nulls). */
  def accepts(expected: DataType, actual: DataType): Boolean = (expected, actual) match {
    case (ArrayType(e, _), ArrayType(a, _)) => e == a
    case _ => expected == actual
  }

  /**
   * The function builder Spark calls when it resolves `name(args)`: casts data arguments of other types (a number
   * prompt becomes its string form) and checks the arguments and the options.
   */
  def builder(function: FloodFunction): Seq[Expression] => Expression = { children =>
    val expected = function.numArguments
    if (children.length != expected && children.length != expected + 1) {
      throw new IllegalArgumentException(s"${function.sqlName} takes $expected data argument(s) and an optional " +
        s"options map or struct, got ${children.length} argument(s)")
    }
    val cast = children.take(expected).zip(argumentTypes(function)).map {
      case (argument, t) if accepts(t, argument.dataType) => argument
      case (argument, ArrayType(StringType, _)) if argument.dataType.isInstanceOf[ArrayType] =>
        Cast(argument, ArrayType(StringType))
      case (argument, _: ArrayType) =>
        throw new IllegalArgumentException(s"${function.sqlName}: choices must be an array, got " +
          s"${argument.dataType.simpleString} for ${argument.sql}")
      case (argument, t) => Cast(argument, t)
    }
    val call = FloodCall(function, cast ++ children.drop(expected))
    call.optionsArgument.filterNot(_.foldable).foreach { options =>
      throw new IllegalArgumentException(s"${function.sqlName}: the options argument must be a constant map or " +
        s"struct, got ${options.sql}")
    }
    call.dataType // reads and checks the options now, so a bad key fails analysis
    call
  }
}
