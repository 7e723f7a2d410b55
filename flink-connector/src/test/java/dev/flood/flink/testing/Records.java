package dev.flood.flink.testing;

import dev.flood.api.GenerationResult;
import java.io.Serializable;

/** The events and enriched events of the connector's tests (public records: Flink serializes them as POJOs). */
public final class Records {

    private Records() {
    }

    public record Event(long id, String prompt) implements Serializable {
    }

    public record Enriched(long id, String prompt, String text, int completionTokens, String error)
            implements Serializable {

        public static Enriched of(Event event, GenerationResult result) {
            return new Enriched(event.id(), event.prompt(), result.text(), result.completionTokens(), result.error());
        }
    }
}
