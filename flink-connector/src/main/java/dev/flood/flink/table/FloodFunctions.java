package dev.flood.flink.table;

import dev.flood.flink.TaskManagerSlots;
import java.util.Map;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.table.api.TableEnvironment;

/**
 * Registers {@code FLOOD_GENERATE}, {@code FLOOD_CHAT} and {@code FLOOD_PERPLEXITY} as temporary system functions
 * from Java.
 */
@PublicEvolving
public final class FloodFunctions {

    public static final String GENERATE = "FLOOD_GENERATE";
    public static final String CHAT = "FLOOD_CHAT";
    public static final String PERPLEXITY = "FLOOD_PERPLEXITY";

    private FloodFunctions() {
    }

    /**
     * {@code options}: {@code flood.*} keys given to every function, over the job's parameters. The engine's threads
     * default to {@code taskmanager.numberOfTaskSlots} where the table environment's configuration sets it.
     */
    public static void register(TableEnvironment tableEnv, Map<String, String> options) {
        TaskManagerSlots slots = TaskManagerSlots.of(tableEnv.getConfig());
        tableEnv.createTemporarySystemFunction(GENERATE, new FloodGenerate(options, slots));
        tableEnv.createTemporarySystemFunction(CHAT, new FloodChat(options, slots));
        tableEnv.createTemporarySystemFunction(PERPLEXITY, new FloodPerplexity(options, slots));
    }
}
