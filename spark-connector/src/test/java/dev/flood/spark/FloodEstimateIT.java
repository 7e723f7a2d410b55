package dev.flood.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodException;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.estimate.Calibration;
import dev.flood.estimate.CalibrationStore;
import dev.flood.estimate.Estimator;
import dev.flood.estimate.JobEstimate;
import dev.flood.estimate.JobSample;
import dev.flood.estimate.ModelShape;
import dev.flood.estimate.ThroughputModel;
import dev.flood.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FloodEstimate on a DataFrame: every non-null prompt counted and tokenized, priced with the calibration saved for
 * the session's device and the model's shape, exactly as the estimator prices the same rows; without a
 * calibration, a message naming what is missing and the command that calibrates.
 */
class FloodEstimateIT {

    private static final long SEED = System.nanoTime();

    @TempDir
    Path temp;

    @Test
    void aDataFrameIsEstimatedFromItsPromptsAndTheSavedCalibration() {
        SparkSession spark = SparkTestSession.get();
        Map<String, String> options = Map.of("max_tokens", "8");
        List<String> prompts = new ArrayList<>(TestPrompts.mixed(new Random(SEED), 40));
        prompts.add(null);
        Dataset<Row> frame = TestPrompts.frame(spark, prompts);
        Path file = temp.resolve("calibration.json");
        EngineConfig config = FloodSettings.resolve(
                scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()), options).engineConfig(List.of());
        ModelConfig model = ModelConfigReader.read(config.modelPath());
        String device = Calibration.deviceOf(config);

        FloodException missing = assertThrows(FloodException.class,
                () -> FloodEstimate.of(frame, "prompt", options, file));
        assertTrue(missing.getMessage().startsWith("no calibration for " + device + " and model shape "
                + ModelShape.of(model).key() + " in " + file + "; calibrate once"), missing.getMessage());

        // the limits a bench would have run with; the job's config leaves them automatic (0) unless set
        Calibration calibration = new Calibration(device, ModelShape.of(model).key(),
                new ThroughputModel(1e-3, 0.5, 0.7), 4096, config.maxBatchTokens() > 0 ? config.maxBatchTokens() : 2048,
                config.maxRunningRequests() > 0 ? config.maxRunningRequests() : 256, 1.5, "safetensors",
                "2026-12-02T00:00:00Z");
        new CalibrationStore(file).save(calibration);
        JobEstimate estimate = FloodEstimate.of(frame, "prompt", options, file);

        int[] promptTokens = new int[prompts.size() - 1];
        try (Tokenizer tokenizer = Tokenizer.load(config.modelPath())) {
            for (int i = 0; i < promptTokens.length; i++) {
                promptTokens[i] = tokenizer.encode(prompts.get(i)).length;
            }
        }
        assertEquals(48, estimate.rows(), "the null prompt is left out");
        assertTrue(estimate.promptTokens().isExact(), "every row was tokenized");
        assertEquals(java.util.Arrays.stream(promptTokens).sum(), estimate.promptTokens().value());
        assertEquals(48 * 8, estimate.generatedTokens());
        assertEquals(Estimator.estimate(config, model, JobSample.of(48, promptTokens, 8), calibration), estimate);
    }
}
