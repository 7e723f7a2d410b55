package dev.flood.examples.spark;

import static dev.flood.spark.FloodFunctions.flood_generate;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Bulk generation, Parquet to Parquet: reads {@code (id, prompt)} rows, appends each prompt's completion with
 * {@code flood_generate} (the SQL function, registered by Flood's session extensions) and writes
 * {@code (id, prompt, completion, finish_reason, completion_tokens, error)}.
 */
public final class BulkGenerate {

    private static final String USAGE = "BulkGenerate [--model DIR] --input PARQUET --output DIR [--max-tokens 32] "
            + "[--temperature 0] [--master local[2]]";

    private BulkGenerate() {
    }

    public static void main(String[] args) {
        ExampleArgs options = ExampleArgs.parse(USAGE, args);
        SparkSession spark = LocalSpark.start("flood-bulk-generate", options.optional("master", "local[2]"),
                options.model(), LocalSpark.Registration.EXTENSIONS);
        Map<String, String> sampling = Map.of("max_tokens", options.optional("max-tokens", "32"),
                "temperature", options.optional("temperature", "0"), "output", "struct");

        long start = System.nanoTime();
        Dataset<Row> prompts = spark.read().parquet(options.required("input"));
        prompts.withColumn("generated", flood_generate(col("prompt"), sampling))
                .select(col("id"), col("prompt"), col("generated.text").as("completion"),
                        col("generated.finish_reason").as("finish_reason"),
                        col("generated.completion_tokens").as("completion_tokens"), col("generated.error").as("error"))
                .write().mode("overwrite").parquet(options.required("output"));
        double seconds = (System.nanoTime() - start) / 1e9;

        Dataset<Row> written = spark.read().parquet(options.required("output"));
        Row totals = written.agg(sum("completion_tokens")).first();
        long rows = written.count();
        long failed = written.where(col("error").isNotNull()).count();
        System.out.printf("generated %d rows (%d failed), %d tokens in %.1f s%n", rows, failed, totals.getLong(0), seconds);
        written.orderBy("id").show(5, 60);
        spark.stop();
    }
}
