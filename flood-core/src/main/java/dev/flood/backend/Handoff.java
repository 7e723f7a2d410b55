package dev.flood.backend;

import java.util.List;

/**
 * Activations one pipeline stage's backend passes to the next stage's ({@link Backend#handOff},
 * {@link Backend#receive}): the tensors, plus whatever the receiving backend needs to read them only once they
 * are written (on CUDA, an event on the sender's stream). The sender does not touch the tensors again in this
 * step, and reuses their memory only after the step's outputs were collected, which is after the receiver's copy.
 */
public interface Handoff {

    /** The sender's tensors, in the order given to {@link Backend#handOff}. */
    List<Tensor> tensors();
}
