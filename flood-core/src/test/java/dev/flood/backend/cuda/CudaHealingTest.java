package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.FloodException;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.backend.Backend;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.engine.TestEngines;
import dev.flood.engine.pipeline.BackendFactory;
import dev.flood.testing.Fixtures;
import dev.flood.testing.ForwardingBackend;
import dev.flood.testing.NearTies;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The engine survives real faults on the GPU: an illegal address (a test-only embedding table at device address 0,
 * a sticky error that leaves the primary context refusing every call until it is reset) and an exception thrown in
 * a step (the context stays usable). Each time the engine closes its backends, reopens them (resetting the faulted
 * context) and recomputes every unfinished request; every request completes once, without error.
 *
 * <p>Tolerance: the recomputed requests rebuild their cache in prefill steps instead of decode steps, so cuBLAS may
 * pick other GEMM algorithms; greedy tokens must follow a run without faults until a near-tie of 1e-3 nats (float32
 * reordering noise, as in {@link CudaPipelineTest}).
 */
@Tag("gpu")
class CudaHealingTest {

    private static final double NEAR_TIE = 1e-3;

    /** How a faulty step fails. */
    enum Fault {
        /** The step's embedding reads a table at address 0: CUDA_ERROR_ILLEGAL_ADDRESS, sticky. */
        ILLEGAL_ADDRESS,
        /** beginStep throws before touching the device. */
        EXCEPTION
    }

    /** CUDA backends that fail once, at the {@code faultAt}-th step of the first stage (which embeds) overall. */
    private static final class FaultyCuda implements BackendFactory {
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
                private boolean armed;

                @Override
                public void beginStep(ForwardBatch batch) {
                    armed = stage == 0 && steps.incrementAndGet() == faultAt;
                    if (armed && fault == Fault.EXCEPTION) {
                        armed = false;
                        fired.incrementAndGet();
                        throw new FloodException("injected exception in beginStep");
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

    private static List<GenerateRequest> requests() {
        List<GenerateRequest> requests = new ArrayList<>();
        for (Fixtures.Case c : Fixtures.cases("tiny-qwen3")) {
            requests.add(GenerateRequest.of(c.prompt(), SamplingParams.builder().maxNewTokens(40).ignoreEos()
                    .logprobs(2).build()));
            requests.add(GenerateRequest.of(c.prompt(), SamplingParams.builder().maxNewTokens(24).ignoreEos()
                    .repetitionPenalty(1.3).logprobs(2).build()));
        }
        return requests;
    }

    @ParameterizedTest(name = "{0} on devices {1}")
    @CsvSource({"ILLEGAL_ADDRESS, 0", "ILLEGAL_ADDRESS, 0;0", "EXCEPTION, 0"})
    void aFaultInAStepIsHealedAndEveryRequestCompletes(Fault fault, String devices) {
        List<Integer> ordinals = java.util.Arrays.stream(devices.split(";")).map(Integer::valueOf).toList();
        EngineConfig config = EngineConfig.builder(Fixtures.model("tiny-qwen3")).backend("cuda").devices(ordinals)
                .maxBatchTokens(13).build();
        List<GenerateRequest> requests = requests();
        List<GenerationResult> reference;
        try (FloodEngine engine = FloodEngine.open(config)) {
            reference = engine.generate(requests);
        }
        FaultyCuda backends = new FaultyCuda(fault, 12);
        try (FloodEngine engine = TestEngines.open(config, backends, 3)) {
            List<GenerationResult> results = engine.generate(requests);
            EngineMetrics metrics = engine.metrics();
            System.out.printf("%s on %s: %d restart(s), %d steps%n", fault, ordinals, metrics.engineRestarts(),
                    metrics.steps());
            assertEquals(1, backends.fired.get(), "the fault fired once");
            assertEquals(1, metrics.engineRestarts());
            assertEquals(0, metrics.failedRequests());
            for (int i = 0; i < requests.size(); i++) {
                NearTies.assertSameUntilNearTie(reference.get(i), results.get(i), NEAR_TIE, fault + " request " + i);
            }
            assertEquals(0, metrics.cache().usedTokens());
            // the reopened backends serve on
            GenerationResult after = engine.generate(requests.subList(0, 1)).get(0);
            NearTies.assertSameUntilNearTie(reference.get(0), after, NEAR_TIE, fault + " after the restart");
        }
        // and a fresh engine opens on the device afterwards
        try (FloodEngine engine = FloodEngine.open(config)) {
            assertTrue(engine.metrics().cache().capacityTokens() > 0);
        }
    }
}
