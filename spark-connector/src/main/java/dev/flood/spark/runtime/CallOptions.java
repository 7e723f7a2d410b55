package dev.flood.spark.runtime;

import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A call's options argument, a constant evaluated during analysis: a map ({@code map('max_tokens', '32')}) or a
 * struct ({@code named_struct('max_tokens', 32)}). Values of any type are read as their string form.
 */
public final class CallOptions {

    private CallOptions() {
    }

    /**
     * @param value the argument's Catalyst value
     * @param type  the argument's type
     */
    public static Map<String, String> read(FloodFunction function, Object value, DataType type) {
        Map<String, String> options = new TreeMap<>();
        if (value == null) {
            return options;
        }
        Object external = CatalystTypeConverters.createToScalaConverter(type).apply(value);
        if (type instanceof MapType) {
            for (Map.Entry<?, ?> e : CollectionConverters.asJava((scala.collection.Map<?, ?>) external).entrySet()) {
                put(function, options, String.valueOf(e.getKey()), e.getValue());
            }
        } else if (type instanceof StructType struct) {
            Row row = (Row) external;
            for (int i = 0; i < struct.fields().length; i++) {
                put(function, options, struct.fields()[i].name(), row.get(i));
            }
        } else {
            throw new IllegalArgumentException(function.sqlName() + ": options must be a map or a struct, got "
                    + type.simpleString());
        }
        return options;
    }

    private static void put(FloodFunction function, Map<String, String> options, String key, Object value) {
        if (value == null) {
            throw new IllegalArgumentException(function.sqlName() + ": option '" + key + "' is null");
        }
        options.put(key, value.toString());
    }
}
