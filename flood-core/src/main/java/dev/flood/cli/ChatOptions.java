package dev.flood.cli;

import dev.flood.api.ChatMessage;
import dev.flood.api.GenerateRequest;
import dev.flood.api.ResponseFormat;
import dev.flood.api.SamplingParams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@code generate} turns an input into a request: as plain prompt text, or as chat messages rendered by the
 * model's chat template ({@code --chat}, {@code --system}, or a row with {@code messages}: see {@link TextColumn}), and
 * with the response format every request's output must take ({@code --json-schema}, {@code --regex},
 * {@code --choice}; at most one).
 *
 * @param chat    whether plain prompts are sent as one user message
 * @param system  a system message put before each plain prompt's user message, or null
 * @param format  the response format of every request, or null
 */
record ChatOptions(boolean chat, String system, ResponseFormat format) {

    private static final String SECTION = "Chat and structured outputs";

    static final List<Option> OPTIONS = List.of(
            Option.flag(SECTION, "chat", "send each prompt as a user message through the model's chat template "
                    + "(JSONL lines with a 'messages' array of {role, content}, and Parquet rows with a 'messages'"
                    + " list<struct<role, content>> column and no prompt column, are always chat)"),
            Option.value(SECTION, "messages-column", "NAME", "the column (JSON field) holding a row's chat messages,"
                    + " read where the row has no prompt column (default messages)"),
            Option.value(SECTION, "system", "TEXT", "a system message before each prompt (implies --chat)"),
            Option.value(SECTION, "json-schema", "FILE", "outputs are JSON valid under the JSON schema in FILE"),
            Option.value(SECTION, "regex", "PATTERN", "outputs are texts the whole regular expression matches"),
            Option.repeated(SECTION, "choice", "TEXT", "outputs are exactly one of the --choice texts (repeatable)"));

    /** Reads the options; more than one response format, or a schema file that cannot be read, is a usage error. */
    static ChatOptions from(ParsedArgs args) throws UsageException {
        List<ResponseFormat> formats = new ArrayList<>();
        if (args.has("json-schema")) {
            Path file = args.path("json-schema");
            try {
                formats.add(ResponseFormat.jsonSchema(Files.readString(file)));
            } catch (IOException e) {
                throw new UsageException("cannot read --json-schema " + file + ": " + e.getMessage());
            }
        }
        if (args.has("regex")) {
            formats.add(ResponseFormat.regex(args.string("regex", null)));
        }
        if (args.has("choice")) {
            formats.add(ResponseFormat.choice(args.list("choice")));
        }
        if (formats.size() > 1) {
            throw new UsageException("give at most one of --json-schema, --regex and --choice");
        }
        String system = args.string("system", null);
        return new ChatOptions(args.flag("chat") || system != null, system, formats.isEmpty() ? null : formats.get(0));
    }

    /** The request for one input row's prompt (which has no error). */
    GenerateRequest request(RowPrompt item, SamplingParams params) {
        GenerateRequest request;
        if (item.messages() != null) {
            request = GenerateRequest.ofMessages(item.messages(), params);
        } else if (chat) {
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null) {
                messages.add(ChatMessage.system(system));
            }
            messages.add(ChatMessage.user(item.text()));
            request = GenerateRequest.ofMessages(messages, params);
        } else {
            request = GenerateRequest.of(item.text(), params);
        }
        return format == null ? request : request.withResponseFormat(format);
    }
}
