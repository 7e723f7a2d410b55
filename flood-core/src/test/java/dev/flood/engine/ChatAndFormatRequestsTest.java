package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.ChatMessage;
import dev.flood.api.EngineConfig;
import dev.flood.api.FinishReason;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.ResponseFormat;
import dev.flood.api.SamplingParams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests from chat messages and with response formats through the engine (the demo model, with a chat template
 * added in a copy of its folder): the rendered prompt is what the model sees, and each bad request (a template
 * that raises, a model without a template, a format that cannot be enforced) fails alone with its reason.
 */
class ChatAndFormatRequestsTest {

    private static final Path DEMO = Path.of("..", "models", "flood-demo").toAbsolutePath();
    private static final String TEMPLATE = "{{ bos_token }}{% for m in messages %}"
            + "{% if m.role not in ['system', 'user', 'assistant'] %}{{ raise_exception('unknown role ' + m.role) }}"
            + "{% endif %}{{ m.role | upper }}: {{ m.content | trim }}\n{% endfor %}"
            + "{% if add_generation_prompt %}ASSISTANT:{% endif %}";
    private static final SamplingParams FOUR = SamplingParams.greedy(4);

    @TempDir
    static Path chatModel;
    private static FloodEngine chat;
    private static FloodEngine plain;

    @BeforeAll
    static void open() throws IOException {
        for (String name : List.of("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                "model.safetensors")) {
            Files.createSymbolicLink(chatModel.resolve(name), DEMO.resolve(name));
        }
        Files.writeString(chatModel.resolve("chat_template.jinja"), TEMPLATE);
        chat = FloodEngine.open(EngineConfig.builder(chatModel).threads(2).build());
        plain = FloodEngine.open(EngineConfig.builder(DEMO).threads(2).build());
    }

    @AfterAll
    static void close() {
        chat.close();
        plain.close();
    }

    @Test
    void messagesAreRenderedByTheTemplateAndTokenizedWithoutAddedSpecials() {
        List<ChatMessage> conversation = List.of(ChatMessage.system(" Be brief. "), ChatMessage.user("Who are you?"));
        String rendered = "<|bos|>SYSTEM: Be brief.\nUSER: Who are you?\nASSISTANT:";
        int[] ids = chat.tokenizer().encodeWithoutSpecialTokens(rendered);
        assertEquals(0, ids[0], "the template wrote <|bos|> itself: id 0, once");
        assertFalse(Arrays.stream(ids).skip(1).anyMatch(id -> id == 0));
        GenerationResult fromMessages = chat.generate(List.of(GenerateRequest.ofMessages(conversation, FOUR))).get(0);
        GenerationResult fromIds = chat.generate(List.of(GenerateRequest.ofTokens(
                Arrays.stream(ids).boxed().toList(), FOUR))).get(0);
        assertNull(fromMessages.error());
        assertEquals(ids.length, fromMessages.promptTokens());
        assertEquals(fromIds.tokenIds(), fromMessages.tokenIds());
    }

    @Test
    void eachBadChatRequestFailsAloneWithItsReason() {
        List<GenerateRequest> batch = new ArrayList<>();
        batch.add(GenerateRequest.ofMessages(List.of(ChatMessage.user("hello")), FOUR));
        batch.add(GenerateRequest.ofMessages(List.of(new ChatMessage("tool", "{}")), FOUR));
        batch.add(GenerateRequest.ofMessages(List.of(), FOUR));
        batch.add(GenerateRequest.ofMessages(Arrays.asList(ChatMessage.user("a"), null), FOUR));
        List<GenerationResult> results = chat.generate(batch);
        assertNull(results.get(0).error());
        assertEquals(4, results.get(0).completionTokens());
        assertEquals("chat template " + chatModel.resolve("chat_template.jinja") + ": it raised: unknown role tool",
                results.get(1).error());
        assertEquals("a chat needs at least one message", results.get(2).error());
        assertEquals("message 1 is null", results.get(3).error());
        GenerationResult noTemplate = plain.generate(List.of(GenerateRequest.ofMessages(
                List.of(ChatMessage.user("hello")), FOUR))).get(0);
        assertEquals(FinishReason.ERROR, noTemplate.finishReason());
        assertEquals("this model has no chat template: " + DEMO + " has no chat_template.jinja and its"
                + " tokenizer_config.json no chat_template; give the prompt as text", noTemplate.error());
    }

    @Test
    void formatsThatCannotBeEnforcedFailAlone() {
        SamplingParams sampled = SamplingParams.builder().temperature(1).seed(3).maxNewTokens(6).build();
        List<GenerateRequest> batch = List.of(
                GenerateRequest.of("Yes or no?", sampled).withResponseFormat(ResponseFormat.choice(List.of("yes", "no"))),
                GenerateRequest.of("x", sampled).withResponseFormat(ResponseFormat.regex("(a)\\1")),
                GenerateRequest.of("x", sampled).withResponseFormat(ResponseFormat.jsonSchema("{\"type\": \"object\","
                        + " \"minProperties\": 2}")),
                GenerateRequest.of("x", SamplingParams.builder().maxNewTokens(6).ignoreEos().build())
                        .withResponseFormat(ResponseFormat.regex("a+")));
        List<GenerationResult> results = plain.generate(batch);
        assertTrue(List.of("yes", "no").contains(results.get(0).text()), results.get(0).text());
        assertEquals(FinishReason.STOP, results.get(0).finishReason());
        assertEquals("regex '(a)\\1' has a backreference, which no finite automaton can check at character 4",
                results.get(1).error());
        assertEquals("JSON schema at #/minProperties is a keyword Flood does not support", results.get(2).error());
        assertEquals("a response format cannot be combined with ignore_eos: the output ends where the format is"
                + " complete", results.get(3).error());
    }

    @Test
    void jsonCutByMaxTokensKeepsItsTextAndSaysSo() {
        String schema = "{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"}}, \"required\": [\"name\"]}";
        SamplingParams three = SamplingParams.builder().temperature(1).seed(1).maxNewTokens(3).build();
        GenerationResult cut = plain.generate(List.of(GenerateRequest.of("JSON:", three)
                .withResponseFormat(ResponseFormat.jsonSchema(schema)))).get(0);
        assertEquals(FinishReason.LENGTH, cut.finishReason());
        assertEquals(3, cut.completionTokens());
        assertTrue(cut.text().startsWith("{\""), cut.text());
        assertFalse(cut.isUsable());
        assertEquals("the output reached 3 tokens (max_tokens 3, or the model's context) before it was complete for"
                + " its response format; its raw text is kept", cut.error());
    }
}
