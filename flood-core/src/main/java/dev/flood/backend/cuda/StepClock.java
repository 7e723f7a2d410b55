package dev.flood.backend.cuda;

import dev.flood.backend.StepTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Device times of the backend's steps, from a start and an end event recorded on the stream around each step:
 * busy is start to end, idle is the previous step's end to this step's start (the device had nothing queued in
 * between). Events live in a ring of {@code ring} steps; a step's times are read once its end event completed,
 * and always before the ring reuses its events or those of the step before it (reading then waits, at most for a
 * step whose buffers the backend has waited for anyway). Touched only by the thread that runs the steps.
 */
final class StepClock implements AutoCloseable {

    /** A point on the stream the clock marks: a {@link DeviceEvent} (a fake one in tests). */
    interface Mark extends AutoCloseable {

        void record();

        /** Whether the device has passed the recorded point; does not block. */
        boolean isComplete();

        void synchronize(String what);

        /** Device nanoseconds from {@code start} to this mark, both complete. */
        long nanosSince(Mark start);

        @Override
        void close();
    }

    private final Mark[] starts;
    private final Mark[] ends;
    private final List<StepTime> finished = new ArrayList<>();
    private long begun;      // steps begun; step k uses ring entry k % ring
    private long read;       // steps whose times are read, oldest first
    private boolean open;

    /** A ring for {@code stepsInFlight} steps: those plus the step before the oldest, plus the one beginning. */
    StepClock(Supplier<Mark> marks, int stepsInFlight) {
        int ring = stepsInFlight + 2;
        starts = new Mark[ring];
        ends = new Mark[ring];
        for (int i = 0; i < ring; i++) {
            starts[i] = marks.get();
            ends[i] = marks.get();
        }
    }

    /** Marks a step's start on the stream (after reading the steps whose events this reuses). */
    void begin() {
        end();
        // entry begun % ring holds step begun - ring, whose end the idle time of step begun - ring + 1 needs
        while (read <= begun - starts.length + 1) {
            ends[index(read)].synchronize("a step whose time is read");
            readOldest();
        }
        starts[index(begun)].record();
        begun++;
        open = true;
    }

    /** Marks the running step's end on the stream, if a step is running. */
    void end() {
        if (open) {
            ends[index(begun - 1)].record();
            open = false;
        }
    }

    /** The times of steps read since the last call, plus those of ended steps the device has finished. */
    List<StepTime> drain() {
        long ended = open ? begun - 1 : begun;
        while (read < ended && ends[index(read)].isComplete()) {
            readOldest();
        }
        List<StepTime> times = List.copyOf(finished);
        finished.clear();
        return times;
    }

    private void readOldest() {
        Mark start = starts[index(read)];
        long busy = ends[index(read)].nanosSince(start);
        long idle = read == 0 ? -1 : Math.max(0, start.nanosSince(ends[index(read - 1)]));
        finished.add(new StepTime(busy, idle));
        read++;
    }

    private int index(long step) {
        return (int) (step % starts.length);
    }

    @Override
    public void close() {
        for (int i = 0; i < starts.length; i++) {
            starts[i].close();
            ends[i].close();
        }
    }
}
