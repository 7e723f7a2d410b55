package dev.flood.flink.testing;

import dev.flood.api.FloodEngine;
import dev.flood.api.GenerationResult;
import dev.flood.flink.FloodSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/** Fresh prompts for each run, and what the engine generates for them outside Flink. */
public final class TestPrompts {

    private static final String[] WORDS = {"river", "stone", "light", "morning", "garden", "quiet", "copper",
        "window", "harbor", "winter", "letter", "forest", "signal", "orange", "thunder", "pocket", "meadow",
        "engine", "violet", "bridge", "candle", "desert", "feather", "island"};

    /** A prompt longer than the fixtures' 512-token context. */
    public static final String OVER_LONG = "word ".repeat(600);

    private TestPrompts() {
    }

    /** {@code count} prompts of 1 to 12 random words; distinct, so that each has its own seed and text. */
    public static List<String> random(Random random, int count) {
        List<String> prompts = new ArrayList<>();
        while (prompts.size() < count) {
            StringBuilder prompt = new StringBuilder();
            int numWords = 1 + random.nextInt(12);
            for (int i = 0; i < numWords; i++) {
                prompt.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
            }
            String text = prompt + " " + prompts.size();
            prompts.add(text);
        }
        return prompts;
    }

    /** Each prompt's result from an engine opened outside Flink, with the seeds the connector derives. */
    public static Map<String, GenerationResult> reference(List<String> prompts, FloodSettings settings) {
        List<String> valid = prompts.stream().filter(Objects::nonNull).distinct().toList();
        Map<String, GenerationResult> out = new HashMap<>();
        try (FloodEngine engine = FloodEngine.open(settings.engine())) {
            List<GenerationResult> results = engine.generate(valid.stream()
                    .map(settings::requestFor).toList());
            for (int i = 0; i < valid.size(); i++) {
                out.put(valid.get(i), results.get(i));
            }
        }
        return out;
    }
}
