package dev.flood.spark.runtime;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code transform} helpers' work on one partition: the same {@link PartitionRunner} as the physical
 * operator, over external rows, appending one column.
 */
public final class RowPartitionTask implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    private final CallSpec call;
    /** Column indexes of the call's data arguments in the input rows. */
    private final int[] argumentColumns;
    /** Index of the column that key_column names, or -1. */
    private final int keyColumn;
    /** flood_chat's reader of its messages column; null for the other functions. */
    private final MessagesColumn messages;

    /**
     * @param schema    the input rows' schema
     * @param keyColumn the index of the column that key_column names, or -1
     */
    public RowPartitionTask(CallSpec call, StructType schema, int[] argumentColumns, int keyColumn) {
        if (argumentColumns.length != call.function().numArguments()) {
            throw new IllegalArgumentException(call.function().sqlName() + " takes " + call.function().numArguments()
                    + " data columns, got " + argumentColumns.length);
        }
        this.call = call;
        this.argumentColumns = argumentColumns.clone();
        this.keyColumn = keyColumn;
        this.messages = call.function() == FloodFunction.CHAT
                ? MessagesColumn.of(schema.fields()[argumentColumns[0]].dataType()) : null;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        PartitionRunner.InputReader<Row> reader = (row, ignored) -> read(row);
        Iterator<PartitionRunner.Evaluated<Row>> evaluated = TaskRun.start(List.of(call), reader, RunnerMetrics.NONE, rows);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return evaluated.hasNext();
            }

            @Override
            public Row next() {
                PartitionRunner.Evaluated<Row> row = evaluated.next();
                Object[] values = new Object[row.row().length() + 1];
                for (int i = 0; i < row.row().length(); i++) {
                    values[i] = row.row().get(i);
                }
                values[values.length - 1] = row.values()[0];
                return RowFactory.create(values);
            }
        };
    }

    /** The prompt (text, token ids or messages) and flood_score's choices, by the columns given. */
    private CallInput read(Row row) {
        Object prompt = row.get(argumentColumns[0]);
        List<String> choices = argumentColumns.length > 1 && !row.isNullAt(argumentColumns[1])
                ? row.getList(argumentColumns[1]) : null;
        String key = keyColumn < 0 || row.isNullAt(keyColumn) ? null : String.valueOf(row.get(keyColumn));
        if (messages != null) {
            List<CallInput.Message> read = prompt == null ? null : messages.read(row.<Row>getList(argumentColumns[0]));
            return new CallInput(null, null, read, null, key);
        }
        if (prompt instanceof scala.collection.Seq<?> || prompt instanceof List<?>) {
            return new CallInput(null, row.getList(argumentColumns[0]), null, choices, key);
        }
        return new CallInput((String) prompt, null, null, choices, key);
    }
}
