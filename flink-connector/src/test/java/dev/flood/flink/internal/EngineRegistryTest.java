package dev.flood.flink.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodException;
import dev.flood.flink.testing.ControlledEngine;
import dev.flood.testing.Fixtures;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Equal (config, factory) share one engine; the last lease closes it; a failed open leaves nothing behind. */
class EngineRegistryTest {

    private static EngineConfig config(int maxBatchTokens) {
        return EngineConfig.builder(Fixtures.model("tiny-llama")).threads(1).maxBatchTokens(maxBatchTokens).build();
    }

    @Test
    void sharedUntilTheLastLeaseCloses() {
        String name = "registry-" + UUID.randomUUID();
        ControlledEngine.Factory factory = new ControlledEngine.Factory(name, 0);
        ControlledEngine.Stats stats = ControlledEngine.stats(name);
        int before = EngineRegistry.numOpenEngines();
        EngineLease first = EngineRegistry.acquire(config(97), factory);
        EngineLease second = EngineRegistry.acquire(config(97), new ControlledEngine.Factory(name, 0));
        EngineLease other = EngineRegistry.acquire(config(113), factory);
        assertSame(first.engine(), second.engine(), "equal config and factory share the engine");
        assertNotSame(first.engine(), other.engine(), "another config gets its own engine");
        assertEquals(2, stats.opens.get());
        assertEquals(before + 2, EngineRegistry.numOpenEngines());

        first.close();
        first.close();
        assertEquals(0, stats.closes.get(), "a lease closed twice releases once; the second lease still holds it");
        second.close();
        assertEquals(1, stats.closes.get());
        other.close();
        assertEquals(2, stats.closes.get());
        assertEquals(before, EngineRegistry.numOpenEngines());
        IllegalStateException e = assertThrows(IllegalStateException.class, first::engine);
        assertEquals("the engine lease was closed", e.getMessage());
    }

    @Test
    void failedOpenLeavesNoEntry() {
        int before = EngineRegistry.numOpenEngines();
        EngineConfig missing = EngineConfig.builder(Fixtures.model("tiny-llama").resolve("nowhere")).threads(1).build();
        FloodException e = assertThrows(FloodException.class,
                () -> EngineRegistry.acquire(missing, new ControlledEngine.Factory("missing", 0)));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        assertEquals(before, EngineRegistry.numOpenEngines());
    }
}
