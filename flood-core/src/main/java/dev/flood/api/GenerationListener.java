package dev.flood.api;

import java.util.List;

/**
 * Receives one request's tokens as they are generated. Called from the engine's thread: return quickly.
 * {@code textDelta} never ends in half a UTF-8 character; concatenated deltas equal the final text.
 */
public interface GenerationListener {

    void onTokens(String textDelta, List<Integer> newTokenIds);

    default void onComplete(GenerationResult result) {
    }

    GenerationListener NONE = (textDelta, newTokenIds) -> { };
}
