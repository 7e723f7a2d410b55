package dev.flood.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.ChatMessage;
import dev.flood.api.EngineConfig;
import dev.flood.api.ResponseFormat;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreOptions;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Precedence (call, then conf, then default), validation messages, and the per-row seed. */
class FloodSettingsTest {

    private static final Map<String, String> CONF = Map.of(
            "spark.flood.model", "/models/a",
            "spark.flood.temperature", "0.5",
            "spark.flood.max_tokens", "40",
            "spark.app.name", "not ours");

    @Test
    void callOverridesConfWhichOverridesDefault() {
        FloodSettings settings = FloodSettings.resolve(CONF, Map.of("max_tokens", "7", "model", "/models/b"));
        SamplingParams sampling = settings.sampling();
        assertEquals(7, sampling.maxNewTokens(), "call beats conf");
        assertEquals(0.5, sampling.temperature(), "conf beats default");
        assertEquals(1.0, sampling.topP(), "default");
        EngineConfig engine = settings.engineConfig(List.of());
        assertEquals("/models/b", engine.modelPath().toString());
        assertEquals(0, engine.maxBatchTokens(), "0: the engine picks the step budget");
        assertEquals(FloodSettings.Output.PLAIN, settings.output());
        assertEquals(FloodSettings.OnError.NULL, settings.onError());
        assertEquals(256, settings.maxInFlightRows());
        assertEquals(Map.of("max_tokens", "7", "model", "/models/b", "temperature", "0.5"), settings.explicit());
    }

    @Test
    void everyOptionParses() {
        Map<String, String> all = new HashMap<>();
        all.put("model", "/m");
        all.put("load_format", "dummy");
        all.put("backend", "cuda");
        all.put("devices", "2, 3");
        all.put("stages", "0");
        all.put("stage_layers", "9, 7");
        all.put("steps_in_flight", "2");
        all.put("cache_tokens", "999");
        all.put("max_batch_tokens", "77");
        all.put("max_running_requests", "13");
        all.put("reservation", "incremental");
        all.put("prefix_caching", "off");
        all.put("threads", "3");
        all.put("engine_seed", "11");
        all.put("temperature", "0.9");
        all.put("top_k", "5");
        all.put("top_p", "0.8");
        all.put("min_p", "0.1");
        all.put("repetition_penalty", "1.2");
        all.put("presence_penalty", "0.3");
        all.put("frequency_penalty", "-0.4");
        all.put("max_tokens", "9");
        all.put("stop", "[\"\\n\\n\", \"END\"]");
        all.put("stop_token_ids", "4,8");
        all.put("ignore_eos", "true");
        all.put("logprobs", "3");
        all.put("seed", "-12");
        all.put("system", "Answer in one word.");
        all.put("json_schema", "{\"type\": \"boolean\"}");
        all.put("max_length", "4096");
        all.put("stride", "1000");
        all.put("sliding_window", "false");
        all.put("on_error", "fail");
        all.put("max_in_flight", "17");
        all.put("key_column", "id");
        all.put("output", "struct");
        Set<String> covered = new HashSet<>(all.keySet());
        // one format per call: aResponseFormatAndASystemMessage, anOutputSchemaIsTheCallsFormat
        covered.addAll(List.of("regex", "choice", "output_schema"));
        assertEquals(FloodOptions.ALL.keySet(), covered, "the test sets every option");
        FloodSettings settings = FloodSettings.resolve(Map.of(), all);
        EngineConfig engine = settings.engineConfig(List.of());
        assertEquals(EngineConfig.LoadFormat.DUMMY, engine.loadFormat());
        assertEquals(List.of(2, 3), engine.devices());
        assertEquals(List.of(9, 7), engine.stageLayers());
        assertEquals(2, engine.stepsInFlight());
        assertEquals(999, engine.cacheTokens());
        assertEquals(EngineConfig.PrefixCaching.OFF, engine.prefixCaching());
        assertEquals(77, engine.maxBatchTokens());
        assertEquals(13, engine.maxRunningRequests());
        assertEquals(EngineConfig.CacheReservation.INCREMENTAL, engine.reservation());
        assertEquals(3, engine.threads());
        assertEquals(11, engine.seed());
        SamplingParams s = settings.sampling();
        assertEquals(SamplingParams.builder().temperature(0.9).topK(5).topP(0.8).minP(0.1).repetitionPenalty(1.2)
                .presencePenalty(0.3).frequencyPenalty(-0.4).maxNewTokens(9).stopStrings(List.of("\n\n", "END"))
                .stopTokenIds(List.of(4, 8)).ignoreEos().logprobs(3).build(), s);
        assertEquals(-12, settings.seed());
        assertEquals(new ScoreOptions(4096, 1000, ScoreOptions.LongTexts.REJECT), settings.scoring());
        assertEquals(ScoreOptions.DEFAULTS, FloodSettings.resolve(CONF, Map.of()).scoring());
        assertEquals(FloodSettings.OnError.FAIL, settings.onError());
        assertEquals(17, settings.maxInFlightRows());
        assertEquals("id", settings.value(FloodOptions.KEY_COLUMN));
        assertEquals(FloodSettings.Output.STRUCT, settings.output());
        assertEquals("Answer in one word.", settings.system());
        assertEquals(ResponseFormat.jsonSchema("{\"type\": \"boolean\"}"), settings.responseFormat());
    }

