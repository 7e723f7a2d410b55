package dev.flood.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Writing numbers that may not exist into JSON records. */
final class JsonFields {

    private JsonFields() {
    }

    /** JSON has no NaN or infinity: a statistic that does not exist (perplexity of one token) is written as null. */
    static void putFinite(ObjectNode record, String key, double value) {
        if (Double.isFinite(value)) {
            record.put(key, value);
        } else {
            record.putNull(key);
        }
    }
}
