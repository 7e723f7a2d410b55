package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.ScoreResult;
import java.util.Locale;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The output record of one scored text: {@code text}, {@code tokens}, {@code token_ids}, {@code token_logprobs}
 * (entry i is log p(token i+1 | tokens before it), special tokens included), {@code mean_nll}, {@code perplexity}
 * (null for a text of one token, which has no prediction to score), {@code windows} (how many sliding windows
 * the text was scored in: 1 when it fits the window, 0 for a text of one token or a failure), and {@code error}
 * when it failed.
 */
final class ScoreRecords {

    static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message score {
              optional binary text (STRING);
              required int32 tokens;
              optional group token_ids (LIST) { repeated group list { required int32 element; } }
              optional group token_logprobs (LIST) { repeated group list { required double element; } }
              optional double mean_nll;
              optional double perplexity;
              required int32 windows;
              optional binary error (STRING);
            }
            """);

    /** Texts longer than this are cut in plain output. */
    private static final int PLAIN_TEXT_CHARS = 60;

    private ScoreRecords() {
    }

    static ObjectNode record(InputItem item, ScoreResult result) {
        ObjectNode record = JsonNodeFactory.instance.objectNode();
        record.put("text", item.text());
        record.put("tokens", result.tokens());
        ArrayNode ids = record.putArray("token_ids");
        result.tokenIds().forEach(ids::add);
        ArrayNode logprobs = record.putArray("token_logprobs");
        result.tokenLogprobs().forEach(logprobs::add);
        JsonFields.putFinite(record, "mean_nll", result.meanNll());
        JsonFields.putFinite(record, "perplexity", result.perplexity());
        record.put("windows", result.windows());
        if (result.isError()) {
            record.put("error", item.located(result.error()));
        }
        return record;
    }

    /** One line: the statistics, then the start of the text. */
    static String plain(JsonNode record) {
        String text = record.path("text").asText("(no text)").replace("\n", "\\n");
        if (text.length() > PLAIN_TEXT_CHARS) {
            text = text.substring(0, PLAIN_TEXT_CHARS - 3) + "...";
        }
        if (record.has("error")) {
            return "error: " + record.get("error").asText() + "  | " + text;
        }
        int windows = record.path("windows").asInt(1);
        return String.format(Locale.ROOT, "perplexity %10.4f  mean_nll %8.5f  tokens %5d%s  | %s",
                record.path("perplexity").asDouble(Double.NaN), record.path("mean_nll").asDouble(Double.NaN),
                record.get("tokens").asInt(), windows > 1 ? "  windows " + windows : "", text);
    }
}
