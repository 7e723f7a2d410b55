package dev.flood.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One prompt to continue, given as exactly one of: text (tokenized by the engine, special tokens added as the
 * tokenizer's post-processor says), token ids, or chat messages (rendered by the model's chat template with the
 * generation prompt, then tokenized without adding special tokens, as transformers' {@code apply_chat_template}
 * does). A request with none is accepted here and reported as an error result by the engine, so a batch with
 * one bad row still returns every other row.
 *
 * @param responseFormat null for free text; else the shape the output must take (see {@link ResponseFormat})
 */
public record GenerateRequest(String prompt, List<Integer> promptTokenIds, List<ChatMessage> messages,
                              SamplingParams sampling, ResponseFormat responseFormat) {

    public GenerateRequest {
        Objects.requireNonNull(sampling, "sampling");
        int given = (prompt != null ? 1 : 0) + (promptTokenIds != null ? 1 : 0) + (messages != null ? 1 : 0);
        if (given > 1) {
            throw new IllegalArgumentException("give one of prompt text, prompt token ids or chat messages");
        }
        if (promptTokenIds != null) {
            promptTokenIds = List.copyOf(promptTokenIds);
        }
        if (messages != null) {
            // null messages are kept, to be reported as that request's error rather than thrown here
            messages = Collections.unmodifiableList(new ArrayList<>(messages));
        }
    }

    /** A text or token-id prompt with free-text output. */
    public GenerateRequest(String prompt, List<Integer> promptTokenIds, SamplingParams sampling) {
        this(prompt, promptTokenIds, null, sampling, null);
    }

    public static GenerateRequest of(String prompt, SamplingParams sampling) {
        return new GenerateRequest(prompt, null, sampling);
    }

    public static GenerateRequest ofTokens(List<Integer> promptTokenIds, SamplingParams sampling) {
        return new GenerateRequest(null, Objects.requireNonNull(promptTokenIds, "promptTokenIds"), sampling);
    }

    /** A conversation to continue with the model's next (assistant) message. */
    public static GenerateRequest ofMessages(List<ChatMessage> messages, SamplingParams sampling) {
        return new GenerateRequest(null, null, Objects.requireNonNull(messages, "messages"), sampling, null);
    }

    /** This request with its output held to {@code format} (null for free text). */
    public GenerateRequest withResponseFormat(ResponseFormat format) {
        return new GenerateRequest(prompt, promptTokenIds, messages, sampling, format);
    }
}
