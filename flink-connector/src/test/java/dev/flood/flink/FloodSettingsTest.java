package dev.flood.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig.CacheReservation;
import dev.flood.api.ScoreOptions;
import dev.flood.flink.FloodOptions.ErrorMode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.flink.configuration.ConfigOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Options given to the function beat the job's, which beat the defaults; bad values fail naming the option. */
class FloodSettingsTest {

    private static final UnaryOperator<String> NO_JOB_PARAMETERS = key -> null;

    @Test
    void functionOptionsOverJobParametersOverDefaults() {
        Map<String, String> job = Map.of("flood.model.path", "/job/model", "flood.max-new-tokens", "17",
                "flood.temperature", "0.7", "flood.cache-reservation", "INCREMENTAL");
        FloodSettings settings = FloodSettings.resolve(
                Map.of("flood.model.path", "/function/model", "flood.max-new-tokens", "33"), job::get);
        assertEquals(Path.of("/function/model"), settings.engine().modelPath());
        assertEquals(33, settings.sampling().maxNewTokens());
        assertEquals(0.7, settings.sampling().temperature());
        assertEquals(CacheReservation.INCREMENTAL, settings.engine().reservation());
        assertEquals(FloodOptions.MAX_BATCH_TOKENS.defaultValue(), settings.engine().maxBatchTokens());
        assertEquals(FloodOptions.TOP_P.defaultValue(), settings.sampling().topP());
        assertEquals(ErrorMode.RESULT, settings.onError());
        assertEquals(Runtime.getRuntime().availableProcessors(), settings.engine().threads(), "threads 0 = every core");
        assertEquals(ScoreOptions.DEFAULTS, settings.scoring());
    }

    @Test
    void scoringOptionsParse() {
        FloodSettings settings = FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.score.max-length",
                "2048", "flood.score.stride", "1500", "flood.score.sliding-window", "false"), NO_JOB_PARAMETERS);
        assertEquals(new ScoreOptions(2048, 1500, ScoreOptions.LongTexts.REJECT), settings.scoring());
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.score.max-length", "64",
                "flood.score.stride", "64"), NO_JOB_PARAMETERS),
                "invalid Flood options: stride 64 must be below max_length 64");
    }

    @Test
    void listAndEnumOptionsParse() {
        FloodSettings settings = FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.stop", "END;###",
                "flood.on-error", "FAIL", "flood.devices", "3;5", "flood.ignore-eos", "true"), NO_JOB_PARAMETERS);
        assertEquals(List.of("END", "###"), settings.sampling().stopStrings());
        assertEquals(ErrorMode.FAIL, settings.onError());
        assertEquals(List.of(3, 5), settings.engine().devices());
        assertTrue(settings.sampling().ignoreEos());
    }

    @Test
    void badOptionsNameTheProblem() {
        assertMessage(() -> FloodSettings.resolve(Map.of(), NO_JOB_PARAMETERS),
                "flood.model.path is not set: give it to the function or set it on the job");
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.temprature", "1"),
                NO_JOB_PARAMETERS), "unknown Flood option 'flood.temprature' (known: [flood.backend,");
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.top-p", "1.5"),
                NO_JOB_PARAMETERS), "invalid Flood options: top_p must be in (0, 1], got 1.5");
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.threads", "-3"),
                NO_JOB_PARAMETERS), "flood.threads must be >= 0 (0 = every core), got -3");
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.backend", "tpu"),
                NO_JOB_PARAMETERS), "backend must be 'cpu' or 'cuda', got 'tpu'");
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.max-new-tokens", "many"),
                NO_JOB_PARAMETERS), "flood.max-new-tokens");
    }

    @Test
    void requestSeedsComeFromTheBaseSeedAndThePrompt() {
        FloodSettings settings = FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.seed", "41"),
                NO_JOB_PARAMETERS);
        assertEquals(RequestSeeds.derive(41, "a prompt"), settings.samplingFor("a prompt").seed().getAsLong());
        assertEquals(settings.samplingFor("a prompt"), settings.samplingFor("a prompt"));
        assertNotEquals(settings.samplingFor("a prompt"), settings.samplingFor("another prompt"));
        assertTrue(settings.sampling().seed().isEmpty(), "the configured sampling carries no seed");
    }

    @Test
    void everyOptionHasADescriptionAndTheFloodPrefix() {
        for (ConfigOption<?> option : FloodOptions.ALL) {
            assertTrue(option.key().startsWith("flood."), option.key());
            assertTrue(option.description().toString().length() > 10, option.key() + " lacks a description");
        }
        assertEquals(FloodOptions.ALL.size(), FloodOptions.ALL.stream().map(ConfigOption::key).distinct().count());
    }

    private static void assertMessage(Executable action, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action);
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    }
}
