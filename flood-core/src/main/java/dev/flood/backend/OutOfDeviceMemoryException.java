package dev.flood.backend;

import dev.flood.api.FloodException;

/**
 * A device ran out of memory. Opening an engine fails with it; in a running step the engine reopens its backends
 * with a smaller KV cache and step budget.
 */
public class OutOfDeviceMemoryException extends FloodException {

    public OutOfDeviceMemoryException(String message) {
        super(message);
    }
}
