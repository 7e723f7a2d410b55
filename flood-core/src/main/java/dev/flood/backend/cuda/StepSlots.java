package dev.flood.backend.cuda;

import dev.flood.backend.StepTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The CUDA backend's steps in flight: a ring of {@link StepSlot}s used in turn, and the {@link StepClock} of the
 * steps' device times. {@link #begin} takes the next slot, waiting only for the step that used it last; one slot
 * (the default, before {@link #prepare}) runs one step at a time. Touched only by the thread running steps.
 */
final class StepSlots implements AutoCloseable {

    private final CudaDevice device;
    private StepSlot[] slots = new StepSlot[0];
    private StepClock clock;
    private int next;
    private StepSlot current;
    private long currentUse;
    private boolean open;

    StepSlots(CudaDevice device) {
        this.device = device;
        prepare(1, 0, 1);
    }

    /**
     * Replaces the slots with {@code count} of them, each with a workspace of {@code workspaceBytes} and room
     * for {@code drawRows} drawn tokens. Waits for the device first; meant for before the first step.
     */
    void prepare(int count, long workspaceBytes, int drawRows) {
        device.synchronize("replacing the step buffers");
        closeSlots();
        slots = new StepSlot[count];
        for (int i = 0; i < count; i++) {
            slots[i] = new StepSlot(device, drawRows);
            if (workspaceBytes > 0) {
                slots[i].workspace.reserve(workspaceBytes);
            }
        }
        clock = new StepClock(() -> new DeviceEvent(device), count);
        next = 0;
        current = null;
    }

    /** Starts a step on the next slot (ending the running step first if it was not ended). */
    StepSlot begin() {
        end();
        current = slots[next];
        next = (next + 1) % slots.length;
        currentUse = current.reuse();
        clock.begin();
        open = true;
        return current;
    }

    /** Ends the running step: its end is marked on the stream for waiters and for the clock. */
    void end() {
        if (open) {
            clock.end();
            current.markFinished();
            open = false;
        }
    }

    /** The slot of the step begun last. */
    StepSlot current() {
        if (current == null) {
            throw new IllegalStateException("beginStep was not called");
        }
        return current;
    }

    /** Which use of {@link #current} the step begun last is. */
    long currentUse() {
        return currentUse;
    }

    List<StepTime> drainTimes() {
        return clock.drain();
    }

    long workspaceBytes() {
        return Arrays.stream(slots).mapToLong(s -> s.workspace.capacityBytes()).sum();
    }

    long peakStepBytes() {
        return Arrays.stream(slots).mapToLong(s -> s.workspace.peakStepBytes()).max().orElse(0);
    }

    private void closeSlots() {
        List<RuntimeException> failures = new ArrayList<>();
        for (StepSlot slot : slots) {
            try {
                slot.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        if (clock != null) {
            clock.close();
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
    }

    @Override
    public void close() {
        closeSlots();
        slots = new StepSlot[0];
        clock = null;
    }
}
