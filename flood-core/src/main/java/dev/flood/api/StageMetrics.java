package dev.flood.api;

/**
 * One pipeline stage's counters since the engine opened.
 *
 * <p>Idle time: the time the stage's device sat idle between the end of one step and the start of the next
 * (CUDA: events recorded on the stage's stream around each step; CPU: the wall clock of the stage's worker
 * between finishing a step and starting the next). A gap after which the engine had had no request at all is not
 * counted: nothing was waiting then.
 *
 * @param stage        the stage's index, 0 first
 * @param device       where it runs, e.g. {@code cuda:0} or {@code cpu}
 * @param firstLayer   its first decoder layer
 * @param endLayer     one past its last decoder layer
 * @param steps        steps whose device times are known (all but the last few in flight)
 * @param busySeconds  device time inside those steps
 * @param idleSeconds  device idle time between consecutive steps while work was waiting
 */
public record StageMetrics(int stage, String device, int firstLayer, int endLayer, long steps, double busySeconds,
                           double idleSeconds) {

    /** Idle time as a share of step time: 0.05 means the device idles 5% as long as it computes. */
    public double idleShare() {
        return busySeconds == 0 ? 0 : idleSeconds / busySeconds;
    }
}
