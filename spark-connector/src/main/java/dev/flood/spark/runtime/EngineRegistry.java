package dev.flood.spark.runtime;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The engines of one executor JVM, keyed by their {@link EngineConfig}: every task of the executor that runs the
 * same model with the same settings leases the same engine, so their rows share one continuous batch.
 *
 * <p>An engine opens on its first lease (other tasks wanting it wait for that open) and counts its leases. An
 * idle engine (no lease) stays open for the next task; it is closed when another configuration must open (so two
 * models never sit in memory together unless both are in use), or when the executor stops
 * ({@link dev.flood.spark.FloodSparkPlugin}, or a JVM shutdown hook where the plugin is not configured).
 */
public final class EngineRegistry {

    private static final EngineRegistry SHARED = createShared();

    /** One configuration's engine and its leases; the engine is null until opened. */
    private static final class Entry {
        private final EngineConfig config;
        private FloodEngine engine;
        private int leases;

        private Entry(EngineConfig config) {
            this.config = config;
        }
    }

    private final Function<EngineConfig, FloodEngine> opener;
    private final Map<EngineConfig, Entry> entries = new HashMap<>();
    private long opened;

    EngineRegistry(Function<EngineConfig, FloodEngine> opener) {
        this.opener = opener;
    }

    /** The registry of this JVM. */
    public static EngineRegistry shared() {
        return SHARED;
    }

    private static EngineRegistry createShared() {
        EngineRegistry registry = new EngineRegistry(FloodEngine::open);
        Runtime.getRuntime().addShutdownHook(new Thread(registry::closeAll, "flood-engines-shutdown"));
        return registry;
    }

    /** A lease on the engine of {@code config}, opening it if needed. Close the lease when the task ends. */
    public Lease acquire(EngineConfig config) {
        Entry entry;
        List<FloodEngine> idle = new ArrayList<>();
        synchronized (this) {
            entry = entries.computeIfAbsent(config, Entry::new);
            entry.leases++;
            if (entry.engine == null) {
                entries.values().removeIf(other -> {
                    if (other != entry && other.leases == 0 && other.engine != null) {
                        idle.add(other.engine);
                        return true;
                    }
                    return false;
                });
            }
        }
        idle.forEach(FloodEngine::close);
        synchronized (entry) {
            if (entry.engine == null) {
                try {
                    entry.engine = opener.apply(config);
                } catch (RuntimeException e) {
                    synchronized (this) {
                        entry.leases--;
                        // tasks still waiting on this entry try the open again themselves
                        if (entry.leases == 0) {
                            entries.remove(config, entry);
                        }
                    }
                    throw e;
                }
                synchronized (this) {
                    opened++;
                }
            }
            return new Lease(entry);
        }
    }

    /** Engines opened since this registry was created (each configuration's open counts once per open). */
    public synchronized long opened() {
        return opened;
    }

    /** Engines open now. */
    public synchronized int openEngines() {
        return (int) entries.values().stream().filter(e -> e.engine != null).count();
    }

    /** Closes every engine, leased or not (the executor is stopping). */
    public void closeAll() {
        List<Entry> all;
        synchronized (this) {
            all = new ArrayList<>(entries.values());
            entries.clear();
        }
        for (Entry entry : all) {
            synchronized (entry) {
                if (entry.engine != null) {
                    entry.engine.close();
                    entry.engine = null;
                }
            }
        }
    }

    private synchronized void release(Entry entry) {
        if (entry.leases <= 0) {
            throw new IllegalStateException("engine lease released more often than acquired: " + entry.config.modelPath());
        }
        entry.leases--;
    }

    /** One task's use of an engine; closing it releases the lease (once) and leaves the engine open. */
    public final class Lease implements AutoCloseable {
        private final Entry entry;
        private final FloodEngine engine;
        private boolean released;

        private Lease(Entry entry) {
            this.entry = entry;
            this.engine = entry.engine;
        }

        public FloodEngine engine() {
            return engine;
        }

        @Override
        public void close() {
            synchronized (this) {
                if (released) {
                    return;
                }
                released = true;
            }
            release(entry);
        }
    }
}
