package dev.flood.spark.runtime;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/** The GPUs Spark assigned to the running task ({@code spark.task.resource.gpu.amount}), if any. */
final class TaskResources {

    static final String GPU = "gpu";

    private TaskResources() {
    }

    /** The ordinals of the task's {@code gpu} resource; empty outside a task or when none was assigned. */
    static List<Integer> gpus(TaskContext context) {
        if (context == null) {
            return List.of();
        }
        ResourceInformation gpu = context.resourcesJMap().get(GPU);
        if (gpu == null) {
            return List.of();
        }
        List<Integer> ordinals = new ArrayList<>();
        for (String address : gpu.addresses()) {
            try {
                ordinals.add(Integer.parseInt(address.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("the task's gpu resource address '" + address
                        + "' is not a device ordinal; check the executor's GPU discovery script");
            }
        }
        return ordinals;
    }
}
