package dev.flood.sampling;

import java.util.Objects;

/**
 * One token to draw for a request: its sampling state and the {@link CounterRng} counter of this draw, which is
 * the index of the token among the request's generated tokens. The state's own {@link SamplingState#numGenerated()}
 * counts only the tokens the engine has already taken back; with steps in flight a draw may come later.
 *
 * <p>The state is read, not advanced. Only its immutable parts (parameters, seed, vocabulary) are read off the
 * engine thread; the penalty counts are read only for requests that are in one step at a time (see
 * {@link dev.flood.backend.Backend#launchOutputs}).
 */
public record Draw(SamplingState state, int counter) {

    public Draw {
        Objects.requireNonNull(state, "state");
        if (counter < state.numGenerated()) {
            throw new IllegalArgumentException("draw counter " + counter + " is below the " + state.numGenerated()
                    + " tokens the request has generated");
        }
    }

    /** The request's next draw when nothing is in flight: counter {@code numGenerated()}. */
    public static Draw next(SamplingState state) {
        return new Draw(state, state.numGenerated());
    }
}
