package dev.flood.engine;

import dev.flood.api.FinishReason;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.api.TokenLogprobs;
import dev.flood.sampling.RowLogprobs;
import dev.flood.sampling.Sampler;
import dev.flood.sampling.SamplingState;
import dev.flood.sampling.StopStrings;
import dev.flood.tokenizer.IncrementalDetokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A continuation being generated: samples one token per step from the logits of the sequence's last row,
 * streams text that can no longer change, and decides when to stop.
 */
final class Generation implements Work {

    final RequestFuture<GenerationResult> future = new RequestFuture<>();
    private final SamplingParams params;
    private final SamplingState sampling;
    private final IncrementalDetokenizer detokenizer;   // null when the engine has no tokenizer
    private final StopStrings stopStrings;
    private final GenerationListener listener;
    private final List<TokenLogprobs> logprobs = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();
    private int streamedChars;

    Generation(SamplingParams params, SamplingState sampling, IncrementalDetokenizer detokenizer,
               GenerationListener listener) {
        this.params = params;
        this.sampling = sampling;
        this.detokenizer = detokenizer;
        this.stopStrings = new StopStrings(params.stopStrings());
        this.listener = listener;
    }

    /** Everything before the last known token: only its row's logits are read, to draw the next token. */
    @Override
    public int skippableTokens(Sequence sequence) {
        return sequence.numTokens() - 1;
    }

    SamplingState samplingState() {
        return sampling;
    }

    /**
     * Whether the next input token may be one a step in flight is still drawing (a deferred token, read where it
     * was drawn). Not with repetition, presence or frequency penalties: the next draw counts every earlier token,
     * so it waits until the host has taken the previous one. Not with a response format either: the next step's
     * mask follows from the previous token, which the host must have read through the constraint (it does so as
     * it takes the token, so the mask is ready when the request is scheduled again).
     */
    boolean mayDeferTokens() {
        return params.repetitionPenalty() == 1 && params.presencePenalty() == 0 && params.frequencyPenalty() == 0
                && sampling.constraint() == null;
    }

    /**
     * Takes the token sampled for this generation (and its log-probabilities if asked for), appends it to the
     * sequence, streams what text became final, and returns how the generation finished, or null if it goes on.
     */
    FinishReason accept(Sequence sequence, int token, RowLogprobs tokenLogprobs, EngineContext context) {
        sampling.accept(token);
        sequence.append(token);
        if (params.logprobs() > 0) {
            logprobs.add(Sampler.toTokenLogprobs(token, tokenLogprobs, params.logprobs(), context::tokenText));
        }
        int searchFrom = text.length();
        if (detokenizer != null && context.decodable(token)) {
            text.append(detokenizer.add(token));
        }
        FinishReason finish = null;
        int stopAt = stopStrings.findStop(text, searchFrom);
        if (stopAt >= 0) {
            text.setLength(stopAt);
            finish = FinishReason.STOP;
        } else if ((!params.ignoreEos() && context.eosTokenIds().contains(token)) || params.stopTokenIds().contains(token)) {
            finish = FinishReason.STOP;
        } else if (sequence.numGenerated() >= params.maxNewTokens() || sequence.numTokens() >= context.maxPositions()) {
            finish = FinishReason.LENGTH;
        }
        if (finish != null && stopAt < 0 && detokenizer != null) {
            text.append(detokenizer.flush());
        }
        int streamable = finish != null ? text.length() : text.length() - stopStrings.holdBack(text);
        String delta = streamable > streamedChars ? text.substring(streamedChars, streamable) : "";
        streamedChars = Math.max(streamedChars, streamable);
        listener.onTokens(delta, List.of(token));
        return finish;
    }

    void complete(int promptTokens, int[] generated, FinishReason finish) {
        deliver(new GenerationResult(text.toString(), Arrays.stream(generated).boxed().toList(), promptTokens,
                generated.length, finish, logprobs, incompleteOutput(generated.length, finish)));
    }

    @Override
    public RequestFuture<GenerationResult> future() {
        return future;
    }

    /**
     * Why a constrained output is unusable, or null: it was cut (max_tokens, the context, a stop string or stop
     * token) before the format was complete. The text and tokens are kept; no value is to be parsed from them.
     */
    private String incompleteOutput(int numGenerated, FinishReason finish) {
        if (sampling.constraint() == null || sampling.constraint().isComplete()) {
            return null;
        }
        String cut = finish == FinishReason.LENGTH
                ? "reached " + numGenerated + " tokens (max_tokens " + params.maxNewTokens() + ", or the model's context)"
                : "was ended by a stop string or stop token";
        return "the output " + cut + " before it was complete for its response format; its raw text is kept";
    }

    @Override
    public void fail(String error, Sequence sequence) {
        deliver(GenerationResult.failed(error, sequence.promptLength));
    }

    /**
     * Ends with the tokens taken so far and their text: text held back for a stop string that can no longer come
     * is streamed first, so the listener's deltas still add up to the result's text.
     */
    @Override
    public void cancel(Sequence sequence) {
        if (detokenizer != null) {
            text.append(detokenizer.flush());
        }
        try {
            if (text.length() > streamedChars) {
                String delta = text.substring(streamedChars);
                streamedChars = text.length();
                listener.onTokens(delta, List.of());
            }
        } finally {
            complete(sequence.promptLength, sequence.generatedTokens(), FinishReason.CANCELLED);
        }
    }

    /** Hands the result to the listener, then to the future, which completes even when the listener throws. */
    private void deliver(GenerationResult result) {
        try {
            listener.onComplete(result);
        } finally {
            future.complete(result);
        }
    }
}
