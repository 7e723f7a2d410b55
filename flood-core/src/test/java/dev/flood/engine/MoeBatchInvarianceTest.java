package dev.flood.engine;

/**
 * {@link BatchInvarianceTest} on the mixture-of-experts checkpoint: a token's routing, its experts' outputs and their
 * combined sum depend on the token alone, not on which other tokens share its step or its experts.
 */
class MoeBatchInvarianceTest extends BatchInvarianceTest {

    @Override
    String model() {
        return "tiny-qwen3-moe";
    }
}
