package dev.flood.examples.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Writes a Parquet file of {@code (id bigint, prompt string)} rows, the input of {@link BulkGenerate}. */
public final class SamplePrompts {

    private static final String USAGE = "SamplePrompts --output DIR [--rows 200] [--master local[2]]";
    private static final List<String> OPENINGS = List.of("Once upon a time", "The recipe begins with",
            "In the year 2050", "The quick brown fox", "Dear committee members,", "def main():",
            "The three laws of motion are", "Breaking news:", "Here is a short poem about");
    private static final List<String> SUBJECTS = List.of("a lighthouse keeper", "the river", "an old computer",
            "the city at night", "a small robot", "the harvest", "a forgotten library");

    private SamplePrompts() {
    }

    public static void main(String[] args) {
        ExampleArgs options = ExampleArgs.parse(USAGE, args);
        int numRows = options.integer("rows", 200);
        List<Row> rows = new ArrayList<>();
        for (int id = 0; id < numRows; id++) {
            String prompt = OPENINGS.get(id % OPENINGS.size()) + " " + SUBJECTS.get(id / OPENINGS.size() % SUBJECTS.size());
            rows.add(RowFactory.create((long) id, prompt));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType);
        SparkSession spark = SparkSession.builder().appName("flood-sample-prompts")
                .master(options.optional("master", "local[2]")).config("spark.ui.enabled", "false").getOrCreate();
        spark.createDataFrame(rows, schema).write().mode("overwrite").parquet(options.required("output"));
        System.out.println("wrote " + numRows + " prompts to " + options.required("output"));
        spark.stop();
    }
}
