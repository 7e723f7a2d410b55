package dev.flood.examples.flink;

import dev.flood.api.GenerationResult;

/** An event with its completion; {@code error} is null unless the request failed. */
public record EnrichedEvent(long id, String prompt, String completion, int completionTokens, String error) {

    public static EnrichedEvent of(Event event, GenerationResult result) {
        return new EnrichedEvent(event.id(), event.prompt(), result.text(), result.completionTokens(), result.error());
    }
}
