package dev.flood.backend.cuda;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.engine.TestEngines;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;

/**
 * Run by {@link CudaDeviceLostTest} in a JVM of its own, because what it provokes (an illegal address, sticky for
 * the whole process) would fail every later GPU test in the same JVM. Prints what happened, one fact per line, and
 * exits 0 when the engine behaved (every request failed once with the lost device named, no restart, later
 * requests refused the same way), 1 otherwise.
 */
final class DeviceLostProbe {

    private DeviceLostProbe() {
    }

    public static void main(String[] args) {
        List<String> problems = new ArrayList<>();
        EngineConfig config = EngineConfig.builder(Fixtures.model("tiny-qwen3")).backend("cuda")
                .devices(List.of(0)).maxBatchTokens(13).build();
        List<GenerateRequest> requests = CudaHealingTest.requests();
        FaultyCuda backends = new FaultyCuda(FaultyCuda.Fault.ILLEGAL_ADDRESS, 12);
        try (FloodEngine engine = TestEngines.open(config, backends, 3)) {
            List<GenerationResult> results = engine.generate(requests);
            EngineMetrics metrics = engine.metrics();
            System.out.printf("fired %d, restarts %d, failed %d of %d, steps %d%n", backends.fired.get(),
                    metrics.engineRestarts(), metrics.failedRequests(), requests.size(), metrics.steps());
            System.out.println("first error: " + results.get(0).error());
            String expected = "the engine's device is lost: CUDA error CUDA_ERROR_ILLEGAL_ADDRESS";
            for (int i = 0; i < results.size(); i++) {
                String error = results.get(i).error();
                if (error == null || !error.startsWith(expected)) {
                    problems.add("request " + i + ": error " + error);
                }
            }
            if (backends.fired.get() != 1 || metrics.engineRestarts() != 0) {
                problems.add("expected the fault once and no restart");
            }
            String later = engine.generate(requests.subList(0, 1)).get(0).error();
            System.out.println("a later request: " + later);
            if (later == null || !later.startsWith(expected)) {
                problems.add("a later request was not refused with the lost device: " + later);
            }
        } catch (RuntimeException e) {
            e.printStackTrace(System.out);
            problems.add("the engine threw instead of failing its requests: " + e);
        }
        problems.forEach(p -> System.out.println("PROBLEM " + p));
        System.out.println(problems.isEmpty() ? "PROBE OK" : "PROBE FAILED");
        System.exit(problems.isEmpty() ? 0 : 1);
    }
}
