package dev.flood.examples.spark;

import dev.flood.spark.FloodSparkExtensions;
import dev.flood.spark.FloodSparkPlugin;
import org.apache.spark.sql.SparkSession;

/** The examples' Spark session: local mode, the CPU backend, the model given on the command line. */
final class LocalSpark {

    private LocalSpark() {
    }

    /**
     * @param master     e.g. {@code local[2]}
     * @param model      the model folder, set as {@code spark.flood.model}
     * @param extensions whether to register Flood's SQL functions ({@code spark.sql.extensions})
     */
    static SparkSession start(String appName, String master, String model, Registration extensions) {
        SparkSession.Builder builder = SparkSession.builder()
                .appName(appName)
                .master(master)
                .config("spark.ui.enabled", "false")
                .config("spark.plugins", FloodSparkPlugin.class.getName())
                .config("spark.flood.model", model);
        if (extensions == Registration.EXTENSIONS) {
            builder.config("spark.sql.extensions", FloodSparkExtensions.class.getName());
        }
        return builder.getOrCreate();
    }

    /** Whether the session registers Flood's SQL extensions. */
    enum Registration { EXTENSIONS, NONE }
}
