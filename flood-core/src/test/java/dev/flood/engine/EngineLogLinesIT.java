package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.config.ModelConfig;
import dev.flood.testing.Fixtures;
import dev.flood.testing.Jvms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The engine logs one INFO line through SLF4J when it opens (model, backend, devices, cache size, step budget) and
 * one when it closes (what it did). Tests log warnings only (simplelogger.properties), so the lines are read from a
 * JVM of their own with the SLF4J binding the command line ships (slf4j-simple) at INFO, as a user sees them. The
 * expected figures come from the same engine, opened here, running the same request.
 */
class EngineLogLinesIT {

    private static final String LOGGER = "INFO " + Engine.class.getName() + " - ";

    /** Opens an engine on the model at {@code args[0]} with one thread, runs {@link #request}, closes it. */
    public static void main(String[] args) {
        try (FloodEngine engine = FloodEngine.open(config(Path.of(args[0])))) {
            engine.submit(request(), GenerationListener.NONE).join();
        }
    }

    private static EngineConfig config(Path model) {
        return EngineConfig.builder(model).threads(1).build();
    }

    /** Five prompt tokens (no full prefix cache block), three greedy tokens past EOS. */
    private static GenerateRequest request() {
        return GenerateRequest.ofTokens(List.of(5, 6, 7, 8, 9),
                SamplingParams.builder().maxNewTokens(3).ignoreEos().build());
    }

    @Test
    void openAndCloseEachLogOneLine() throws Exception {
        Path model = Fixtures.model("tiny-llama");
        String opened;
        String closed;
        try (FloodEngine engine = FloodEngine.open(config(model))) {
            EngineConfig config = engine.config();
            ModelConfig modelConfig = engine.modelConfig();
            opened = "Flood engine open: model " + model + " (" + modelConfig.architecture() + ", "
                    + modelConfig.numLayers() + " layers), cpu backend on 1 threads, " + config.numStages()
                    + " stage(s), KV cache " + engine.metrics().cache().capacityTokens() + " tokens, steps of "
                    + config.maxBatchTokens() + " tokens and " + config.maxRunningRequests() + " running requests, "
                    + config.maxStepsInFlight() + " steps in flight";
            GenerationResult result = engine.submit(request(), GenerationListener.NONE).join();
            assertEquals(3, result.completionTokens());
            EngineMetrics metrics = engine.metrics();
            closed = "Flood engine closed: model " + model + ", 1 requests completed (0 failed, 0 cancelled), "
                    + metrics.promptTokens() + " prompt and 3 generated tokens in " + metrics.steps()
                    + " steps, 0 restarts";
        }

        Path logs = Path.of("target", "engine-log-lines");
        Jvms.deleteRecursively(logs);
        List<String> lines;
        try (Jvms jvms = new Jvms(logs)) {
            Process process = jvms.start("engine", new Jvms.JavaCommand(
                    List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=info"), System.getProperty("java.class.path"),
                    EngineLogLinesIT.class.getName(), List.of(model.toString())), Map.of());
            assertTrue(process.waitFor(5, TimeUnit.MINUTES), "the engine's JVM did not end");
            assertEquals(0, process.exitValue(), Jvms.tail(jvms.log("engine"), 40));
            lines = Files.readAllLines(jvms.log("engine"));
        }
        List<String> engineLines = lines.stream().filter(line -> line.contains(LOGGER)).toList();
        assertEquals(2, engineLines.size(), String.join("\n", lines));
        assertTrue(engineLines.get(0).endsWith(LOGGER + opened), engineLines.get(0) + "\nexpected\n" + opened);
        assertTrue(engineLines.get(1).endsWith(LOGGER + closed), engineLines.get(1) + "\nexpected\n" + closed);
    }
}
