package dev.flood.examples.spark;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.trim;

import dev.flood.spark.FloodTransforms;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Bulk perplexity scoring of a text dataset (one text per line) into Parquet: {@code (text, perplexity, tokens,
 * error)}. Uses the {@code transform} helper, so the session needs no Flood extensions.
 */
public final class BulkPerplexity {

    private static final String USAGE = "BulkPerplexity [--model DIR] --input TEXT_FILE --output DIR [--master local[2]]";

    private BulkPerplexity() {
    }

    public static void main(String[] args) {
        ExampleArgs options = ExampleArgs.parse(USAGE, args);
        SparkSession spark = LocalSpark.start("flood-bulk-perplexity", options.optional("master", "local[2]"),
                options.model(), LocalSpark.Registration.NONE);

        Dataset<Row> lines = spark.read().text(options.required("input")).where(length(trim(col("value"))).gt(0));
        lines.transform(FloodTransforms.perplexity("value", "scored", Map.of("output", "struct")))
                .select(col("value").as("text"), col("scored.perplexity").as("perplexity"),
                        col("scored.tokens").as("tokens"), col("scored.error").as("error"))
                .write().mode("overwrite").parquet(options.required("output"));

        Dataset<Row> written = spark.read().parquet(options.required("output"));
        System.out.printf("scored %d texts, mean perplexity %.2f%n", written.count(),
                written.agg(avg("perplexity")).first().getDouble(0));
        System.out.println("most and least surprising texts:");
        written.orderBy(col("perplexity").desc()).show(3, 70);
        written.orderBy(col("perplexity").asc()).show(3, 70);
        spark.stop();
    }
}
