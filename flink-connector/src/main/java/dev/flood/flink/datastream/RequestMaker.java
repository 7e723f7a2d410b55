package dev.flood.flink.datastream;

import dev.flood.api.ChatMessage;
import dev.flood.api.GenerateRequest;
import dev.flood.flink.FloodSettings;
import java.io.Serializable;
import java.util.List;
import org.apache.flink.annotation.Internal;

/**
 * The engine request of one event, from its prompt or its messages, with the settings resolved in the function's
 * {@code open}. Throws {@link IllegalArgumentException} for an event that cannot make a request, which becomes
 * that record's error.
 */
@Internal
@FunctionalInterface
interface RequestMaker<IN> extends Serializable {

    GenerateRequest request(IN event, FloodSettings settings);

    static <IN> RequestMaker<IN> ofPrompts(PromptExtractor<IN> prompts) {
        return (event, settings) -> settings.requestFor(prompts.prompt(event));
    }

    static <IN> RequestMaker<IN> ofMessages(MessagesExtractor<IN> extractor) {
        return (event, settings) -> {
            List<ChatMessage> messages = extractor.messages(event);
            if (messages == null) {
                throw new IllegalArgumentException("messages are null");
            }
            return settings.requestForMessages(messages);
        };
    }
}
