package dev.flood.api;

import java.util.List;

/**
 * What one request produced. On failure {@code finishReason} is {@link FinishReason#ERROR}, {@code error} says
 * why, and the other fields hold what was known (possibly nothing). A cancelled request's result has
 * {@link FinishReason#CANCELLED}, no error, and the tokens and text generated before the cancel took effect.
 * A request with a response format whose
 * output was cut before it was complete (by max tokens, the context, or a stop string) keeps its finish reason
 * ({@code length} or {@code stop}) and raw text, and has {@code error} set: its text is not a value of the format.
 *
 * @param text             the decoded completion (special tokens skipped), cut before any stop string
 * @param tokenIds         the generated ids, including a final EOS or stop token if one ended generation
 * @param promptTokens     tokens in the prompt as the model saw it
 * @param completionTokens generated tokens ({@code tokenIds.size()})
 * @param finishReason     stop, length, error or cancelled
 * @param logprobs         one entry per generated token when the request asked for logprobs, else empty
 * @param error            null unless finishReason is ERROR or a response format's output is incomplete
 */
public record GenerationResult(String text, List<Integer> tokenIds, int promptTokens, int completionTokens,
                               FinishReason finishReason, List<TokenLogprobs> logprobs, String error) {

    public GenerationResult {
        tokenIds = List.copyOf(tokenIds);
        logprobs = List.copyOf(logprobs);
    }

    public static GenerationResult failed(String error, int promptTokens) {
        return new GenerationResult("", List.of(), promptTokens, 0, FinishReason.ERROR, List.of(), error);
    }

    public boolean isError() {
        return finishReason == FinishReason.ERROR;
    }

    public boolean isCancelled() {
        return finishReason == FinishReason.CANCELLED;
    }

    /** Whether the output can be used as its request asked: not failed and, with a response format, complete. */
    public boolean isUsable() {
        return error == null;
    }
}
