package dev.flood.spark.cluster;

import static dev.flood.spark.FloodFunctions.flood_generate;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;

import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The application {@link StandaloneClusterIT} submits: {@code flood_generate} over {@code rows} rows in four
 * partitions, written as JSON to {@code output}. Its jar holds this class only; Flood comes from the -all jar
 * given to spark-submit. Arguments: output folder, rows, max tokens.
 */
public final class ClusterJob {

    private ClusterJob() {
    }

    /** The prompt of row {@code id}, which the test rebuilds to check the completions. */
    public static String prompt(long id) {
        return "row " + id + " of the cluster job";
    }

    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().appName("flood-cluster-job").getOrCreate();
        long rows = Long.parseLong(args[1]);
        spark.range(0, rows, 1, 4)
                .withColumn("prompt", concat(lit("row "), col("id"), lit(" of the cluster job")))
                .withColumn("completion", flood_generate(col("prompt"), Map.of("max_tokens", args[2])))
                .write().json(args[0]);
        spark.stop();
    }
}
