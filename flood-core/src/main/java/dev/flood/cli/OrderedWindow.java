package dev.flood.cli;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * Results handed on in input order while later inputs are still running: a FIFO of at most {@code capacity}
 * submitted items. Adding an item first hands on every finished item at the head; when the window is full it
 * waits for the head. Memory stays bounded by the window, and output starts as soon as the first item is done,
 * however long the input.
 *
 * @param <I> the input item
 * @param <R> its result
 */
final class OrderedWindow<I, R> {

    /** Receives each item with its result, in input order, on the thread that calls {@link #add} and {@link #finish}. */
    interface Consumer<I, R> {
        void accept(I item, R result) throws IOException;
    }

    private record Pending<I, R>(I item, CompletableFuture<R> result) {
    }

    private final ArrayDeque<Pending<I, R>> pending = new ArrayDeque<>();
    private final int capacity;
    private final Consumer<I, R> consumer;

    OrderedWindow(int capacity, Consumer<I, R> consumer) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
        this.consumer = consumer;
    }

    void add(I item, CompletableFuture<R> result) throws IOException {
        pending.add(new Pending<>(item, result));
        while (!pending.isEmpty() && pending.peek().result().isDone()) {
            handOn();
        }
        while (pending.size() >= capacity) {
            handOn();
        }
    }

    /** Waits for every item still in the window and hands each on. */
    void finish() throws IOException {
        while (!pending.isEmpty()) {
            handOn();
        }
    }

    private void handOn() throws IOException {
        Pending<I, R> head = pending.poll();
        consumer.accept(head.item(), head.result().join());
    }
}
