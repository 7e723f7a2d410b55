package dev.flood.flink.table;

import java.util.Map;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.table.api.TableEnvironment;

/** Registers {@code FLOOD_GENERATE} and {@code FLOOD_PERPLEXITY} as temporary system functions from Java. */
@PublicEvolving
public final class FloodFunctions {

    public static final String GENERATE = "FLOOD_GENERATE";
    public static final String PERPLEXITY = "FLOOD_PERPLEXITY";

    private FloodFunctions() {
    }

    /** {@code options}: {@code flood.*} keys given to both functions, over the job's parameters. */
    public static void register(TableEnvironment tableEnv, Map<String, String> options) {
        tableEnv.createTemporarySystemFunction(GENERATE, new FloodGenerate(options));
        tableEnv.createTemporarySystemFunction(PERPLEXITY, new FloodPerplexity(options));
    }
}
