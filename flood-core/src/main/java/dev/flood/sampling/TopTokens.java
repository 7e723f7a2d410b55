package dev.flood.sampling;

/**
 * Partial selection of the highest-ranked tokens of a logits row without sorting the row. Rank order: higher
 * value first, and among equal values the lower token id first (as {@code torch.argmax} and stable sorts order
 * ties). The values must not be NaN.
 *
 * <p>One pass over the row keeps the best {@code n} seen so far in a binary min-heap whose root is the worst of
 * them; a token enters only if it outranks the root. Cost: O(vocab * log n), and for a long row almost every
 * token is rejected by one comparison with the root.
 */
final class TopTokens {

    private TopTokens() {
    }

    /**
     * The {@code n} highest-ranked token ids of {@code values[offset .. offset + vocab)}, best first, as ids
     * relative to {@code offset}. {@code n} must be in [0, vocab].
     */
    static int[] select(float[] values, int offset, int vocab, int n) {
        if (n < 0 || n > vocab) {
            throw new IllegalArgumentException("cannot select " + n + " of " + vocab + " tokens");
        }
        int[] heap = new int[n];
        int size = 0;
        for (int id = 0; id < vocab; id++) {
            if (size < n) {
                heap[size] = id;
                siftUp(heap, size, values, offset);
                size++;
            } else if (n > 0 && outranks(values, offset, id, heap[0])) {
                heap[0] = id;
                siftDown(heap, size, values, offset);
            }
        }
        // Pop the worst to the back until the heap is empty: heap becomes best-first.
        for (int last = size - 1; last > 0; last--) {
            int worst = heap[0];
            heap[0] = heap[last];
            heap[last] = worst;
            siftDown(heap, last, values, offset);
        }
        return heap;
    }

    /** Whether token {@code a} ranks above token {@code b}. */
    static boolean outranks(float[] values, int offset, int a, int b) {
        float va = values[offset + a];
        float vb = values[offset + b];
        return va > vb || (va == vb && a < b);
    }

    private static void siftUp(int[] heap, int index, float[] values, int offset) {
        int id = heap[index];
        while (index > 0) {
            int parent = (index - 1) >>> 1;
            if (!outranks(values, offset, heap[parent], id)) {
                break;
            }
            heap[index] = heap[parent];
            index = parent;
        }
        heap[index] = id;
    }

    private static void siftDown(int[] heap, int size, float[] values, int offset) {
        int id = heap[0];
        int index = 0;
        while (true) {
            int child = 2 * index + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && outranks(values, offset, heap[child], heap[child + 1])) {
                child++;
            }
            if (!outranks(values, offset, id, heap[child])) {
                break;
            }
            heap[index] = heap[child];
            index = child;
        }
        heap[index] = id;
    }
}
