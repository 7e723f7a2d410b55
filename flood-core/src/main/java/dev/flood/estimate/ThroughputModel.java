package dev.flood.estimate;

import dev.flood.engine.ScheduleSimulation;
import java.util.List;

/**
 * How long the engine computes a job: {@code secondsPerStep x steps + secondsPerGigaMac x matmul GMACs +
 * secondsPerAttentionGigaMac x attention GMACs}, for the steps and multiply-adds its schedule adds up to
 * ({@link ScheduleSimulation}, {@link ModelShape}). The per-step term holds what every step costs whatever its size
 * (on a GPU reading the weights once and launching the kernels, on the CPU the step's fixed work and hand-offs);
 * the others what grows with its rows and with their context. All three are fitted to measured runs of the engine
 * on one device ({@link #fit}); runs of different shapes (a lone request decoding, long prompts, a mixed batch)
 * tell them apart.
 */
public record ThroughputModel(double secondsPerStep, double secondsPerGigaMac, double secondsPerAttentionGigaMac) {

    public ThroughputModel {
        if (!(secondsPerStep >= 0) || !(secondsPerGigaMac >= 0) || !(secondsPerAttentionGigaMac >= 0)
                || secondsPerStep + secondsPerGigaMac + secondsPerAttentionGigaMac == 0) {
            throw new IllegalArgumentException("a throughput model needs non-negative costs, not all 0; got "
                    + secondsPerStep + " s per step, " + secondsPerGigaMac + " s per GMAC and "
                    + secondsPerAttentionGigaMac + " s per attention GMAC");
        }
    }

    /**
     * One measured run, as the model sees it.
     *
     * @param totals        its simulated steps and rows
     * @param matmulMacs    its matmuls' multiply-adds ({@link ModelShape#matmulMacs})
     * @param attentionMacs its attention's ({@link ModelShape#attentionMacs})
     * @param seconds       how long it took
     */
    public record Observation(ScheduleSimulation.Totals totals, double matmulMacs, double attentionMacs,
                              double seconds) {

        /** The run's three cost drivers, in the order of the model's coefficients. */
        double[] drivers() {
            return new double[] {totals.steps(), matmulMacs / 1e9, attentionMacs / 1e9};
        }
    }

    /** Seconds for the steps that {@code totals} add up, on a model of {@code shape}. */
    public double seconds(ScheduleSimulation.Totals totals, ModelShape shape) {
        return secondsPerStep * totals.steps() + secondsPerGigaMac * shape.matmulMacs(totals) / 1e9
                + secondsPerAttentionGigaMac * shape.attentionMacs(totals) / 1e9;
    }

    private double seconds(double[] drivers) {
        return secondsPerStep * drivers[0] + secondsPerGigaMac * drivers[1] + secondsPerAttentionGigaMac * drivers[2];
    }

    /**
     * The least-squares fit of the three costs to the runs, none negative: of the fits on every subset of the
     * costs (the others held at 0), the one with the smallest error whose costs are all non-negative. Relative
     * errors are minimized (each run's equation divided by its seconds), so a short run counts as much as a long.
     */
    public static ThroughputModel fit(List<Observation> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no runs to fit a throughput model to");
        }
        ThroughputModel best = null;
        double bestError = Double.POSITIVE_INFINITY;
        for (int subset = 1; subset < 8; subset++) {
            double[] costs = solve(runs, subset);
            if (costs == null || costs[0] < 0 || costs[1] < 0 || costs[2] < 0
                    || costs[0] + costs[1] + costs[2] == 0) {
                continue;
            }
            ThroughputModel model = new ThroughputModel(costs[0], costs[1], costs[2]);
            double error = model.relativeError(runs);
            if (error < bestError) {
                best = model;
                bestError = error;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("the measured runs fit no throughput model: " + runs);
        }
        return best;
    }

    /**
     * The weighted least-squares costs with only the drivers in {@code subset} (bit i: driver i) free, by the
     * normal equations; null when they are singular (the runs cannot tell those drivers apart).
     */
    private static double[] solve(List<Observation> runs, int subset) {
        int[] free = java.util.stream.IntStream.range(0, 3).filter(i -> (subset & (1 << i)) != 0).toArray();
        int k = free.length;
        double[][] system = new double[k][k + 1];   // [A^T W A | A^T W t]
        for (Observation run : runs) {
            double[] x = run.drivers();
            double weight = 1 / (run.seconds() * run.seconds());
            for (int r = 0; r < k; r++) {
                for (int c = 0; c < k; c++) {
                    system[r][c] += weight * x[free[r]] * x[free[c]];
                }
                system[r][k] += weight * x[free[r]] * run.seconds();
            }
        }
        double[] solution = gaussJordan(system);
        if (solution == null) {
            return null;
        }
        double[] costs = new double[3];
        for (int r = 0; r < k; r++) {
            costs[free[r]] = solution[r];
        }
        return costs;
    }

    /** Solves the augmented system in place with partial pivoting; null when it is singular. */
    private static double[] gaussJordan(double[][] system) {
        int k = system.length;
        for (int col = 0; col < k; col++) {
            int pivot = col;
            for (int r = col + 1; r < k; r++) {
                if (Math.abs(system[r][col]) > Math.abs(system[pivot][col])) {
                    pivot = r;
                }
            }
            double scale = 0;
            for (double[] row : system) {
                scale = Math.max(scale, Math.abs(row[col]));
            }
            if (scale == 0 || Math.abs(system[pivot][col]) < 1e-12 * scale) {
                return null;
            }
            double[] swap = system[col];
            system[col] = system[pivot];
            system[pivot] = swap;
            for (int r = 0; r < k; r++) {
                if (r != col) {
                    double factor = system[r][col] / system[col][col];
                    for (int c = col; c <= k; c++) {
                        system[r][c] -= factor * system[col][c];
                    }
                }
            }
        }
        double[] solution = new double[k];
        for (int r = 0; r < k; r++) {
            solution[r] = system[r][k] / system[r][r];
        }
        return solution;
    }

    /** Sum of squared relative errors over the runs. */
    private double relativeError(List<Observation> runs) {
        double sum = 0;
        for (Observation run : runs) {
            double e = (seconds(run.drivers()) - run.seconds()) / run.seconds();
            sum += e * e;
        }
        return sum;
    }
}
