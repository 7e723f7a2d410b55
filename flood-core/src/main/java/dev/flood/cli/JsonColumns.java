package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.schema.GroupType;

/** The columns of a JSON Lines row (or of a {@code --prompt} given on the command line): the JSON object as given. */
record JsonColumns(ObjectNode object) implements RowColumns {

    JsonColumns {
        Objects.requireNonNull(object, "object");
    }

    @Override
    public JsonNode get(String name) {
        return object.path(name);
    }

    @Override
    public ObjectNode toJson() {
        return object;
    }

    /** Each field becomes the column of its name, converted as {@link JsonToParquet} does; absent fields are null. */
    @Override
    public void writeTo(Group row, GroupType columns) {
        for (int field = 0; field < columns.getFieldCount(); field++) {
            JsonToParquet.append(row, field, columns.getType(field), object.get(columns.getFieldName(field)));
        }
    }
}
