package dev.flood.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.ChatMessage;
import dev.flood.api.EngineConfig.CacheReservation;
import dev.flood.api.EngineConfig.PrefixCaching;
import dev.flood.api.GenerateRequest;
import dev.flood.api.ResponseFormat;
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
                Map.of("flood.model.path", "/function/model", "flood.max-new-tokens", "33"), job::get,
                TaskManagerSlots.UNKNOWN);
        assertEquals(Path.of("/function/model"), settings.engine().modelPath());
        assertEquals(33, settings.sampling().maxNewTokens());
        assertEquals(0.7, settings.sampling().temperature());
        assertEquals(CacheReservation.INCREMENTAL, settings.engine().reservation());
        assertEquals(FloodOptions.MAX_BATCH_TOKENS.defaultValue(), settings.engine().maxBatchTokens());
        assertEquals(FloodOptions.TOP_P.defaultValue(), settings.sampling().topP());
        assertEquals(ErrorMode.RESULT, settings.onError());
        assertEquals(Runtime.getRuntime().availableProcessors(), settings.engine().threads(),
                "threads 0 with the slots unknown = every core");
        assertEquals(3, FloodSettings.resolve(Map.of("flood.model.path", "/m"), job::get, new TaskManagerSlots(3))
                .engine().threads(), "threads 0 = the TaskManager's slots");
        assertEquals(2, FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.threads", "2"), job::get,
                new TaskManagerSlots(3)).engine().threads(), "threads given explicitly win");
        assertEquals(ScoreOptions.DEFAULTS, settings.scoring());
        assertEquals(PrefixCaching.ON, settings.engine().prefixCaching(), "on by default");
    }

    @Test
    void prefixCachingTurnsOff() {
        FloodSettings settings = FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.prefix-caching", "OFF"),
                NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN);
        assertEquals(PrefixCaching.OFF, settings.engine().prefixCaching());
    }

    @Test
    void scoringOptionsParse() {
        FloodSettings settings = FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.score.max-length",
                "2048", "flood.score.stride", "1500", "flood.score.sliding-window", "false"), NO_JOB_PARAMETERS,
                TaskManagerSlots.UNKNOWN);
        assertEquals(new ScoreOptions(2048, 1500, ScoreOptions.LongTexts.REJECT), settings.scoring());
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.score.max-length", "64",
                "flood.score.stride", "64"), NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN),
                "invalid Flood options: stride 64 must be below max_length 64");
    }

    @Test
    void listAndEnumOptionsParse() {
        FloodSettings settings = FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.stop", "END;###",
                "flood.on-error", "FAIL", "flood.devices", "3;5", "flood.ignore-eos", "true",
                "flood.stage-layers", "20;12", "flood.steps-in-flight", "3"), NO_JOB_PARAMETERS,
                TaskManagerSlots.UNKNOWN);
        assertEquals(List.of("END", "###"), settings.sampling().stopStrings());
        assertEquals(ErrorMode.FAIL, settings.onError());
        assertEquals(List.of(3, 5), settings.engine().devices());
        assertEquals(List.of(20, 12), settings.engine().stageLayers());
        assertEquals(3, settings.engine().stepsInFlight());
        assertTrue(settings.sampling().ignoreEos());
    }

    @Test
    void badOptionsNameTheProblem() {
        assertMessage(() -> FloodSettings.resolve(Map.of(), NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN),
                "flood.model.path is not set: give it to the function or set it on the job");
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.temprature", "1"),
                NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN),
                "unknown Flood option 'flood.temprature' (known: [flood.backend,");
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.top-p", "1.5"),
                NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN),
                "invalid Flood options: top_p must be in (0, 1], got 1.5");
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.threads", "-3"),
                NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN),
                "flood.threads must be >= 0 (0 = the TaskManager's slots), got -3");
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.backend", "tpu"),
                NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN), "backend must be 'cpu' or 'cuda', got 'tpu'");
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.max-new-tokens", "many"),
                NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN), "flood.max-new-tokens");
    }

    @Test
    void aSystemMessageAndAResponseFormatShapeEachRequest() {
        FloodSettings plain = FloodSettings.resolve(Map.of("flood.model.path", "/m"), NO_JOB_PARAMETERS,
                TaskManagerSlots.UNKNOWN);
        assertEquals(GenerateRequest.of("hi", plain.samplingFor("hi")), plain.requestFor("hi"));
        FloodSettings chat = FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.system", "Be brief.",
                "flood.choice", "yes;no"), NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN);
        assertEquals(GenerateRequest.ofMessages(List.of(ChatMessage.system("Be brief."), ChatMessage.user("hi")),
                chat.samplingFor("hi")).withResponseFormat(ResponseFormat.choice(List.of("yes", "no"))),
                chat.requestFor("hi"));
        FloodSettings json = FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.json-schema",
                "{\"type\": \"integer\"}"), NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN);
        assertEquals(ResponseFormat.jsonSchema("{\"type\": \"integer\"}"), json.requestFor("hi").responseFormat());
        FloodSettings regex = FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.regex", "[0-9]+"),
                NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN);
        assertEquals(ResponseFormat.regex("[0-9]+"), regex.requestFor("hi").responseFormat());
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.regex", "a",
                "flood.choice", "a"), NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN),
                "invalid Flood options: give at most one of flood.output-schema, flood.json-schema, flood.regex and "
                        + "flood.choice");
    }

    /** An output schema is a JSON schema format; conversations get it too, with seeds of their own. */
    @Test
    void anOutputSchemaShapesPromptsAndConversations() {
        FloodSettings typed = FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.output-schema",
                "name STRING, age INT", "flood.system", "Be brief."), NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN);
        OutputSchema schema = OutputSchema.parse("name STRING, age INT");
        assertEquals(schema, typed.shape().output());
        assertEquals(schema.format(), typed.requestFor("hi").responseFormat());
        List<ChatMessage> conversation = List.of(ChatMessage.user("hi"));
        assertEquals(GenerateRequest.ofMessages(conversation, typed.samplingForMessages(conversation))
                .withResponseFormat(schema.format()), typed.requestForMessages(conversation),
                "the messages as given: flood.system is FLOOD_GENERATE's");
        assertNotEquals(typed.samplingFor("hi").seed(), typed.samplingForMessages(conversation).seed());
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.output-schema", "a INT",
                "flood.json-schema", "{}"), NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN),
                "invalid Flood options: give at most one of flood.output-schema, flood.json-schema");
        assertMessage(() -> FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.output-schema", "a DATE"),
                NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN),
                "invalid Flood options: output schema: field a has type DATE");
    }

    @Test
    void requestSeedsComeFromTheBaseSeedAndThePrompt() {
        FloodSettings settings = FloodSettings.resolve(Map.of("flood.model.path", "/m", "flood.seed", "41"),
                NO_JOB_PARAMETERS, TaskManagerSlots.UNKNOWN);
        assertEquals(RequestSeeds.derive(41, "a prompt"), settings.samplingFor("a prompt").seed().getAsLong());
        assertEquals(settings.samplingFor("a prompt"), settings.samplingFor("a prompt"));
        assertNotEquals(settings.samplingFor("a prompt"), settings.samplingFor("another prompt"));
        assertTrue(settings.sampling().seed().isEmpty(), "the configured sampling carries no seed");
        assertEquals(RequestSeeds.deriveForTokens(41, List.of(3, 5)), settings.samplingForTokens(List.of(3, 5)).seed()
                .getAsLong());
        assertNotEquals(settings.samplingForTokens(List.of(3, 5)), settings.samplingFor("3,5,"),
                "token ids hash apart from text");
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
