package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.GenerationResult;
import dev.flood.api.TokenLogprobs;
import dev.flood.api.TopLogprob;
import dev.flood.tokenizer.Tokenizer;
import java.util.Locale;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The result columns of one prompt, written after the input row's own columns: {@code text}, {@code token_ids},
 * {@code finish_reason}
 * ({@code stop}, {@code length} or {@code error}), {@code prompt_tokens}, {@code completion_tokens}; then
 * {@code logprobs} when the request asked for them (per generated token: {@code id}, {@code token},
 * {@code logprob}, and the {@code top} alternatives with the same fields) and {@code error} when it failed.
 */
final class GenerationRecords {

    static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message generation {
              optional binary text (STRING);
              optional group token_ids (LIST) { repeated group list { required int32 element; } }
              required binary finish_reason (STRING);
              required int32 prompt_tokens;
              required int32 completion_tokens;
              optional group logprobs (LIST) {
                repeated group list {
                  required group element {
                    required int32 id;
                    optional binary token (STRING);
                    required double logprob;
                    optional group top (LIST) {
                      repeated group list {
                        required group element {
                          required int32 id;
                          optional binary token (STRING);
                          required double logprob;
                        }
                      }
                    }
                  }
                }
              }
              optional binary error (STRING);
            }
            """);

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private GenerationRecords() {
    }

    /** @param tokenizer names generated tokens that are not among their own top alternatives; may be null */
    static ObjectNode record(RowPrompt item, GenerationResult result, Tokenizer tokenizer) {
        ObjectNode record = NODES.objectNode();
        record.put("text", result.text());
        ArrayNode ids = record.putArray("token_ids");
        result.tokenIds().forEach(ids::add);
        record.put("finish_reason", result.finishReason().wireName());
        record.put("prompt_tokens", result.promptTokens());
        record.put("completion_tokens", result.completionTokens());
        if (!result.logprobs().isEmpty()) {
            ArrayNode logprobs = record.putArray("logprobs");
            for (TokenLogprobs token : result.logprobs()) {
                ObjectNode entry = logprobs.addObject();
                entry.put("id", token.tokenId());
                entry.put("token", tokenText(token, tokenizer));
                entry.put("logprob", token.logprob());
                ArrayNode top = entry.putArray("top");
                for (TopLogprob candidate : token.top()) {
                    top.addObject().put("id", candidate.tokenId()).put("token", candidate.token())
                            .put("logprob", candidate.logprob());
                }
            }
        }
        if (result.isError()) {
            record.put("error", item.row().located(result.error()));
        }
        return record;
    }

    /** The prompt, then the completion, then a line saying how it ended. */
    static String plain(RowPrompt item, JsonNode record) {
        StringBuilder text = new StringBuilder();
        text.append(">>> ").append(item.text() == null ? "(no prompt)" : item.text()).append('\n');
        if (record.has("error")) {
            text.append("[error] ").append(record.get("error").asText()).append('\n');
        } else {
            text.append(record.get("text").asText()).append('\n');
            text.append(String.format(Locale.ROOT, "[%d prompt tokens, %d generated, finished: %s]\n",
                    record.get("prompt_tokens").asInt(), record.get("completion_tokens").asInt(),
                    record.get("finish_reason").asText()));
        }
        return text.toString();
    }

    private static String tokenText(TokenLogprobs token, Tokenizer tokenizer) {
        for (TopLogprob candidate : token.top()) {
            if (candidate.tokenId() == token.tokenId()) {
                return candidate.token();
            }
        }
        boolean known = tokenizer != null && token.tokenId() < tokenizer.vocabSize();
        return known ? tokenizer.tokenText(token.tokenId()) : null;
    }
}
