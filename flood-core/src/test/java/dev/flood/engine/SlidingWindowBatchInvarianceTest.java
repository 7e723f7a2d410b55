package dev.flood.engine;

/**
 * {@link BatchInvarianceTest} on the sliding-window checkpoint (window 12, prompts up to 299 tokens): which keys a
 * query sees depends on its position alone, through chunked prefill, decode and recomputation after preemption.
 */
class SlidingWindowBatchInvarianceTest extends BatchInvarianceTest {

    @Override
    String model() {
        return "tiny-mistral-sw";
    }
}
