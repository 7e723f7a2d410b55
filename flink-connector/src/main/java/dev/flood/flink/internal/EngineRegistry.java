package dev.flood.flink.internal;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.flink.EngineFactory;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.annotation.Internal;

/**
 * The engines of this JVM (one TaskManager), shared by every subtask that asks for the same (config, factory) so
 * that their requests join one continuous batch. Reference-counted: the first {@link #acquire} opens the engine,
 * the last {@link EngineLease#close} closes it.
 *
 * <p>The map is static, so it is per class loader: with the Flood jars in Flink's {@code lib/} every job of the
 * TaskManager shares it; with them in a job's jar each job gets its own (see the module README).
 */
@Internal
public final class EngineRegistry {

    private record Key(EngineConfig config, EngineFactory factory) {
    }

    /** An open engine and how many leases hold it; users > 0 while it is in the map. */
    private static final class Entry {
        final FloodEngine engine;
        int users;

        Entry(FloodEngine engine) {
            this.engine = engine;
        }
    }

    /** Guarded by itself. Opening happens under the lock: a subtask asking for an engine being loaded waits for it. */
    private static final Map<Key, Entry> ENGINES = new HashMap<>();

    private EngineRegistry() {
    }

    /** The shared engine for {@code config}, opened by {@code factory} if no subtask holds it now. */
    public static EngineLease acquire(EngineConfig config, EngineFactory factory) {
        Key key = new Key(config, factory);
        synchronized (ENGINES) {
            Entry entry = ENGINES.get(key);
            if (entry == null) {
                entry = new Entry(factory.open(config));
                ENGINES.put(key, entry);
            }
            entry.users++;
            return new EngineLease(entry.engine, () -> release(key));
        }
    }

    /** Engines open in this class loader now. */
    public static int numOpenEngines() {
        synchronized (ENGINES) {
            return ENGINES.size();
        }
    }

    private static void release(Key key) {
        FloodEngine last = null;
        synchronized (ENGINES) {
            Entry entry = ENGINES.get(key);
            if (--entry.users == 0) {
                ENGINES.remove(key);
                last = entry.engine;
            }
        }
        if (last != null) {
            last.close();
        }
    }
}
