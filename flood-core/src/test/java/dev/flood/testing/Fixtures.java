package dev.flood.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.config.ModelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The reference checkpoints in test resources and what Hugging Face transformers computed from them. */
public final class Fixtures {

    public static final List<String> MODELS = List.of("tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-qwen3-moe",
            "tiny-mixtral", "tiny-mistral-sw");

    /** One prompt of {@code reference.json}. */
    public record Case(String prompt, int[] inputIds, float[] lastLogits, double[] tokenLogprobs, double meanNll,
                       double perplexity, int[] greedy24, String greedyText) {
    }

    private Fixtures() {
    }

    /** Whether a fixture's model routes tokens to experts (a mixture of experts, whose router may swap them). */
    public static boolean mixtureOfExperts(ModelConfig config) {
        return config.moe() != null && config.moe().numExperts() > 0;
    }

    /**
     * The demo model (models/flood-demo in the repository), from the repository root (the GPU machine's test runs)
     * or from a module folder (Maven's).
     */
    public static Path demoModel() {
        for (Path candidate : List.of(Path.of("models", "flood-demo"), Path.of("..", "models", "flood-demo"))) {
            if (java.nio.file.Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("models/flood-demo not found from " + Path.of("").toAbsolutePath());
    }

    public static Path model(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static List<Case> cases(String name) {
        try {
            JsonNode root = new ObjectMapper().readTree(model(name).resolve("reference.json").toFile());
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                cases.add(new Case(c.get("prompt").asText(), ints(c.get("input_ids")), floats(c.get("last_logits")),
                        doubles(c.get("token_logprobs")), c.get("mean_nll").asDouble(), c.get("perplexity").asDouble(),
                        ints(c.get("greedy_24")), c.get("greedy_text").asText()));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** ‖actual − expected‖ / ‖expected‖. */
    public static double relativeError(double[] actual, double[] expected) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        return Math.sqrt(diff / norm);
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}
