package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flood.backend.StepTime;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The host side of the CUDA step clock (no GPU): marks stand in for events, stamped with the device times the
 * test hands out and complete only when the test says the device has got there.
 */
class StepClockTest {

    /** Hands out device times in order; marks recorded while {@code deviceBehind} complete only when waited on. */
    private static final class FakeDevice {
        final Deque<Long> times = new ArrayDeque<>();
        boolean deviceBehind;
        int waits;
    }

    private static final class FakeMark implements StepClock.Mark {
        private final FakeDevice device;
        private long time = -1;
        private boolean complete = true;

        FakeMark(FakeDevice device) {
            this.device = device;
        }

        @Override
        public void record() {
            time = device.times.removeFirst();
            complete = !device.deviceBehind;
        }

        @Override
        public boolean isComplete() {
            return complete;
        }

        @Override
        public void synchronize(String what) {
            if (!complete) {
                device.waits++;
                complete = true;
            }
        }

        @Override
        public long nanosSince(StepClock.Mark start) {
            return time - ((FakeMark) start).time;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void busyIsStartToEndAndIdleIsThePreviousEndToTheStart() {
        FakeDevice device = new FakeDevice();
        StepClock clock = new StepClock(() -> new FakeMark(device), 2);
        device.times.addAll(List.of(100L, 110L, 115L, 130L, 130L, 131L));
        clock.begin();
        clock.end();
        clock.begin();
        clock.end();
        clock.begin();      // starts as the previous step ends: no idle time
        clock.end();
        assertEquals(List.of(new StepTime(10, -1), new StepTime(15, 5), new StepTime(1, 0)), clock.drain());
        assertEquals(List.of(), clock.drain(), "each time is reported once");
    }

    @Test
    void stepsTheDeviceHasNotFinishedWaitAndKeepTheirOrder() {
        FakeDevice device = new FakeDevice();
        StepClock clock = new StepClock(() -> new FakeMark(device), 1);
        device.times.addAll(List.of(0L, 10L, 12L, 20L));
        clock.begin();
        clock.end();
        device.deviceBehind = true;
        clock.begin();
        clock.end();
        assertEquals(List.of(new StepTime(10, -1)), clock.drain(), "the second step is still on the device");
        device.deviceBehind = false;
        device.times.addAll(List.of(25L, 30L, 33L));
        clock.begin();
        clock.end();
        assertEquals(0, device.waits);
        clock.begin();   // a ring of 3 reuses the first step's marks, which the second step's idle time needs
        assertEquals(1, device.waits, "reading the second step waited for its end");
        assertEquals(List.of(new StepTime(8, 2), new StepTime(5, 5)), clock.drain(), "the running fourth is not reported");
    }

    @Test
    void aStepBegunWithoutEndEndsTheOneBeforeIt() {
        FakeDevice device = new FakeDevice();
        StepClock clock = new StepClock(() -> new FakeMark(device), 2);
        device.times.addAll(List.of(0L, 7L, 7L));
        clock.begin();
        clock.begin();
        assertEquals(List.of(new StepTime(7, -1)), clock.drain(), "the running second step is not reported");
    }
}
