package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.check;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import dev.flood.backend.profile.OpClock;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUevent;

/**
 * Marks as CUDA events recorded on the backend's stream: a mark is reached when the device has run everything
 * queued before it. Events are created once and reused after {@link #reset()}; recording one costs the host about
 * a microsecond. Driven by the backend's thread.
 */
final class CudaEventClock implements OpClock {

    private final CudaDevice device;
    private final List<CUevent> events = new ArrayList<>();
    private int count;

    CudaEventClock(CudaDevice device) {
        this.device = device;
    }

    @Override
    public int mark() {
        if (count == events.size()) {
            CUevent event = new CUevent();
            check(cuEventCreate(event, 0), "cuEventCreate");
            events.add(event);
        }
        check(cuEventRecord(events.get(count), device.stream()), "cuEventRecord");
        return count++;
    }

    @Override
    public double millis(int from, int to) {
        if (from < 0 || to >= count || from > to) {
            throw new IllegalArgumentException("marks " + from + " to " + to + " of " + count);
        }
        check(cuEventSynchronize(events.get(to)), "cuEventSynchronize");
        float[] elapsed = new float[1];
        check(cuEventElapsedTime(elapsed, events.get(from), events.get(to)), "cuEventElapsedTime");
        return elapsed[0];
    }

    @Override
    public void reset() {
        count = 0;
    }

    @Override
    public void close() {
        device.bind();
        for (CUevent event : events) {
            check(cuEventDestroy(event), "cuEventDestroy");
        }
        events.clear();
        count = 0;
    }
}
