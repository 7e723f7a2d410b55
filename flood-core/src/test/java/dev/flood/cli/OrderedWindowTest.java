package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Results leave the window in input order, as soon as the head is done, and the window never holds more than its capacity. */
class OrderedWindowTest {

    private final List<String> handedOn = new ArrayList<>();

    @Test
    void finishedItemsBehindAnUnfinishedHeadWait() throws IOException {
        OrderedWindow<Integer, String> window = new OrderedWindow<>(5, (item, result) -> handedOn.add(item + ":" + result));
        CompletableFuture<String> first = new CompletableFuture<>();
        window.add(0, first);
        window.add(1, CompletableFuture.completedFuture("b"));
        window.add(2, CompletableFuture.completedFuture("c"));
        assertEquals(List.of(), handedOn, "item 0 is not done, so nothing may pass it");
        first.complete("a");
        CompletableFuture<String> fourth = new CompletableFuture<>();
        window.add(3, fourth);
        assertEquals(List.of("0:a", "1:b", "2:c"), handedOn, "adding hands on every finished item at the head");
        fourth.complete("d");
        window.finish();
        assertEquals(List.of("0:a", "1:b", "2:c", "3:d"), handedOn);
    }

    @Test
    void aFullWindowWaitsForItsHead() throws IOException {
        OrderedWindow<Integer, String> window = new OrderedWindow<>(2, (item, result) -> handedOn.add(item + ":" + result));
        CompletableFuture<String> first = new CompletableFuture<>();
        CompletableFuture<String> second = new CompletableFuture<>();
        window.add(0, first);
        Thread completer = new Thread(() -> first.complete("a"));
        completer.start();
        // the second add fills the window (capacity 2), so it returns only once item 0 has been handed on
        window.add(1, second);
        assertEquals(List.of("0:a"), handedOn);
        second.complete("b");
        window.finish();
        assertEquals(List.of("0:a", "1:b"), handedOn);
    }
}
