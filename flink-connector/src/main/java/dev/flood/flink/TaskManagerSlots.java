package dev.flood.flink;

import java.io.Serializable;
import java.util.Optional;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.streaming.api.operators.StreamingRuntimeContext;

/**
 * The task slots of the TaskManagers that run a Flood function, the default of {@code flood.threads}: each slot
 * runs one subtask, so a TaskManager sized for N slots gives its engine N threads rather than one per processor
 * of the host (several TaskManagers per host would oversubscribe it). Where it comes from:
 * <ul>
 *   <li>the DataStream operator reads the TaskManager's own configuration at run time;</li>
 *   <li>the model DDL and the SQL functions registered from Java read {@code taskmanager.numberOfTaskSlots} from
 *       the configuration the query is planned with, when it is set there (the SQL client's config.yaml);</li>
 *   <li>otherwise unknown: the engine takes every core the TaskManager JVM sees.</li>
 * </ul>
 *
 * @param slots the number of slots, 0 when unknown
 */
@PublicEvolving
public record TaskManagerSlots(int slots) implements Serializable {

    public static final TaskManagerSlots UNKNOWN = new TaskManagerSlots(0);

    public TaskManagerSlots {
        if (slots < 0) {
            throw new IllegalArgumentException("slots must be >= 0 (0 = unknown), got " + slots);
        }
    }

    /** The slots of the TaskManager running an operator, when its runtime context is the operator's own. */
    public static TaskManagerSlots of(RuntimeContext context) {
        if (context instanceof StreamingRuntimeContext streaming) {
            return new TaskManagerSlots(streaming.getTaskManagerRuntimeInfo().getConfiguration()
                    .get(TaskManagerOptions.NUM_TASK_SLOTS));
        }
        return UNKNOWN;
    }

    /** {@code taskmanager.numberOfTaskSlots} where the configuration sets it explicitly. */
    public static TaskManagerSlots of(ReadableConfig configuration) {
        Optional<Integer> slots = configuration.getOptional(TaskManagerOptions.NUM_TASK_SLOTS);
        return slots.map(TaskManagerSlots::new).orElse(UNKNOWN);
    }

    /** The slots, or the processors this JVM sees when they are unknown. */
    public int orProcessors() {
        return slots > 0 ? slots : Runtime.getRuntime().availableProcessors();
    }
}
