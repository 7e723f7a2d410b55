package dev.flood.backend.cuda;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodException;
import dev.flood.backend.Backend;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.OutOfDeviceMemoryException;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.engine.pipeline.BackendFactory;
import dev.flood.testing.ForwardingBackend;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * CUDA backends that fail once, at the {@code faultAt}-th step of the first stage (which embeds) counted over every
 * backend made, in one of three real ways. Shared by {@link CudaHealingTest} and {@link DeviceLostProbe}.
 */
final class FaultyCuda implements BackendFactory {

    /** How the faulty step fails. */
    enum Fault {
        /** The step's embedding reads a table at address 0: CUDA_ERROR_ILLEGAL_ADDRESS, sticky for the process. */
        ILLEGAL_ADDRESS,
        /** beginStep throws before touching the device; the context stays usable. */
        EXCEPTION,
        /** beginStep reports the device out of memory: the engine reopens with a smaller cache and step budget. */
        OUT_OF_MEMORY
    }

    private final Fault fault;
    private final long faultAt;
    private final AtomicLong steps = new AtomicLong();
    final AtomicInteger fired = new AtomicInteger();

    FaultyCuda(Fault fault, long faultAt) {
        this.fault = fault;
        this.faultAt = faultAt;
    }

    @Override
    public Backend open(EngineConfig config, int stage) {
        return new ForwardingBackend(BackendFactory.STANDARD.open(config, stage)) {
            private boolean armed;   // touched by this stage's worker thread only

            @Override
            public void beginStep(ForwardBatch batch) {
                armed = stage == 0 && steps.incrementAndGet() == faultAt;
                if (armed && fault != Fault.ILLEGAL_ADDRESS) {
                    armed = false;
                    fired.incrementAndGet();
                    throw fault == Fault.EXCEPTION ? new FloodException("injected exception in beginStep")
                            : new OutOfDeviceMemoryException("injected: out of device memory in beginStep");
                }
                super.beginStep(batch);
            }

            @Override
            public void embed(Weight table, ForwardBatch batch, Tensor out) {
                if (armed) {
                    armed = false;
                    fired.incrementAndGet();
                    CudaWeight real = CudaWeight.of(table);
                    // a pointer never allocated: address 0, where no device memory is mapped
                    table = new CudaWeight(new DeviceAllocation(real.memory().bytes()), real.rows(), real.cols(),
                            real.dtype());
                }
                super.embed(table, batch, out);
            }
        };
    }
}
