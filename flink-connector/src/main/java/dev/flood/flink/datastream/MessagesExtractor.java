package dev.flood.flink.datastream;

import dev.flood.api.ChatMessage;
import java.io.Serializable;
import java.util.List;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The conversation of one event, continued with the model's next message through its chat template. May return
 * null: the record then gets an error result ("messages are null"); a null message in the list, an empty list, a
 * template that raises or a model without a template give that record an error result too.
 */
@PublicEvolving
@FunctionalInterface
public interface MessagesExtractor<IN> extends Serializable {

    List<ChatMessage> messages(IN event);
}
