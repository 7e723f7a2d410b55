package dev.flood.weights;

import dev.flood.api.FloodException;

import java.util.Arrays;

/** Row-major tensor shapes: element counts, formatting and the expected-shape check every source applies. */
final class Shapes {

    /** The longest Java array the JVM reliably allocates. */
    static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private Shapes() {
    }

    /** Product of the dimensions (1 for a scalar's empty shape); throws ArithmeticException on overflow. */
    static long numElements(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    /** {@code [176, 64]}, as PyTorch prints a size. */
    static String format(long[] shape) {
        return Arrays.toString(shape);
    }

    /**
     * Fails naming the tensor, where it was found and both shapes unless {@code actual} equals {@code expected}.
     * An empty {@code expected} means a scalar, not "any shape".
     */
    static void check(String name, String location, long[] actual, long[] expected) {
        if (!Arrays.equals(actual, expected)) {
            throw new FloodException("tensor " + name + " in " + location + " has shape " + format(actual)
                    + ", expected " + format(expected));
        }
    }

    /** The element count of a float[] of this shape, or a FloodException naming the tensor if it cannot exist. */
    static int arrayLength(String name, String location, long[] shape) {
        long count = numElements(shape);
        if (count > MAX_ARRAY_LENGTH) {
            throw new FloodException("tensor " + name + " in " + location + " has " + count
                    + " elements, more than one Java array holds (" + MAX_ARRAY_LENGTH + ")");
        }
        return (int) count;
    }
}