    @Test
    void aResponseFormatAndASystemMessage() {
        assertNull(FloodSettings.resolve(CONF, Map.of()).responseFormat());
        assertNull(FloodSettings.resolve(CONF, Map.of()).system());
        assertEquals(ResponseFormat.regex("[0-9]+"), FloodSettings.resolve(CONF, Map.of("regex", "[0-9]+"))
                .responseFormat());
        assertEquals(ResponseFormat.choice(List.of("yes", "no")), FloodSettings.resolve(CONF,
                Map.of("choice", "[\"yes\", \"no\"]")).responseFormat());
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("choice", "yes")),
                "Flood option choice must be a non-empty JSON array of strings, got 'yes'");
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("choice", "[]")),
                "Flood option choice must be a non-empty JSON array of strings, got '[]'");
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("regex", "a", "choice", "[\"a\"]")),
                "give at most one of the Flood options json_schema, regex and choice");
        long plain = RowSeeds.seed(FloodSettings.resolve(CONF, Map.of()), "p");
        assertNotEquals(plain, RowSeeds.seed(FloodSettings.resolve(CONF, Map.of("system", "s")), "p"),
                "the system message is a sampling option: it changes the row's seed");
    }

    @Test
    void anOutputSchemaIsTheCallsFormat() {
        FloodSettings typed = FloodSettings.resolve(CONF, Map.of("output_schema", "name STRING, age INT"));
        assertEquals(ResponseFormat.jsonSchema("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
                + "\"age\":{\"type\":\"integer\",\"minimum\":-2147483648,\"maximum\":2147483647}},"
                + "\"required\":[\"name\",\"age\"],\"additionalProperties\":false}"), typed.responseFormat());
        assertEquals(typed.outputSchema().valueType(),
                FloodSettings.outputSchemaOf(Map.of("output_schema", "name STRING, age INT")).valueType());
        assertNull(FloodSettings.outputSchemaOf(Map.of()));
        for (String other : List.of("json_schema", "regex", "choice")) {
            assertMessage(() -> FloodSettings.resolve(CONF, Map.of("output_schema", "a INT", other, "[\"x\"]")),
                    "the Flood option output_schema cannot be combined with " + other);
        }
        assertMessage(() -> FloodSettings.resolve(Map.of("spark.flood.output_schema", "a INT"), Map.of()),
                "spark.flood.output_schema cannot be set in the conf");
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("output_schema", "a DATE")),
                "output_schema: field 'a': type DATE cannot be generated as JSON");
    }

    @Test
    void gpusOfTheTaskWinOverDevicesOnCudaAndCpuIgnoresThem() {
        FloodSettings cuda = FloodSettings.resolve(CONF, Map.of("backend", "cuda", "devices", "1"));
        assertEquals(List.of(1), cuda.engineConfig(List.of()).devices());
        assertEquals(List.of(5), cuda.engineConfig(List.of(5)).devices());
        FloodSettings cpu = FloodSettings.resolve(CONF, Map.of("devices", "1"));
        assertEquals(cpu.engineConfig(List.of(5)), FloodSettings.resolve(CONF, Map.of()).engineConfig(List.of()),
                "CPU calls share one engine whatever their devices");
    }

    @Test
    void threadsDefaultToTheExecutorsCores() {
        Map<String, String> conf = new HashMap<>(CONF);
        conf.put("spark.master", "spark://master:7077");
        int processors = Runtime.getRuntime().availableProcessors();
        assertEquals(processors, FloodSettings.resolve(conf, Map.of()).engineConfig(List.of()).threads(),
                "no executor cores known: the executor JVM's processors");
        conf.put("spark.executor.cores", "3");
        assertEquals(3, FloodSettings.resolve(conf, Map.of()).engineConfig(List.of()).threads());
        assertEquals(5, FloodSettings.resolve(conf, Map.of("threads", "5")).engineConfig(List.of()).threads(),
                "threads given explicitly win");
        conf.remove("spark.executor.cores");
        for (Map.Entry<String, Integer> local : Map.of("local", 1, "local[6]", 6, "local[4,3]", 4,
                "local-cluster[2, 7, 1024]", 7, "local[*]", processors).entrySet()) {
            conf.put("spark.master", local.getKey());
            assertEquals(local.getValue(), FloodSettings.resolve(conf, Map.of()).engineConfig(List.of()).threads(),
                    local.getKey());
        }
    }

    @Test
    void badOptionsAreNamed() {
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("tempreature", "1")),
                "unknown Flood option 'tempreature' (known: model, load_format,");
        assertMessage(() -> FloodSettings.resolve(Map.of("spark.flood.maxTokens", "1"), Map.of()),
                "unknown Flood option 'maxTokens'");
        assertMessage(() -> FloodSettings.resolve(Map.of("spark.flood.output", "struct"), Map.of()),
                "spark.flood.output cannot be set in the conf: 'output' is read during analysis");
        assertMessage(() -> FloodSettings.resolve(Map.of("spark.flood.key_column", "id"), Map.of()),
                "spark.flood.key_column cannot be set in the conf");
        assertMessage(() -> FloodSettings.resolve(Map.of(), Map.of()), "no model: set spark.flood.model");
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("max_tokens", "many")),
                "Flood option max_tokens must be an integer, got 'many'");
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("top_p", "1.5")),
                "invalid Flood sampling option: top_p must be in (0, 1], got 1.5");
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("backend", "tpu")), "backend must be 'cpu' or 'cuda'");
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("on_error", "skip")),
                "Flood option on_error must be one of [null, fail], got 'skip'");
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("stop", "END")),
                "Flood option stop must be a JSON array of strings, got 'END'");
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("ignore_eos", "yes")),
                "Flood option ignore_eos must be true or false, got 'yes'");
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("max_in_flight", "0")),
                "Flood option max_in_flight must be >= 1, got 0");
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("max_length", "64", "stride", "64")),
                "invalid Flood scoring option: stride 64 must be below max_length 64");
        assertMessage(() -> FloodSettings.resolve(CONF, Map.of("sliding_window", "no")),
                "Flood option sliding_window must be true or false, got 'no'");
        assertMessage(() -> FloodSettings.outputOf(Map.of("output", "json")),
                "Flood option output must be one of [plain, struct], got 'json'");
    }

    @Test
    void rowSeedsFollowPromptSamplingAndBaseSeedOnly() {
        Random random = new Random();
        String prompt = "prompt " + random.nextLong();
        FloodSettings base = FloodSettings.resolve(CONF, Map.of("temperature", "0.8"));
        long seed = RowSeeds.seed(base, prompt);
        assertEquals(seed, RowSeeds.seed(FloodSettings.resolve(CONF, Map.of("temperature", "0.8")), prompt));
        assertEquals(seed, RowSeeds.seed(FloodSettings.resolve(CONF, Map.of("temperature", "0.8",
                "max_in_flight", "3", "on_error", "fail", "max_batch_tokens", "64")), prompt),
                "connector and engine options do not change what a row samples");
        assertNotEquals(seed, RowSeeds.seed(base, prompt + " "));
        assertNotEquals(seed, RowSeeds.seed(base, null));
        assertNotEquals(seed, RowSeeds.seed(FloodSettings.resolve(CONF, Map.of("temperature", "0.8", "seed", "1")), prompt));
        assertNotEquals(seed, RowSeeds.seed(FloodSettings.resolve(CONF, Map.of("temperature", "0.9")), prompt));
        List<Integer> ids = List.of(random.nextInt(1000), random.nextInt(1000));
        assertEquals(RowSeeds.seedOfTokenIds(base, ids), RowSeeds.seedOfTokenIds(base, new java.util.ArrayList<>(ids)));
        assertNotEquals(RowSeeds.seedOfTokenIds(base, ids), RowSeeds.seed(base, ids.get(0) + "," + ids.get(1) + ","),
                "token ids hash apart from any text");
        assertNotEquals(RowSeeds.seedOfTokenIds(base, ids), RowSeeds.seedOfTokenIds(base, List.of(ids.get(1), ids.get(0))));
        List<ChatMessage> chat = List.of(ChatMessage.user(prompt));
        assertEquals(RowSeeds.seedOfMessages(base, chat), RowSeeds.seedOfMessages(base, List.of(ChatMessage.user(prompt))));
        assertNotEquals(RowSeeds.seedOfMessages(base, chat), RowSeeds.seed(base, prompt), "messages hash apart from text");
        assertNotEquals(RowSeeds.seedOfMessages(base, List.of(new ChatMessage("ab", "c"))),
                RowSeeds.seedOfMessages(base, List.of(new ChatMessage("a", "bc"))), "roles and contents hash apart");
        assertNotEquals(RowSeeds.seedOfMessages(base, chat), RowSeeds.seedOfMessages(base,
                List.of(ChatMessage.system(prompt))));
    }

    private static void assertMessage(Executable action, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action);
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    }
}
