package dev.flood.engine;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.cpu.UnwrittenSlotsAreNaN;
import dev.flood.engine.pipeline.BackendFactory;
import dev.flood.testing.SlotLineage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs work on a CPU engine whose every stage's cache starts as NaN ({@link UnwrittenSlotsAreNaN}) and is watched by
 * {@link SlotLineage}: what attention would read wrongly on a device (a slot never written, or holding another
 * position or a stale value) shows up, though the CPU's numbers might hide it. For tests in other packages too.
 * Give the config an explicit, small {@code cacheTokens}: the NaN fill writes every slot once per layer.
 */
public final class LineageRuns {

    /** What every stage's lineage found, and the batches stage 0 ran, in order. */
    public record Run(List<String> violations, List<ForwardBatch> batches) {
    }

    private LineageRuns() {
    }

    public static Run run(EngineConfig config, Consumer<FloodEngine> work) {
        if (!config.backend().equals("cpu")) {
            throw new IllegalArgumentException("lineage runs use the CPU backend, not " + config.backend());
        }
        List<SlotLineage> stages = new ArrayList<>();
        BackendFactory watched = (c, stage) -> {
            SlotLineage lineage = new SlotLineage(new UnwrittenSlotsAreNaN(BackendFactory.STANDARD.open(c, stage)));
            synchronized (stages) {
                stages.add(lineage);
            }
            return lineage;
        };
        try (FloodEngine engine = Engine.open(config, watched, Recovery.Policy.DEFAULT)) {
            work.accept(engine);
        }
        synchronized (stages) {
            List<String> violations = new ArrayList<>();
            stages.forEach(s -> violations.addAll(s.violations()));
            return new Run(violations, stages.isEmpty() ? List.of() : stages.get(0).batches());
        }
    }
}
