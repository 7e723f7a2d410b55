package dev.flood.backend.profile;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Where one step's time went: per {@link OpClass} the ops timed, their measured milliseconds (mark to mark around
 * each op) and the sum of their roofline floors; the gaps (device time between one op's end and the next op's
 * start: the device waiting for the host, or host work inside the step); and the whole step, first mark to last.
 *
 * @param stepMillis the step from its first mark to its last
 * @param gapMillis  the step minus the time inside ops
 * @param classes    every class, in {@link OpClass} order (zeros where no op of it ran)
 */
public record StepBreakdown(double stepMillis, double gapMillis, Map<OpClass, ClassTime> classes) {

    /** One class's ops in one step. */
    public record ClassTime(int ops, double millis, double floorMillis) {
    }

    public StepBreakdown {
        classes = Map.copyOf(classes);
        for (OpClass c : OpClass.values()) {
            if (!classes.containsKey(c)) {
                throw new IllegalArgumentException("no entry for " + c);
            }
        }
    }

    /** The sum of every class's floor: the step's floor (gaps have none). */
    public double floorMillis() {
        return classes.values().stream().mapToDouble(ClassTime::floorMillis).sum();
    }

    public ClassTime of(OpClass c) {
        return classes.get(c);
    }

    /**
     * The median of each figure over steps of the same shape (floors and op counts are the same in each):
     * robust to the odd step delayed by the host. The gaps are the median step less the classes' medians, so that
     * the table adds up (medians of parts need not add up to the median of the whole); on steps this close to each
     * other that differs from the gaps' own median by microseconds.
     */
    public static StepBreakdown median(List<StepBreakdown> steps) {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("no steps");
        }
        Map<OpClass, ClassTime> classes = new EnumMap<>(OpClass.class);
        for (OpClass c : OpClass.values()) {
            ClassTime first = steps.get(0).of(c);
            classes.put(c, new ClassTime(first.ops(), median(steps.stream().mapToDouble(s -> s.of(c).millis())
                    .toArray()), first.floorMillis()));
        }
        double step = median(steps.stream().mapToDouble(StepBreakdown::stepMillis).toArray());
        double inside = classes.values().stream().mapToDouble(ClassTime::millis).sum();
        return new StepBreakdown(step, step - inside, classes);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * Collects a step's timed ops as mark pairs; {@link #build} reads the clock once the step is done, so that
     * timing never makes the host wait for the device mid-step.
     */
    static final class Builder {
        private record Timed(OpClass opClass, OpCost cost, int start, int end) {
        }

        private final Ceilings ceilings;
        private final List<Timed> timed = new ArrayList<>();

        Builder(Ceilings ceilings) {
            this.ceilings = ceilings;
        }

        void add(OpClass opClass, OpCost cost, int startMark, int endMark) {
            timed.add(new Timed(opClass, cost, startMark, endMark));
        }

        /** The breakdown of the step from mark {@code first} to mark {@code last}; waits for {@code last}. */
        StepBreakdown build(OpClock clock, int first, int last) {
            double stepMillis = clock.millis(first, last);
            Map<OpClass, int[]> ops = new EnumMap<>(OpClass.class);
            Map<OpClass, double[]> millisAndFloor = new EnumMap<>(OpClass.class);
            for (OpClass c : OpClass.values()) {
                ops.put(c, new int[1]);
                millisAndFloor.put(c, new double[2]);
            }
            double inside = 0;
            for (Timed t : timed) {
                double millis = clock.millis(t.start(), t.end());
                ops.get(t.opClass())[0]++;
                millisAndFloor.get(t.opClass())[0] += millis;
                millisAndFloor.get(t.opClass())[1] += t.cost().floorSeconds(ceilings) * 1e3;
                inside += millis;
            }
            Map<OpClass, ClassTime> classes = new EnumMap<>(OpClass.class);
            for (OpClass c : OpClass.values()) {
                classes.put(c, new ClassTime(ops.get(c)[0], millisAndFloor.get(c)[0], millisAndFloor.get(c)[1]));
            }
            return new StepBreakdown(stepMillis, Math.max(0, stepMillis - inside), classes);
        }
    }
}
