package dev.flood.spark;

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
import dev.flood.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * What {@code flood_generate} over a column would cost, before it runs:
 *
 * <pre>{@code
 * JobEstimate cost = FloodEstimate.of(df, "prompt", Map.of("max_tokens", "256"));
 * cost.wallSeconds().value(); cost.gpuHours();
 * }</pre>
 *
 * Counts the rows whose prompt is not null, tokenizes every prompt, or a uniform sample of {@link #SAMPLE_ROWS}
 * of them (the estimate then gives a 95% interval), on the driver with the model's tokenizer (no weights), and
 * prices the job with the calibration {@code flood bench --calibration} saved for the executors' device and this
 * model's shape. Options are those of {@code flood_generate}; the session's {@code spark.flood.*} apply too.
 */
public final class FloodEstimate {

    /** Prompts tokenized at most: more rows are sampled. */
    public static final int SAMPLE_ROWS = 10_000;

    private FloodEstimate() {
    }

    /** The estimate with the calibrations in {@code ~/.flood/calibration.json}, where {@code ./flood bench} saves. */
    public static JobEstimate of(Dataset<Row> frame, String column, Map<String, String> options) {
        return of(frame, column, options, Path.of(System.getProperty("user.home"), ".flood", "calibration.json"));
    }

    /** The estimate with the calibrations in {@code calibrationFile}. */
    public static JobEstimate of(Dataset<Row> frame, String column, Map<String, String> options,
                                 Path calibrationFile) {
        FloodSettings settings = FloodSettings.resolve(
                scala.jdk.javaapi.CollectionConverters.asJava(frame.sparkSession().conf().getAll()), options);
        EngineConfig config = settings.engineConfig(List.of());
        ModelConfig model = ModelConfigReader.read(config.modelPath());
        String device = Calibration.deviceOf(config);
        String shape = ModelShape.of(model).key();
        Calibration calibration = new CalibrationStore(calibrationFile).find(device, shape).orElseThrow(() ->
                new FloodException("no calibration for " + device + " and model shape " + shape + " in "
                        + calibrationFile + "; calibrate once, on a machine like the executors, with: ./flood bench"
                        + " --model " + config.modelPath() + " --backend " + config.backend()));
        Dataset<Row> prompts = frame.select(functions.col(column)).where(functions.col(column).isNotNull());
        long rows = prompts.count();
        if (rows == 0) {
            throw new IllegalArgumentException("column '" + column + "' has no prompts to estimate");
        }
        // a sample a little larger than needed, so that limit() rarely leaves it short
        List<Row> sample = rows <= SAMPLE_ROWS ? prompts.collectAsList()
                : prompts.sample(false, Math.min(1, 1.1 * SAMPLE_ROWS / rows), settings.seed())
                        .limit(SAMPLE_ROWS).collectAsList();
        int[] promptTokens = new int[sample.size()];
        try (Tokenizer tokenizer = Tokenizer.load(config.modelPath())) {
            for (int i = 0; i < promptTokens.length; i++) {
                promptTokens[i] = tokenizer.encode(sample.get(i).getString(0)).length;
            }
        }
        return Estimator.estimate(config, model, JobSample.of(rows, promptTokens,
                settings.sampling().maxNewTokens()), calibration);
    }
}
