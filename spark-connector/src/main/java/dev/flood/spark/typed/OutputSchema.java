package dev.flood.spark.typed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.CharType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.VarcharType;

/**
 * The {@code output_schema} option of flood_generate and flood_chat: a Spark DDL schema
 * ({@code name STRING, age INT, tags ARRAY<STRING>}) or a JSON schema (text starting with <code>{</code>). It
 * gives the JSON schema that decoding is held to and the Spark type of each row's value, which is read from the
 * generated JSON ({@link #read}). A DDL schema becomes a JSON schema as {@link SparkJsonSchema} says; a JSON
 * schema is passed to the engine as given and typed as {@link JsonSchemaTypes} says. Every field of the value
 * type is nullable (a failed or cut-off row's value is null as a whole). Parsed on the driver during analysis,
 * where a schema without a Spark type fails the query, and again once per task.
 */
public final class OutputSchema {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private final DataType valueType;
    private final String jsonSchema;

    private OutputSchema(DataType valueType, String jsonSchema) {
        this.valueType = valueType;
        this.jsonSchema = jsonSchema;
    }

    /** The option's value as a schema; IllegalArgumentException saying what in it has no JSON or Spark type. */
    public static OutputSchema parse(String option) {
        String text = option.trim();
        if (text.startsWith("{")) {
            JsonNode schema;
            try {
                schema = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("output_schema starts with '{' but is not valid JSON: "
                        + e.getOriginalMessage());
            }
            return new OutputSchema(JsonSchemaTypes.of(schema), text);
        }
        StructType struct;
        try {
            struct = StructType.fromDDL(text);
        } catch (Exception e) {
            // Spark's ParseException is a checked AnalysisException
            throw new IllegalArgumentException("output_schema is neither a JSON schema (text starting with '{') nor "
                    + "a Spark DDL schema such as 'name STRING, age INT': " + e.getMessage(), e);
        }
        String jsonSchema;
        try {
            jsonSchema = JSON.writeValueAsString(SparkJsonSchema.of(struct));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
        return new OutputSchema(nullable(struct), jsonSchema);
    }

    /** The Spark type of a row's value: a struct for a DDL schema or an object JSON schema. */
    public DataType valueType() {
        return valueType;
    }

    /** The JSON schema (as JSON text) that decoding is held to. */
    public String jsonSchema() {
        return jsonSchema;
    }

    /**
     * A generated JSON text as a Spark external value of {@link #valueType()} (a Row for a struct). Throws
     * IllegalArgumentException when the text is not JSON or a value does not fit its type, naming the place.
     */
    public Object read(String generated) {
        JsonNode value;
        try {
            value = JSON.readTree(generated);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the output is not JSON: " + e.getOriginalMessage());
        }
        if (value == null || value.isMissingNode()) {
            throw new IllegalArgumentException("the output is empty, not JSON");
        }
        return TypedValues.read(valueType, value, "$");
    }

    /** The type with every field, element and map value nullable, and CHAR/VARCHAR as STRING. */
    private static DataType nullable(DataType type) {
        if (type instanceof StructType struct) {
            List<StructField> fields = new ArrayList<>();
            for (StructField field : struct.fields()) {
                fields.add(DataTypes.createStructField(field.name(), nullable(field.dataType()), true));
            }
            return DataTypes.createStructType(fields);
        }
        if (type instanceof ArrayType array) {
            return DataTypes.createArrayType(nullable(array.elementType()), true);
        }
        if (type instanceof MapType map) {
            return DataTypes.createMapType(map.keyType(), nullable(map.valueType()), true);
        }
        if (type instanceof CharType || type instanceof VarcharType) {
            return DataTypes.StringType;
        }
        return type;
    }
}
