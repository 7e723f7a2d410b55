package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flood.api.SamplingParams;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The sampling options of {@code generate}, in one table used three ways: as command-line options
 * ({@code --top-p 0.9}), as per-line overrides in JSONL input ({@code "top_p": 0.9}), and as setters of
 * {@link SamplingParams.Builder}. A line's overrides replace the command line's values field by field; the
 * record validates the result.
 */
final class SamplingOptions {

    private static final String SECTION = "Sampling (a JSONL line may override each with its snake_case key, e.g. top_p)";
    private static final SamplingParams DEFAULTS = SamplingParams.builder().build();

    /** One sampling setting: its option name, its JSON key, its value type and where it goes in the builder. */
    private record Field(String option, String jsonKey, String valueName, ValueKind kind, String help,
                         BiConsumer<SamplingParams.Builder, Object> setter) {

        Option asOption() {
            return switch (kind) {
                case FLAG -> Option.flag(SECTION, option, help);
                case STRINGS, INTS -> Option.repeated(SECTION, option, valueName, help);
                default -> Option.value(SECTION, option, valueName, help);
            };
        }
    }

    private static final List<Field> FIELDS = List.of(
            new Field("max-tokens", "max_tokens", "N", ValueKind.INT,
                    "most tokens to generate (default " + DEFAULTS.maxNewTokens() + ")",
                    (b, v) -> b.maxNewTokens((Integer) v)),
            new Field("temperature", "temperature", "T", ValueKind.DOUBLE, "0 is greedy (default 0)",
                    (b, v) -> b.temperature((Double) v)),
            new Field("top-p", "top_p", "P", ValueKind.DOUBLE, "nucleus sampling, in (0, 1] (default 1: off)",
                    (b, v) -> b.topP((Double) v)),
            new Field("top-k", "top_k", "K", ValueKind.INT, "keep the K most likely tokens (default 0: off)",
                    (b, v) -> b.topK((Integer) v)),
            new Field("min-p", "min_p", "P", ValueKind.DOUBLE, "drop tokens below P times the top one, in [0, 1]",
                    (b, v) -> b.minP((Double) v)),
            new Field("repetition-penalty", "repetition_penalty", "X", ValueKind.DOUBLE,
                    "Hugging Face repetition penalty, > 0 (default 1: off)", (b, v) -> b.repetitionPenalty((Double) v)),
            new Field("presence-penalty", "presence_penalty", "X", ValueKind.DOUBLE, "in [-2, 2] (default 0)",
                    (b, v) -> b.presencePenalty((Double) v)),
            new Field("frequency-penalty", "frequency_penalty", "X", ValueKind.DOUBLE, "in [-2, 2] (default 0)",
                    (b, v) -> b.frequencyPenalty((Double) v)),
            new Field("seed", "seed", "N", ValueKind.LONG, "the request's random seed (default: one per request)",
                    (b, v) -> b.seed((Long) v)),
            new Field("ignore-eos", "ignore_eos", null, ValueKind.FLAG, "keep generating past end-of-sequence",
                    (b, v) -> {
                        if ((Boolean) v) {
                            b.ignoreEos();
                        }
                    }),
            new Field("logprobs", "logprobs", "K", ValueKind.INT,
                    "return the K most likely tokens' log-probabilities per generated token (0 to "
                            + SamplingParams.MAX_LOGPROBS + ")", (b, v) -> b.logprobs((Integer) v)),
            new Field("stop", "stop", "TEXT", ValueKind.STRINGS, "stop before TEXT (repeatable)",
                    (b, v) -> b.stopStrings(ValueKind.strings(v))),
            new Field("stop-token-id", "stop_token_ids", "ID", ValueKind.INTS, "stop at token ID (repeatable)",
                    (b, v) -> b.stopTokenIds(ValueKind.ints(v))));

    static final List<Option> OPTIONS = FIELDS.stream().map(Field::asOption).toList();

    /** The values given on the command line, each already valid on its own. */
    private final Map<Field, Object> given;
    private final SamplingParams base;

    private SamplingOptions(Map<Field, Object> given) {
        this.given = given;
        this.base = build(given);
    }

    /** Reads the sampling options; a value that is malformed or out of range is a usage error naming its option. */
    static SamplingOptions from(ParsedArgs args) throws UsageException {
        Map<Field, Object> given = new LinkedHashMap<>();
        for (Field field : FIELDS) {
            if (!args.has(field.option())) {
                continue;
            }
            Object value = field.kind().fromArgs(field.option(), args.list(field.option()), args.string(field.option(), null));
            try {
                build(Map.of(field, value));
            } catch (IllegalArgumentException e) {
                throw new UsageException("invalid --" + field.option() + ": " + e.getMessage());
            }
            given.put(field, value);
        }
        return new SamplingOptions(given);
    }

    /** The command line's sampling parameters. */
    SamplingParams base() {
        return base;
    }

    /**
     * The command line's parameters with the sampling keys of one input line put over them; keys that are not
     * sampling settings are ignored.
     *
     * @throws IllegalArgumentException naming the key when a value has the wrong type or is out of range
     */
    SamplingParams withOverrides(JsonNode line) {
        if (line == null) {
            return base;
        }
        Map<Field, Object> values = null;
        for (Field field : FIELDS) {
            JsonNode value = line.get(field.jsonKey());
            if (value != null && !value.isNull()) {
                if (values == null) {
                    values = new LinkedHashMap<>(given);
                }
                values.put(field, field.kind().fromJson(field.jsonKey(), value));
            }
        }
        return values == null ? base : build(values);
    }

    private static SamplingParams build(Map<Field, Object> values) {
        SamplingParams.Builder builder = SamplingParams.builder();
        values.forEach((field, value) -> field.setter().accept(builder, value));
        return builder.build();
    }
}
