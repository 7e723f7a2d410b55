package dev.flood.api;

import java.util.Objects;

/**
 * One message of a conversation, as Hugging Face chat templates read it: {@code {"role": ..., "content": ...}}.
 * Roles are the template's business (most know {@code system}, {@code user}, {@code assistant}); a template that
 * does not accept a role raises, and the request gets that error.
 */
public record ChatMessage(String role, String content) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
