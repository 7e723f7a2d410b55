package dev.flood.structured;

import dev.flood.api.FloodException;
import dev.flood.sampling.TokenConstraint;

/**
 * One request's place in a {@link TokenAutomaton}: the automaton state after the tokens generated so far. The
 * next mask is looked up (or computed, once per state for all requests) as soon as a token is accepted, so the
 * per-step work of a row is reading its token's bytes through the automaton and a lookup.
 */
final class AutomatonConstraint implements TokenConstraint {

    private final TokenAutomaton automaton;
    private int state;
    private boolean terminated;
    private int[] allowed;

    AutomatonConstraint(TokenAutomaton automaton) {
        this.automaton = automaton;
        this.allowed = checked(automaton.mask(0));
    }

    @Override
    public int[] allowedTokens() {
        return allowed;
    }

    @Override
    public void accept(int tokenId) {
        if (terminated || (allowed[tokenId >>> 5] & (1 << (tokenId & 31))) == 0) {
            throw new IllegalStateException("token " + tokenId + " is not allowed by the output's constraint here");
        }
        if (automaton.isTerminator(tokenId)) {
            terminated = true;
            return;
        }
        state = automaton.dfa().walk(state, automaton.vocabulary().bytes(tokenId));
        allowed = checked(automaton.mask(state));
    }

    @Override
    public boolean isComplete() {
        return terminated || automaton.dfa().isAccepting(state);
    }

    private int[] checked(int[] mask) {
        if (automaton.isEmpty(mask)) {
            throw new FloodException("no token of the model's vocabulary can continue the constrained output here"
                    + " (the vocabulary cannot spell what must come next)");
        }
        return mask;
    }
}
