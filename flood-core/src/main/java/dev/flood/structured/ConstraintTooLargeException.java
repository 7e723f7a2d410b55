package dev.flood.structured;

/**
 * A regex, schema or choice list whose automaton would pass the engine's bounds; compilation stops as soon as it
 * knows, and the request is refused with this message.
 */
final class ConstraintTooLargeException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    ConstraintTooLargeException(String message) {
        super(message);
    }
}
