package dev.flood.engine;

import java.util.List;

/**
 * {@link BatchInvarianceTest} on the sliding-window checkpoint (window 12, prompts up to 299 tokens): which keys a
 * query sees depends on its position alone, through chunked prefill, decode and recomputation after preemption.
 */
class SlidingWindowBatchInvarianceTest extends BatchInvarianceTest {

    @Override
    String model() {
        return "tiny-mistral-sw";
    }

    /** One stage: the window is a layer's own business, which the dense checkpoint's pipelines already cover. */
    @Override
    List<Integer> stages() {
        return List.of(1);
    }
}
