package dev.flood.examples.flink;

/** An incoming event: an id and the text to continue. A public record, so Flink and SQL see its fields. */
public record Event(long id, String prompt) {
}
