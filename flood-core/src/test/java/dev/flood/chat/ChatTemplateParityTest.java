package dev.flood.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.ChatMessage;
import dev.flood.api.FloodException;
import dev.flood.testing.Fixtures;
import dev.flood.tokenizer.Tokenizer;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rendering against Python: the fixtures' {@code chat_cases} (text and token ids from transformers'
 * {@code apply_chat_template}), and the templates in {@code test/resources/chat/templates} against
 * {@code reference.json}, which {@code tools/chat_template_reference.py} rendered with Jinja2 set up as
 * transformers sets it up (each conversation with and without the generation prompt; text, or the message the
 * template raised).
 */
class ChatTemplateParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen3-moe", "tiny-mixtral"})
    void fixtureChatCasesRenderAsTransformersDoes(String model) throws IOException {
        Path dir = Fixtures.model(model);
        JsonNode reference = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        try (ChatTemplate template = ChatTemplate.load(dir).orElseThrow(); Tokenizer tokenizer = Tokenizer.load(dir)) {
            assertEquals(dir.resolve("chat_template.jinja").toString(), template.origin());
            int checked = 0;
            for (JsonNode chat : reference.get("chat_cases")) {
                assertTrue(chat.get("add_generation_prompt").asBoolean());
                String text = template.renderPrompt(messages(chat.get("messages")));
                assertEquals(chat.get("text").asText(), text, chat.get("messages").toString());
                int[] ids = new ObjectMapper().convertValue(chat.get("input_ids"), int[].class);
                assertArrayEquals(ids, tokenizer.encodeWithoutSpecialTokens(text), chat.get("messages").toString());
                checked++;
            }
            assertEquals(4, checked);
        }
    }

    @TestFactory
    Stream<DynamicTest> templatesRenderAsJinja2Does() throws IOException, URISyntaxException {
        Path dir = Path.of(ChatTemplateParityTest.class.getResource("/chat").toURI());
        JsonNode reference = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        Map<String, String> specials = new ObjectMapper().convertValue(reference.get("special_tokens"),
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() { });
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode entry : reference.get("templates")) {
            String name = entry.get("template").asText();
            String source = Files.readString(dir.resolve("templates").resolve(name));
            tests.add(DynamicTest.dynamicTest(name, () -> {
                try (ChatTemplate template = new ChatTemplate(source, name, specials,
                        new JinjaSandbox(JinjaSandbox.Limits.DEFAULT, Clock.systemDefaultZone()))) {
                    for (JsonNode c : entry.get("cases")) {
                        List<ChatMessage> messages = messages(c.get("messages"));
                        boolean prompt = c.get("add_generation_prompt").asBoolean();
                        String what = name + " " + c.get("messages") + " add_generation_prompt=" + prompt;
                        if (c.has("error")) {
                            FloodException e = assertThrows(FloodException.class, () -> render(template, messages, prompt), what);
                            assertEquals("chat template " + name + ": it raised: " + c.get("error").asText(),
                                    e.getMessage(), what);
                        } else {
                            assertEquals(c.get("text").asText(), render(template, messages, prompt), what);
                        }
                    }
                }
            }));
        }
        return tests.stream();
    }

    private static String render(ChatTemplate template, List<ChatMessage> messages, boolean prompt) {
        return prompt ? template.renderPrompt(messages) : template.renderConversation(messages);
    }

    static List<ChatMessage> messages(JsonNode array) {
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : array) {
            messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
        }
        return messages;
    }
}
