package dev.flood.flink.testing;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

/** A query's rows keyed by their first column, an int id; two rows with one id fail the test. */
public final class TableRows {

    private TableRows() {
    }

    @SuppressWarnings("try") // Flink's CloseableIterator.close declares Exception
    public static Map<Integer, Row> byId(TableResult result) throws Exception {
        Map<Integer, Row> rows = new HashMap<>();
        try (CloseableIterator<Row> it = result.collect()) {
            while (it.hasNext()) {
                Row row = it.next();
                assertNull(rows.put((Integer) row.getField(0), row), "two rows for id " + row.getField(0));
            }
        }
        return rows;
    }
}
