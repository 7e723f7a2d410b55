package dev.flood.api;

/** An error Flood reports to its user: bad input, bad model files, or a failure inside the engine. */
public class FloodException extends RuntimeException {

    public FloodException(String message) {
        super(message);
    }

    public FloodException(String message, Throwable cause) {
        super(message, cause);
    }
}
