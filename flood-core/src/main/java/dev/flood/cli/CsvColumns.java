package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.schema.GroupType;

/**
 * The columns of a CSV record: every value a string, as CSV has no types (an empty field is an empty string).
 *
 * @param header the file's column names, shared by its records
 * @param values this record's values, one per header name
 */
record CsvColumns(List<String> header, List<String> values) implements RowColumns {

    CsvColumns {
        if (header.size() != values.size()) {
            throw new IllegalArgumentException(values.size() + " values for " + header.size() + " columns");
        }
    }

    @Override
    public JsonNode get(String name) {
        int index = header.indexOf(name);
        return index < 0 ? MissingNode.getInstance() : JsonNodeFactory.instance.textNode(values.get(index));
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode object = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < header.size(); i++) {
            object.put(header.get(i), values.get(i));
        }
        return object;
    }

    /** The columns are the header's, in its order, each a string. */
    @Override
    public void writeTo(Group row, GroupType columns) {
        for (int i = 0; i < values.size(); i++) {
            row.add(i, values.get(i));
        }
    }
}
