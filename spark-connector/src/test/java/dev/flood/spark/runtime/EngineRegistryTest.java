package dev.flood.spark.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.api.FloodException;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One engine per configuration, opened once however many tasks ask at once; idle engines make way. */
class EngineRegistryTest {

    private static final EngineConfig.Builder TINY = EngineConfig.builder(Fixtures.model("tiny-llama")).threads(1);

    private final AtomicInteger opens = new AtomicInteger();
    /** Engines opened by the registry under test and not yet closed. */
    private final Set<FloodEngine> open = ConcurrentHashMap.newKeySet();

    private EngineRegistry registry() {
        return new EngineRegistry(config -> {
            opens.incrementAndGet();
            FloodEngine engine = FloodEngine.open(config);
            open.add(engine);
            return new ClosingProbe(engine, open);
        });
    }

    @Test
    void concurrentLeasesOfOneConfigOpenOneEngine() throws Exception {
        EngineRegistry registry = registry();
        int tasks = 5;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(tasks);
        try {
            List<Future<EngineRegistry.Lease>> leases = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                leases.add(pool.submit(() -> {
                    start.await();
                    return registry.acquire(TINY.build());
                }));
            }
            start.countDown();
            FloodEngine first = leases.get(0).get().engine();
            for (Future<EngineRegistry.Lease> lease : leases) {
                assertSame(first, lease.get().engine());
                lease.get().close();
                lease.get().close();
            }
            assertEquals(1, opens.get());
            assertEquals(1, registry.opened());
            assertEquals(1, registry.openEngines(), "an idle engine stays open for the next task");
            registry.acquire(TINY.build()).close();
            assertEquals(1, opens.get(), "reused");
        } finally {
            pool.shutdownNow();
            registry.closeAll();
        }
        assertTrue(open.isEmpty(), "closeAll closed the engine");
    }

    @Test
    void anIdleEngineMakesWayForAnotherConfigButALeasedOneStays() {
        EngineRegistry registry = registry();
        try {
            EngineRegistry.Lease a = registry.acquire(TINY.maxBatchTokens(97).build());
            EngineRegistry.Lease b = registry.acquire(TINY.maxBatchTokens(131).build());
            assertEquals(2, open.size(), "both leased, both open");
            a.close();
            EngineRegistry.Lease c = registry.acquire(TINY.maxBatchTokens(61).build());
            assertEquals(2, open.size(), "idle engine a closed, leased b kept, c opened");
            assertTrue(open.contains(((ClosingProbe) b.engine()).delegate()));
            assertEquals(3, registry.opened());
            b.close();
            c.close();
        } finally {
            registry.closeAll();
        }
        assertTrue(open.isEmpty());
    }

    @Test
    void aFailedOpenIsNotCachedAndReportsTheCause() {
        EngineRegistry registry = registry();
        EngineConfig missing = EngineConfig.builder(Fixtures.model("tiny-llama").resolve("missing")).threads(1).build();
        FloodException first = assertThrows(FloodException.class, () -> registry.acquire(missing));
        assertTrue(first.getMessage().contains("config.json"), first.getMessage());
        assertThrows(FloodException.class, () -> registry.acquire(missing));
        assertEquals(2, opens.get(), "each acquire tried again");
        assertEquals(0, registry.openEngines());
        assertEquals(0, registry.opened());
    }
}
