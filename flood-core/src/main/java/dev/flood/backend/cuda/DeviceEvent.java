package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.check;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventQuery;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUresult;

/**
 * A CUDA event with timing, recorded on a device's stream: it completes when the stream reaches it, and two
 * completed events give the device time between them. Recording it again replaces what it marks; a wait
 * ({@link CudaDevice#waitFor}, {@link #synchronize}) waits for the recording made before the wait was issued.
 */
final class DeviceEvent implements StepClock.Mark {

    private final CudaDevice device;
    private final CUevent event = new CUevent();
    private boolean recorded;

    DeviceEvent(CudaDevice device) {
        this.device = device;
        device.bind();
        check(cuEventCreate(event, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
    }

    /** Marks the point the device's stream has reached with the work queued so far. */
    @Override
    public void record() {
        check(cuEventRecord(event, device.stream()), "cuEventRecord");
        recorded = true;
    }

    CUevent handle() {
        return event;
    }

    /** Blocks the calling thread until the event completes (at once if it was never recorded). */
    @Override
    public void synchronize(String what) {
        if (recorded) {
            check(cuEventSynchronize(event), "cuEventSynchronize after " + what);
        }
    }

    /** Whether the device has passed the event (true if it was never recorded); does not block. */
    @Override
    public boolean isComplete() {
        if (!recorded) {
            return true;
        }
        int result = cuEventQuery(event);
        if (result == CUresult.CUDA_ERROR_NOT_READY) {
            return false;
        }
        check(result, "cuEventQuery");
        return true;
    }

    /** Device nanoseconds from {@code start} to this event; both complete, recorded on the same device. */
    @Override
    public long nanosSince(StepClock.Mark start) {
        float[] millis = new float[1];
        check(cuEventElapsedTime(millis, ((DeviceEvent) start).event, event), "cuEventElapsedTime");
        return Math.round(millis[0] * 1e6);
    }

    @Override
    public void close() {
        check(cuEventDestroy(event), "cuEventDestroy");
    }
}
