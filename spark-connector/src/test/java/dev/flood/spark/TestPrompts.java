package dev.flood.spark;

import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Prompts for the tests: the fixture's reference prompts and fresh random ones. */
final class TestPrompts {

    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.IntegerType)
            .add("prompt", DataTypes.StringType);

    private TestPrompts() {
    }

    /** The fixture's prompts, then {@code numRandom} random lines of 1 to 12 lower-case words. */
    static List<String> mixed(Random random, int numRandom) {
        List<String> prompts = new ArrayList<>();
        Fixtures.cases(SparkTestSession.MODEL).forEach(c -> prompts.add(c.prompt()));
        for (int i = 0; i < numRandom; i++) {
            prompts.add(words(random, 1 + random.nextInt(12)));
        }
        return prompts;
    }

    static String words(Random random, int numWords) {
        StringBuilder line = new StringBuilder();
        for (int w = 0; w < numWords; w++) {
            if (w > 0) {
                line.append(' ');
            }
            int length = 1 + random.nextInt(8);
            for (int c = 0; c < length; c++) {
                line.append((char) ('a' + random.nextInt(26)));
            }
        }
        return line.toString();
    }

    /** (id, prompt) rows in list order, ids from 0; the default parallelism (2) splits them in two partitions. */
    static Dataset<Row> frame(SparkSession spark, List<String> prompts) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            rows.add(RowFactory.create(i, prompts.get(i)));
        }
        return spark.createDataFrame(rows, SCHEMA);
    }
}
