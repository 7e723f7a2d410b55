package dev.flood.spark.catalyst

import dev.flood.spark.{FloodOptions, FloodSettings}
import dev.flood.spark.runtime.{CallOptions, FloodFunction, FloodSchemas, MessagesColumn}
import org.apache.spark.sql.catalyst.analysis.TypeCheckResult
import org.apache.spark.sql.catalyst.expressions.{Cast, Expression, Unevaluable}
import org.apache.spark.sql.types.{ArrayType, ByteType, DataType, IntegerType, LongType, ShortType, StringType}

/**
 * A call of flood_generate, flood_chat, flood_perplexity or flood_score. Children: the data `arguments` (prompt,
 * messages or text, and flood_score's choices), then the optional `options` argument (a constant read once
 * here), then the optional `key`: the column that `key_column` names, resolved by [[ExtractFloodCalls]] against
 * the call's input so that an on_error=fail message can name the row. Never evaluated row by row:
 * [[ExtractFloodCalls]] moves every call into a [[FloodEval]] node, which runs rows in batches.
 */
case class FloodCall(function: FloodFunction, arguments: Seq[Expression], options: Option[Expression],
                     key: Option[Expression]) extends Expression with Unevaluable {

  override def children: Seq[Expression] = arguments ++ options ++ key

  /** The call's own options, by key (the conf's are merged in when the query is planned). */
  lazy val callOptions: java.util.Map[String, String] = options match {
    case Some(o) => CallOptions.read(function, o.eval(), o.dataType)
    case None => java.util.Map.of()
  }

  /** The column named by the call's key_column option, if it has one. */
  def keyColumnName: Option[String] = Option(callOptions.get(FloodOptions.KEY_COLUMN.key))

  override def checkInputDataTypes(): TypeCheckResult = {
    val problem = if (function == FloodFunction.CHAT) {
      Option(MessagesColumn.problem(arguments.head.dataType).orElse(null))
    } else {
      arguments.zip(FloodCall.argumentTypes(function)).find { case (a, t) => !t.contains(a.dataType) }.map {
        case (a, t) => s"needs ${t.map(_.simpleString).mkString(" or ")} for ${a.sql}, got ${a.dataType.simpleString}"
      }
    }
    problem.map(p => TypeCheckResult.TypeCheckFailure(s"$prettyName $p")).getOrElse(TypeCheckResult.TypeCheckSuccess)
  }

  override lazy val dataType: DataType = FloodSchemas.dataType(function, FloodSettings.outputOf(callOptions),
    FloodSettings.outputSchemaOf(callOptions))

  override def nullable: Boolean = true

  override def prettyName: String = function.sqlName

  override def toString: String = s"$prettyName(${children.mkString(", ")})"

  override protected def withNewChildrenInternal(newChildren: IndexedSeq[Expression]): FloodCall = {
    val numArguments = arguments.length
    copy(arguments = newChildren.take(numArguments),
      options = options.map(_ => newChildren(numArguments)),
      key = key.map(_ => newChildren.last))
  }
}

object FloodCall {

  /** The token ids of a pre-tokenized prompt. */
  private val TokenIds: DataType = ArrayType(IntegerType)

  /**
   * The types each data argument accepts: flood_generate's prompt is text or token ids, flood_perplexity's text
   * a string, flood_score's prompt a string and its choices an array of strings (arrays may hold nulls).
   * flood_chat's messages are checked by [[MessagesColumn]] instead.
   */
  def argumentTypes(function: FloodFunction): Seq[Seq[DataType]] = function match {
    case FloodFunction.GENERATE => Seq(Seq(StringType, TokenIds, ArrayType(IntegerType, containsNull = false)))
    case FloodFunction.SCORE => Seq(Seq(StringType),
      Seq(ArrayType(StringType), ArrayType(StringType, containsNull = false)))
    case _ => Seq(Seq(StringType))
  }

  /**
   * The function builder Spark calls when it resolves `name(args)`: casts data arguments of other types (a number
   * prompt becomes its string form, an array of longs an array of token ids) and checks the arguments and the
   * options.
   */
  def builder(function: FloodFunction): Seq[Expression] => Expression = { children =>
    val expected = function.numArguments
    if (children.length != expected && children.length != expected + 1) {
      throw new IllegalArgumentException(s"${function.sqlName} takes $expected data argument(s) and an optional " +
        s"options map or struct, got ${children.length} argument(s)")
    }
    // flood_chat's messages are never cast: a struct cast goes by position, and the fields may come in either order
    if (function == FloodFunction.CHAT) {
      MessagesColumn.problem(children.head.dataType).ifPresent { problem =>
        throw new IllegalArgumentException(s"${function.sqlName}: $problem for ${children.head.sql}")
      }
    }
    val cast = if (function == FloodFunction.CHAT) children.take(expected)
    else children.take(expected).zip(argumentTypes(function)).map {
      case (argument, types) if types.contains(argument.dataType) => argument
      case (argument, types) if types.contains(TokenIds) => argument.dataType match {
        case ArrayType(ByteType | ShortType | LongType, _) => Cast(argument, TokenIds)
        case _: ArrayType => throw new IllegalArgumentException(s"${function.sqlName}: a prompt must be a string or " +
          s"an array of token ids, got ${argument.dataType.simpleString} for ${argument.sql}")
        case _ => Cast(argument, StringType)
      }
      case (argument, types) if types.head.isInstanceOf[ArrayType] => argument.dataType match {
        case _: ArrayType => Cast(argument, ArrayType(StringType))
        case other => throw new IllegalArgumentException(s"${function.sqlName}: choices must be an array, got " +
          s"${other.simpleString} for ${argument.sql}")
      }
      case (argument, _) => Cast(argument, StringType)
    }
    val options = children.drop(expected).headOption
    options.filterNot(_.foldable).foreach { o =>
      throw new IllegalArgumentException(s"${function.sqlName}: the options argument must be a constant map or " +
        s"struct, got ${o.sql}")
    }
    val call = FloodCall(function, cast, options, None)
    call.dataType // reads and checks the options now, so a bad key fails analysis
    call
  }
}
