package dev.flood.spark.runtime;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;

/**
 * Starts a partition runner inside a task: leases each call's engine from the executor's registry (on the task's
 * GPUs, if it was given any) and gives the leases back when the task completes, however it ends. A killed task
 * (job cancel, task kill, speculation loser) cancels its rows in flight, and a task that ends with rows still in
 * flight (it failed, or its consumer stopped early) cancels them, so the engine stops working for it at its next
 * step. A row that fails under on_error=fail fails the stage at once ({@link StageFailures}).
 */
final class TaskRun {

    private TaskRun() {
    }

    static <R> Iterator<PartitionRunner.Evaluated<R>> start(List<CallSpec> calls, PartitionRunner.InputReader<R> reader,
                                                            RunnerMetrics metrics, Iterator<R> rows) {
        TaskContext context = TaskContext.get();
        List<Integer> gpus = TaskResources.gpus(context);
        List<EngineRegistry.Lease> leases = new ArrayList<>();
        List<CallRunner> runners = new ArrayList<>();
        int window = Integer.MAX_VALUE;
        try {
            for (CallSpec call : calls) {
                EngineRegistry.Lease lease = EngineRegistry.shared().acquire(call.settings().engineConfig(gpus));
                leases.add(lease);
                runners.add(new CallRunner(call.function(), call.settings(), lease.engine()));
                window = Math.min(window, call.settings().maxInFlightRows());
            }
        } catch (RuntimeException e) {
            leases.forEach(EngineRegistry.Lease::close);
            throw e;
        }
        PartitionRunner<R> runner = new PartitionRunner<>(runners, reader, window, metrics,
                context == null ? -1 : context.partitionId(), context == null ? () -> false : context::isInterrupted);
        if (context != null) {
            context.addTaskCompletionListener((TaskCompletionListener) completed -> {
                runner.cancelInFlight();
                runner.finish();
                leases.forEach(EngineRegistry.Lease::close);
            });
        }
        Iterator<PartitionRunner.Evaluated<R>> evaluated = runner.run(rows);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                try {
                    return evaluated.hasNext();
                } catch (RowFailure failure) {
                    throw StageFailures.failStage(context, failure);
                }
            }

            @Override
            public PartitionRunner.Evaluated<R> next() {
                try {
                    return evaluated.next();
                } catch (RowFailure failure) {
                    throw StageFailures.failStage(context, failure);
                }
            }
        };
    }
}
