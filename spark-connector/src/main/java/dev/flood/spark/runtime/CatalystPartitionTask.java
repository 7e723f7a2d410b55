package dev.flood.spark.runtime;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.MutableProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import scala.Function1;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The physical operator's work on one partition: evaluates each call's arguments on the child's rows, runs the
 * rows through {@link PartitionRunner}, and appends the calls' values to each row. Output rows are
 * {@code child columns ++ one column per call}, in input order.
 */
public final class CatalystPartitionTask implements Serializable {

    private static final long serialVersionUID = 1L;

    private final List<CallSpec> calls;
    /** Per call, its data arguments, then its key column as a string if it has one, bound to the child's output. */
    private final List<List<Expression>> arguments;
    /** The child's column types, then one per call. */
    private final DataType[] outputTypes;
    private final RunnerMetrics metrics;
    /** Per call, whether its prompt is given as token ids (flood_generate's array argument) rather than text. */
    private final boolean[] tokenPrompts;
    /** Per call, flood_chat's reader of its messages argument; null for the other functions. */
    private final MessagesColumn[] messageReaders;

    public CatalystPartitionTask(List<CallSpec> calls, List<List<Expression>> arguments, List<DataType> outputTypes,
                                 RunnerMetrics metrics) {
        if (calls.size() != arguments.size()) {
            throw new IllegalArgumentException(calls.size() + " calls but " + arguments.size() + " argument lists");
        }
        this.calls = new ArrayList<>(calls);
        this.arguments = new ArrayList<>();
        for (List<Expression> callArguments : arguments) {
            this.arguments.add(new ArrayList<>(callArguments));
        }
        this.outputTypes = outputTypes.toArray(new DataType[0]);
        this.metrics = metrics;
        this.tokenPrompts = new boolean[arguments.size()];
        this.messageReaders = new MessagesColumn[arguments.size()];
        for (int c = 0; c < tokenPrompts.length; c++) {
            DataType promptType = arguments.get(c).get(0).dataType();
            if (calls.get(c).function() == FloodFunction.CHAT) {
                messageReaders[c] = MessagesColumn.of(promptType);
            } else {
                tokenPrompts[c] = promptType instanceof ArrayType;
            }
        }
    }

    public Iterator<InternalRow> run(int partitionIndex, Iterator<InternalRow> rows) {
        List<MutableProjection> argumentProjections = new ArrayList<>();
        for (List<Expression> callArguments : arguments) {
            MutableProjection projection = MutableProjection.create(CollectionConverters.asScala(callArguments).toSeq());
            projection.initialize(partitionIndex);
            argumentProjections.add(projection);
        }
        int numChildColumns = outputTypes.length - calls.size();
        List<Function1<Object, Object>> toCatalyst = new ArrayList<>();
        for (int c = 0; c < calls.size(); c++) {
            toCatalyst.add(CatalystTypeConverters.createToCatalystConverter(outputTypes[numChildColumns + c]));
        }
        PartitionRunner.InputReader<InternalRow> reader = (row, call) -> read(call,
                argumentProjections.get(call).apply(row));
        // the child may reuse its row objects, and the window holds rows until their results come back
        Iterator<InternalRow> copies = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public InternalRow next() {
                return rows.next().copy();
            }
        };
        Iterator<PartitionRunner.Evaluated<InternalRow>> evaluated = TaskRun.start(calls, reader, metrics, copies);
        UnsafeProjection toUnsafe = UnsafeProjection.create(outputTypes);
        JoinedRow joined = new JoinedRow();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return evaluated.hasNext();
            }

            @Override
            public InternalRow next() {
                PartitionRunner.Evaluated<InternalRow> row = evaluated.next();
                Object[] values = new Object[calls.size()];
                for (int c = 0; c < values.length; c++) {
                    values[c] = toCatalyst.get(c).apply(row.values()[c]);
                }
                return toUnsafe.apply(joined.apply(row.row(), new GenericInternalRow(values)));
            }
        };
    }

    /**
     * Argument 0 is the prompt or text (a string, flood_generate's token ids as an array of ints, or flood_chat's
     * messages); flood_score's argument 1 is its choices (an array of strings); a last argument beyond the
     * function's data arguments is the key column, cast to a string.
     */
    private CallInput read(int call, InternalRow arguments) {
        FloodFunction function = calls.get(call).function();
        String text = null;
        List<Integer> tokenIds = null;
        List<CallInput.Message> messages = null;
        if (!arguments.isNullAt(0)) {
            if (messageReaders[call] != null) {
                messages = messageReaders[call].read(arguments.getArray(0));
            } else if (tokenPrompts[call]) {
                tokenIds = tokenIds(arguments.getArray(0));
            } else {
                text = arguments.getUTF8String(0).toString();
            }
        }
        List<String> choices = null;
        if (function == FloodFunction.SCORE && !arguments.isNullAt(1)) {
            ArrayData array = arguments.getArray(1);
            choices = new ArrayList<>(array.numElements());
            for (int i = 0; i < array.numElements(); i++) {
                choices.add(array.isNullAt(i) ? null : array.getUTF8String(i).toString());
            }
        }
        String key = null;
        int keyIndex = function.numArguments();
        if (arguments.numFields() > keyIndex && !arguments.isNullAt(keyIndex)) {
            key = arguments.getUTF8String(keyIndex).toString();
        }
        return new CallInput(text, tokenIds, messages, choices, key);
    }

    /** A null element is kept as null: the engine rejects the request, naming it. */
    private static List<Integer> tokenIds(ArrayData array) {
        List<Integer> ids = new ArrayList<>(array.numElements());
        for (int i = 0; i < array.numElements(); i++) {
            ids.add(array.isNullAt(i) ? null : array.getInt(i));
        }
        return ids;
    }
}
