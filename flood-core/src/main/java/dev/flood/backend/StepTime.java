package dev.flood.backend;

/**
 * How long a backend's device spent on one step, and how long it sat idle before the step since the previous one
 * ended; read from the device's own clock (CUDA events around each step on the stage's stream) or, for a backend
 * whose device is the host, from the wall clock between {@link Backend#beginStep} and {@link Backend#endStep}.
 *
 * @param busyNanos   from the step's start to its end on the device
 * @param idleNanos   from the previous step's end to this step's start; -1 for a backend's first step
 */
public record StepTime(long busyNanos, long idleNanos) {
}
