package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.schema.GroupType;

/**
 * The columns of one input row, carried through to the output: as JSON fields in JSON Lines output, as Parquet
 * values of the input's types in Parquet output. One implementation per input format.
 */
interface RowColumns {

    /** Column {@code name} as JSON: a missing node when the row has no such column, a null node when it is null. */
    JsonNode get(String name);

    /** Every column in order, as the fields of a JSON object the caller must not modify. */
    ObjectNode toJson();

    /**
     * Writes every column into {@code row}, whose first {@code columns.getFieldCount()} fields are the input's
     * columns in the input's order, typed as {@link InputSource#columns()} describes them.
     */
    void writeTo(Group row, GroupType columns);
}
