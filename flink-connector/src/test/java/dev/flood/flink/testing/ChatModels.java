package dev.flood.flink.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.ChatMessage;
import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.types.Row;

/**
 * A ChatML model for the chat tests: the tiny-qwen3-moe fixture in a folder of links, with its template replaced by
 * one that renders the same text for the roles system, user and assistant and raises for any other. And the
 * fixture's {@code chat_cases}: conversations with the token ids transformers rendered them to.
 */
public final class ChatModels {

    public static final String FIXTURE = "tiny-qwen3-moe";

    /** The fixture's ChatML template, plus a raise for an unknown role. */
    private static final String TEMPLATE = "{% for message in messages %}"
            + "{% if message['role'] not in ['system', 'user', 'assistant'] %}"
            + "{{ raise_exception('unknown role ' + message['role']) }}{% endif %}"
            + "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] | trim + '<|im_end|>' + '\n' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    /** One conversation of {@code chat_cases}, and how many tokens transformers rendered it to. */
    public record Case(List<ChatMessage> messages, int numPromptTokens) {

        /** The messages as a SQL {@code ARRAY<ROW<role, content>>} value. */
        public Row[] rows() {
            return messages.stream().map(m -> Row.of(m.role(), m.content())).toArray(Row[]::new);
        }
    }

    private ChatModels() {
    }

    /** Writes the model's folder under {@code parent} and returns it. */
    public static Path raisingChatMl(Path parent) throws IOException {
        Path source = Fixtures.model(FIXTURE).toAbsolutePath();
        Path model = Files.createDirectories(parent.resolve("chat-model"));
        try (Stream<Path> files = Files.list(source)) {
            for (Path file : files.filter(f -> !f.getFileName().toString().equals("chat_template.jinja")).toList()) {
                Files.createSymbolicLink(model.resolve(file.getFileName()), file);
            }
        }
        Files.writeString(model.resolve("chat_template.jinja"), TEMPLATE);
        return model;
    }

    public static List<Case> cases() throws IOException {
        JsonNode root = new ObjectMapper().readTree(Fixtures.model(FIXTURE).resolve("reference.json").toFile());
        List<Case> cases = new ArrayList<>();
        for (JsonNode chat : root.get("chat_cases")) {
            List<ChatMessage> messages = new ArrayList<>();
            chat.get("messages").forEach(m -> messages.add(new ChatMessage(m.get("role").asText(),
                    m.get("content").asText())));
            cases.add(new Case(messages, chat.get("input_ids").size()));
        }
        return cases;
    }
}
