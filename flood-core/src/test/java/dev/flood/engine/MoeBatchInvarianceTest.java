package dev.flood.engine;

import java.util.List;

/**
 * {@link BatchInvarianceTest} on the mixture-of-experts checkpoint: a token's routing, its experts' outputs and their
 * combined sum depend on the token alone, not on which other tokens share its step or its experts; on one stage and
 * on a pipeline of two (sparse layers on both stages).
 */
class MoeBatchInvarianceTest extends BatchInvarianceTest {

    @Override
    String model() {
        return "tiny-qwen3-moe";
    }

    @Override
    List<Integer> stages() {
        return List.of(1, 2);
    }
}
