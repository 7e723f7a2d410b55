package dev.flood.estimate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.engine.ScheduleSimulation;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fit recovers the costs that made the runs, and never returns a negative one. */
class ThroughputModelTest {

    private static ThroughputModel.Observation run(long steps, double matmulMacs, double attentionMacs,
                                                   ThroughputModel truth) {
        ScheduleSimulation.Totals totals = new ScheduleSimulation.Totals(steps, 0, 0, 0, 0, 1);
        double seconds = truth.secondsPerStep() * steps + truth.secondsPerGigaMac() * matmulMacs / 1e9
                + truth.secondsPerAttentionGigaMac() * attentionMacs / 1e9;
        return new ThroughputModel.Observation(totals, matmulMacs, attentionMacs, seconds);
    }

    @Test
    void threeRunsOfDifferentShapesGiveBackTheirCosts() {
        ThroughputModel truth = new ThroughputModel(0.012, 0.0004, 0.003);
        ThroughputModel fitted = ThroughputModel.fit(List.of(run(900, 4e13, 2e12, truth), run(64, 1e12, 1e9, truth),
                run(10, 3e12, 4e12, truth), run(300, 9e12, 5e11, truth)));
        assertEquals(truth.secondsPerStep(), fitted.secondsPerStep(), 1e-9);
        assertEquals(truth.secondsPerGigaMac(), fitted.secondsPerGigaMac(), 1e-12);
        assertEquals(truth.secondsPerAttentionGigaMac(), fitted.secondsPerAttentionGigaMac(), 1e-12);
    }

    @Test
    void costsThatWouldComeOutNegativeAreHeldAtZero() {
        // the first two runs alone say steps are free; with the third the unconstrained fit wants a negative cost
        ThroughputModel truth = new ThroughputModel(0, 0.001, 0);
        List<ThroughputModel.Observation> runs = List.of(run(100, 1e12, 0, truth), run(10, 2e12, 0, truth),
                new ThroughputModel.Observation(new ScheduleSimulation.Totals(1000, 0, 0, 0, 0, 1), 5e11, 1e9, 0.45));
        ThroughputModel fitted = ThroughputModel.fit(runs);
        assertTrue(fitted.secondsPerStep() >= 0 && fitted.secondsPerGigaMac() >= 0
                && fitted.secondsPerAttentionGigaMac() >= 0, fitted.toString());
    }

    @Test
    void aLoneRunIsExplainedExactly() {
        ScheduleSimulation.Totals totals = new ScheduleSimulation.Totals(100, 1000, 0, 0, 0, 1);
        ModelShape shape = new ModelShape("x", 2e9, 0, 0);
        ThroughputModel fitted = ThroughputModel.fit(List.of(new ThroughputModel.Observation(totals,
                shape.matmulMacs(totals), 0, 2.0)));
        assertEquals(2.0, fitted.seconds(totals, shape), 1e-9);
    }

    @Test
    void noRunsOrNegativeCostsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ThroughputModel.fit(List.of()));
        assertEquals("a throughput model needs non-negative costs, not all 0; got -1.0 s per step, 0.0 s per GMAC and"
                + " 0.0 s per attention GMAC", assertThrows(IllegalArgumentException.class,
                () -> new ThroughputModel(-1, 0, 0)).getMessage());
    }
}
