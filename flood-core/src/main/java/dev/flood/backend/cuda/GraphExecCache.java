package dev.flood.backend.cuda;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The instantiated graphs of {@link DecodeGraphs} by {@link GraphKey}, at most {@code capacity} of them: adding one
 * more destroys the least recently used. An instantiated graph holds device memory of its own (its nodes'
 * parameters), so the bound keeps the graphs' memory bounded whatever the steps' sizes. Generic in the graph type
 * so its bookkeeping is tested without a GPU. Touched only by the thread running steps.
 *
 * @param <E> an instantiated graph
 */
final class GraphExecCache<E> implements AutoCloseable {

    private final int capacity;
    private final Consumer<E> destroy;
    private final LinkedHashMap<GraphKey, E> execs = new LinkedHashMap<>(16, 0.75f, true);   // least recent first

    GraphExecCache(int capacity, Consumer<E> destroy) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a graph cache holds at least one graph, not " + capacity);
        }
        this.capacity = capacity;
        this.destroy = destroy;
    }

    /** The graph of {@code key} (now the most recently used), or null. */
    E get(GraphKey key) {
        return execs.get(key);
    }

    /** Holds {@code exec} under {@code key}, destroying the graph it replaces and, if full, the least recently used. */
    void put(GraphKey key, E exec) {
        E replaced = execs.put(key, exec);
        List<E> destroyed = new ArrayList<>();
        if (replaced != null && replaced != exec) {
            destroyed.add(replaced);
        }
        Iterator<Map.Entry<GraphKey, E>> oldest = execs.entrySet().iterator();
        while (execs.size() > capacity) {
            destroyed.add(oldest.next().getValue());
            oldest.remove();
        }
        destroyed.forEach(destroy);
    }

    int size() {
        return execs.size();
    }

    /** Destroys every graph held; the first failure is rethrown once all were tried. */
    @Override
    public void close() {
        RuntimeException first = null;
        for (E exec : execs.values()) {
            try {
                destroy.accept(exec);
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        execs.clear();
        if (first != null) {
            throw first;
        }
    }
}
