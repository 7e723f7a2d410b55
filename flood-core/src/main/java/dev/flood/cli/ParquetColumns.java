package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * The columns of a Parquet row, copied value for value into Parquet output (so every type survives, INT96
 * timestamps and nested groups included) and converted by {@link ParquetJson} for JSON output.
 */
record ParquetColumns(Group row) implements RowColumns {

    ParquetColumns {
        Objects.requireNonNull(row, "row");
    }

    @Override
    public JsonNode get(String name) {
        GroupType type = row.getType();
        return type.containsField(name) ? ParquetJson.field(row, type.getFieldIndex(name)) : MissingNode.getInstance();
    }

    @Override
    public ObjectNode toJson() {
        return ParquetJson.object(row);
    }

    /** {@code columns} is the file's schema, so field i here is field i there. */
    @Override
    public void writeTo(Group out, GroupType columns) {
        for (int field = 0; field < columns.getFieldCount(); field++) {
            Type type = columns.getType(field);
            for (int index = 0; index < row.getFieldRepetitionCount(field); index++) {
                if (!type.isPrimitive()) {
                    out.add(field, row.getGroup(field, index));
                    continue;
                }
                PrimitiveType.PrimitiveTypeName primitive = type.asPrimitiveType().getPrimitiveTypeName();
                switch (primitive) {
                    case BOOLEAN -> out.add(field, row.getBoolean(field, index));
                    case INT32 -> out.add(field, row.getInteger(field, index));
                    case INT64 -> out.add(field, row.getLong(field, index));
                    case FLOAT -> out.add(field, row.getFloat(field, index));
                    case DOUBLE -> out.add(field, row.getDouble(field, index));
                    case INT96 -> out.add(field, row.getInt96(field, index));
                    case BINARY, FIXED_LEN_BYTE_ARRAY -> out.add(field, row.getBinary(field, index));
                    default -> throw new IllegalStateException("column " + type.getName() + " has type " + primitive);
                }
            }
        }
    }
}
