package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bounded cache of instantiated graphs, with strings standing in for graphs ({@link GraphExecCache}). */
class GraphExecCacheTest {

    private final List<String> destroyed = new ArrayList<>();

    @Test
    void theLeastRecentlyUsedGraphIsDestroyedWhenFull() {
        GraphExecCache<String> cache = new GraphExecCache<>(3, destroyed::add);
        cache.put(new GraphKey(1, 10), "a");
        cache.put(new GraphKey(2, 10), "b");
        cache.put(new GraphKey(4, 10), "c");
        assertSame("a", cache.get(new GraphKey(1, 10)));   // now b is the least recently used
        cache.put(new GraphKey(8, 10), "d");
        assertEquals(List.of("b"), destroyed);
        assertNull(cache.get(new GraphKey(2, 10)));
        assertEquals(3, cache.size());
        cache.put(new GraphKey(16, 10), "e");
        assertEquals(List.of("b", "c"), destroyed);
    }

    @Test
    void aKeyHoldsOneGraphAndTheReplacedOneIsDestroyed() {
        GraphExecCache<String> cache = new GraphExecCache<>(2, destroyed::add);
        cache.put(new GraphKey(32, 300), "first");
        cache.put(new GraphKey(32, 301), "other node count");
        cache.put(new GraphKey(32, 300), "second");
        assertEquals(List.of("first"), destroyed);
        assertSame("second", cache.get(new GraphKey(32, 300)));
        assertSame("other node count", cache.get(new GraphKey(32, 301)));
        cache.put(new GraphKey(32, 300), "second");   // the same graph again: nothing to destroy
        assertEquals(List.of("first"), destroyed);
    }

    @Test
    void closeDestroysEveryGraphAndRethrowsTheFirstFailure() {
        GraphExecCache<String> cache = new GraphExecCache<>(4, exec -> {
            destroyed.add(exec);
            if (exec.startsWith("bad")) {
                throw new IllegalStateException("cannot destroy " + exec);
            }
        });
        cache.put(new GraphKey(1, 1), "bad one");
        cache.put(new GraphKey(2, 1), "good");
        cache.put(new GraphKey(4, 1), "bad two");
        IllegalStateException e = assertThrows(IllegalStateException.class, cache::close);
        assertEquals("cannot destroy bad one", e.getMessage());
        assertEquals(List.of("bad one", "good", "bad two"), destroyed);
        assertEquals(0, cache.size());
    }

    @Test
    void aCacheHoldsAtLeastOneGraph() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GraphExecCache<String>(0, destroyed::add));
        assertEquals("a graph cache holds at least one graph, not 0", e.getMessage());
    }
}
