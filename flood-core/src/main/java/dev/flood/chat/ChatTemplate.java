package dev.flood.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.ChatMessage;
import dev.flood.api.FloodException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model's chat template, rendered as transformers' {@code apply_chat_template(messages, tokenize=False)} renders
 * it: the template sees {@code messages} (each a {@code {role, content}} map), {@code add_generation_prompt} and
 * the tokenizer's special tokens ({@code bos_token}, {@code eos_token}, ...). Rendering is sandboxed
 * ({@link JinjaSandbox}): a model folder is untrusted input.
 *
 * <p>Where it comes from, as transformers loads it: {@code chat_template.jinja} beside the tokenizer if present,
 * else {@code chat_template} in {@code tokenizer_config.json} (a string, or a list of named templates of which
 * {@code default} is used). Special tokens come from {@code tokenizer_config.json}, or {@code
 * special_tokens_map.json} for those it lacks; each is a string or an {@code AddedToken} object with a
 * {@code content}.
 *
 * <p>Thread safety: render from any number of threads; {@link #close()} stops the render workers.
 */
public final class ChatTemplate implements AutoCloseable {

    static final String TEMPLATE_FILE = "chat_template.jinja";
    static final String CONFIG_FILE = "tokenizer_config.json";
    static final String SPECIAL_TOKENS_FILE = "special_tokens_map.json";
    private static final List<String> SPECIAL_TOKENS = List.of("bos_token", "eos_token", "unk_token", "pad_token",
            "sep_token", "cls_token", "mask_token");

    private final String source;
    private final String origin;
    private final Map<String, String> specialTokens;
    private final JinjaSandbox sandbox;

    ChatTemplate(String source, String origin, Map<String, String> specialTokens, JinjaSandbox sandbox) {
        this.source = source;
        this.origin = origin;
        this.specialTokens = Map.copyOf(specialTokens);
        this.sandbox = sandbox;
    }

    /**
     * The template of the model folder {@code modelDir}, or empty if it has none. Throws {@link FloodException}
     * naming the file when a file is there but unreadable or malformed.
     */
    public static Optional<ChatTemplate> load(Path modelDir) {
        return load(modelDir, JinjaSandbox.Limits.DEFAULT, Clock.systemDefaultZone());
    }

    static Optional<ChatTemplate> load(Path modelDir, JinjaSandbox.Limits limits, Clock clock) {
        Path templateFile = modelDir.resolve(TEMPLATE_FILE);
        JsonNode config = readJson(modelDir.resolve(CONFIG_FILE));
        String source;
        String origin;
        if (Files.isRegularFile(templateFile)) {
            source = readText(templateFile);
            origin = templateFile.toString();
        } else {
            origin = modelDir.resolve(CONFIG_FILE) + " (chat_template)";
            Optional<String> fromConfig = config == null ? Optional.empty()
                    : templateInConfig(config.get("chat_template"), origin);
            if (fromConfig.isEmpty()) {
                return Optional.empty();
            }
            source = fromConfig.get();
        }
        Map<String, String> specials = new LinkedHashMap<>();
        JsonNode map = readJson(modelDir.resolve(SPECIAL_TOKENS_FILE));
        for (String name : SPECIAL_TOKENS) {
            specialToken(config, name, modelDir.resolve(CONFIG_FILE))
                    .or(() -> specialToken(map, name, modelDir.resolve(SPECIAL_TOKENS_FILE)))
                    .ifPresent(token -> specials.put(name, token));
        }
        return Optional.of(new ChatTemplate(source, origin, specials, new JinjaSandbox(limits, clock)));
    }

    /**
     * The prompt for the model's next (assistant) message: the conversation rendered with
     * {@code add_generation_prompt=True}. Throws {@link FloodException} saying why when the template raises
     * (for instance on roles it does not accept) or breaks a sandbox limit.
     */
    public String renderPrompt(List<ChatMessage> messages) {
        return render(messages, true);
    }

    /** The conversation alone ({@code add_generation_prompt=False}), for scoring or training data. */
    public String renderConversation(List<ChatMessage> messages) {
        return render(messages, false);
    }

    private String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (messages == null || messages.isEmpty()) {
            throw new IllegalArgumentException("a chat needs at least one message");
        }
        List<Map<String, Object>> conversation = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage message = messages.get(i);
            if (message == null) {
                throw new IllegalArgumentException("message " + i + " is null");
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("role", message.role());
            entry.put("content", message.content());
            conversation.add(entry);
        }
        Map<String, Object> variables = new LinkedHashMap<>(specialTokens);
        variables.put("messages", conversation);
        variables.put("add_generation_prompt", addGenerationPrompt);
        try {
            return sandbox.render(source, variables);
        } catch (FloodException e) {
            throw new FloodException("chat template " + origin + ": " + e.getMessage(), e);
        }
    }

    /** Where the template was read from, for messages. */
    public String origin() {
        return origin;
    }

    @Override
    public void close() {
        sandbox.close();
    }

    private static Optional<String> templateInConfig(JsonNode node, String origin) {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (node.isTextual()) {
            return Optional.of(node.asText());
        }
        if (node.isArray()) {
            for (JsonNode named : node) {
                if ("default".equals(named.path("name").asText(null)) && named.path("template").isTextual()) {
                    return Optional.of(named.path("template").asText());
                }
            }
            throw new FloodException(origin + " is a list of named templates without one named 'default'");
        }
        throw new FloodException(origin + " is neither a string nor a list of named templates");
    }

    private static Optional<String> specialToken(JsonNode config, String name, Path file) {
        JsonNode token = config == null ? null : config.get(name);
        if (token == null || token.isNull()) {
            return Optional.empty();
        }
        if (token.isTextual()) {
            return Optional.of(token.asText());
        }
        if (token.isObject() && token.path("content").isTextual()) {
            return Optional.of(token.path("content").asText());
        }
        throw new FloodException(file + ": " + name + " is neither a string nor a token with a content: " + token);
    }

    /** The file's JSON object, or null if there is no such file. */
    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(readText(file));
        } catch (IOException e) {
            throw new FloodException("cannot parse " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new FloodException(file + " does not hold a JSON object");
        }
        return root;
    }

    private static String readText(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new FloodException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new FloodException(file + " is not UTF-8 text", e);
        }
    }
}
