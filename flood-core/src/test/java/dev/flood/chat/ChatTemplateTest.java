package dev.flood.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.ChatMessage;
import dev.flood.api.FloodException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a model folder's template and special tokens come from, and how malformed files are refused. */
class ChatTemplateTest {

    private static final List<ChatMessage> HELLO = List.of(ChatMessage.user("hello"));
    private static final String ECHO = "{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}"
            + "{% if add_generation_prompt %}>{% endif %}{{ eos_token }}";

    @TempDir
    Path dir;

    private String render(List<ChatMessage> messages) {
        try (ChatTemplate template = ChatTemplate.load(dir).orElseThrow()) {
            return template.renderPrompt(messages);
        }
    }

    @Test
    void aFolderWithoutATemplateHasNone() throws IOException {
        assertTrue(ChatTemplate.load(dir).isEmpty());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        assertTrue(ChatTemplate.load(dir).isEmpty());
    }

    @Test
    void theJinjaFileWinsOverTheConfigsTemplate() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"config\", \"bos_token\": \"<s>\","
                + " \"eos_token\": {\"content\": \"</s>\", \"__type\": \"AddedToken\"}}");
        assertEquals("config", render(HELLO));
        Files.writeString(dir.resolve("chat_template.jinja"), ECHO + "\n");
        assertEquals("<s>user:hello;></s>", render(HELLO));
        try (ChatTemplate template = ChatTemplate.load(dir).orElseThrow()) {
            assertEquals("<s>user:hello;</s>", template.renderConversation(HELLO));
        }
    }

    @Test
    void namedTemplatesUseDefault() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"tool_use\", "
                + "\"template\": \"tools\"}, {\"name\": \"default\", \"template\": \"plain\"}]}");
        assertEquals("plain", render(HELLO));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"tool_use\", "
                + "\"template\": \"tools\"}]}");
        FloodException e = assertThrows(FloodException.class, () -> ChatTemplate.load(dir));
        assertEquals(dir.resolve("tokenizer_config.json") + " (chat_template) is a list of named templates without one"
                + " named 'default'", e.getMessage());
    }

    @Test
    void specialTokensFallBackToTheSpecialTokensMap() throws IOException {
        Files.writeString(dir.resolve("chat_template.jinja"), ECHO);
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"bos_token\": {\"content\": \"[B]\"}, \"eos_token\": \"[E]\"}");
        assertEquals("[B]user:hello;>[E]", render(HELLO));
    }

    @Test
    void malformedFilesAreRefusedByName() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": ");
        FloodException e = assertThrows(FloodException.class, () -> ChatTemplate.load(dir));
        assertTrue(e.getMessage().startsWith("cannot parse " + dir.resolve("tokenizer_config.json")), e.getMessage());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 42}");
        e = assertThrows(FloodException.class, () -> ChatTemplate.load(dir));
        assertEquals(dir.resolve("tokenizer_config.json") + " (chat_template) is neither a string nor a list of named"
                + " templates", e.getMessage());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": 7}");
        Files.writeString(dir.resolve("chat_template.jinja"), ECHO);
        e = assertThrows(FloodException.class, () -> ChatTemplate.load(dir));
        assertEquals(dir.resolve("tokenizer_config.json") + ": eos_token is neither a string nor a token with a"
                + " content: 7", e.getMessage());
        Files.delete(dir.resolve("tokenizer_config.json"));
        Files.write(dir.resolve("chat_template.jinja"), new byte[] {'{', '{', (byte) 0xff, '}', '}'});
        e = assertThrows(FloodException.class, () -> ChatTemplate.load(dir));
        assertEquals(dir.resolve("chat_template.jinja") + " is not UTF-8 text", e.getMessage());
    }

    @Test
    void renderErrorsNameTheTemplateAndTheProblem() throws IOException {
        Files.writeString(dir.resolve("chat_template.jinja"),
                "{% if messages[0].role != 'user' %}{{ raise_exception('first message must be from the user') }}{% endif %}ok");
        assertEquals("ok", render(HELLO));
        FloodException e = assertThrows(FloodException.class, () -> render(List.of(ChatMessage.system("hi"))));
        assertEquals("chat template " + dir.resolve("chat_template.jinja") + ": it raised: first message must be from"
                + " the user", e.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> render(List.of()));
        assertEquals("a chat needs at least one message", empty.getMessage());
    }
}
