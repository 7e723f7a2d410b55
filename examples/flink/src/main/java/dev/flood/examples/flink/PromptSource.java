package dev.flood.examples.flink;

import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;

/**
 * A rate-limited stream of events: the i-th event's prompt is the i-th of the given prompts, cycling, so that a
 * small file or the built-in list feeds a stream of any length.
 */
final class PromptSource {

    static final List<String> BUILT_IN = List.of(
            "Write a short note to a neighbour about",
            "The weather report for tomorrow says",
            "Summarize in one sentence: the river rose overnight and",
            "A recipe for bread begins with",
            "The quick brown fox jumps over the lazy dog.",
            "Once upon a time, in a harbor town,",
            "Three facts about copper:");

    private PromptSource() {
    }

    static DataGeneratorSource<Event> of(List<String> prompts, long numEvents, double eventsPerSecond) {
        List<String> cycle = List.copyOf(prompts);
        return new DataGeneratorSource<>(index -> new Event(index, cycle.get((int) (index % cycle.size()))),
                numEvents, RateLimiterStrategy.perSecond(eventsPerSecond), TypeInformation.of(Event.class));
    }
}
