package dev.flood.weights;

import java.util.stream.IntStream;

/**
 * Splits {@code [0, numElements)} into fixed-size chunks and runs them on the common fork-join pool. Chunk
 * boundaries depend only on {@code numElements}, so a task whose output for an element depends only on that
 * element gives the same result on any number of threads.
 */
final class ParallelChunks {

    /** Elements per task: big enough to amortize scheduling, small enough to balance two to 128 cores. */
    static final int CHUNK_ELEMENTS = 1 << 16;
    /** Below this many elements a single thread is faster than forking. */
    private static final int PARALLEL_THRESHOLD = 1 << 18;

    /** Work on elements {@code [first, first + count)}. */
    @FunctionalInterface
    interface Task {
        void run(int first, int count);
    }

    private ParallelChunks() {
    }

    static void forEach(int numElements, Task task) {
        if (numElements < PARALLEL_THRESHOLD) {
            task.run(0, numElements);
            return;
        }
        int numChunks = (numElements + CHUNK_ELEMENTS - 1) / CHUNK_ELEMENTS;
        IntStream.range(0, numChunks).parallel().forEach(chunk -> {
            int first = chunk * CHUNK_ELEMENTS;
            task.run(first, Math.min(CHUNK_ELEMENTS, numElements - first));
        });
    }
}
