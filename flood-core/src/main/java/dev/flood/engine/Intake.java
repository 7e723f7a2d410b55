package dev.flood.engine;

import dev.flood.api.ChatMessage;
import dev.flood.api.EngineConfig;
import dev.flood.api.FloodException;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.OptionScores;
import dev.flood.api.ScoreOptions;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import dev.flood.sampling.SamplingState;
import dev.flood.sampling.TokenConstraint;
import dev.flood.tokenizer.IncrementalDetokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * Turns callers' input into sequences on the callers' own threads: tokenizes, validates against the model and
 * the cache, and picks seeds. Input that can never run becomes a completed error result here, so it never
 * reaches, or holds up, the batch.
 */
final class Intake {

    /** The sequences to queue (none if the input was rejected); the future completes either way. */
    record Admitted<T>(List<Sequence> sequences, CompletableFuture<T> future) {
    }

    private final EngineConfig config;
    private final LoadedModel loaded;
    private final Counters counters;
    private final IntSupplier cacheCapacity;   // the KV cache's slots now: fewer after a restart out of memory
    private final AtomicLong serials = new AtomicLong();

    Intake(EngineConfig config, LoadedModel loaded, Counters counters, IntSupplier cacheCapacity) {
        this.config = config;
        this.loaded = loaded;
        this.counters = counters;
        this.cacheCapacity = cacheCapacity;
    }

    Admitted<GenerationResult> generation(GenerateRequest request, GenerationListener listener) {
        GenerationListener sink = listener == null ? GenerationListener.NONE : listener;
        long serial = serials.getAndIncrement();
        int[] ids = null;
        try {
            if (request == null) {
                throw new IllegalArgumentException("request is null");
            }
            ids = promptIds(request);
            int contextLimit = loaded.config().maxPositions();
            if (ids.length >= contextLimit) {
                throw new IllegalArgumentException("prompt has " + ids.length + " tokens but the model's context is "
                        + contextLimit + " tokens, leaving no room to generate");
            }
            int maxTokens = (int) Math.min((long) ids.length + request.sampling().maxNewTokens(), contextLimit);
            checkCache(maxTokens);
            long seed = request.sampling().seed().orElse(mix(config.seed(), serial));
            TokenConstraint constraint = request.responseFormat() == null ? null : constraint(request);
            SamplingState sampling = new SamplingState(request.sampling(), seed, loaded.config().vocabSize(), ids,
                    constraint);
            IncrementalDetokenizer detokenizer = loaded.tokenizer() == null ? null : loaded.tokenizer().newDetokenizer(ids);
            Generation generation = new Generation(request.sampling(), sampling, detokenizer, sink);
            return new Admitted<>(List.of(new Sequence(serial, ids, maxTokens, generation)), generation.future);
        } catch (IllegalArgumentException | FloodException e) {
            GenerationResult failed = GenerationResult.failed(e.getMessage(), ids == null ? 0 : ids.length);
            counters.completed(true);
            sink.onComplete(failed);
            return new Admitted<>(List.of(), CompletableFuture.completedFuture(failed));
        }
    }

    Admitted<ScoreResult> scoring(ScoreRequest request) {
        try {
            if (request == null) {
                throw new IllegalArgumentException("request is null");
            }
            if (request.text() == null && request.tokenIds() == null) {
                throw new IllegalArgumentException("text is null");
            }
            int[] ids = request.text() != null ? loaded.requireTokenizer().encode(request.text())
                    : request.tokenIds().stream().mapToInt(id -> id == null ? -1 : id).toArray();
            return scoringOf(ids, request.options());
        } catch (IllegalArgumentException | FloodException e) {
            counters.completed(true);
            return new Admitted<>(List.of(), CompletableFuture.completedFuture(ScoreResult.failed(e.getMessage())));
        }
    }

    /**
     * One sequence for a text that fits the window; for a longer one, one per sliding window, whose results
     * {@link ScoreWindows#combine} joins.
     */
    private Admitted<ScoreResult> scoringOf(int[] ids, ScoreOptions options) {
        checkIds(ids);
        int window = options.windowTokens(loaded.config().maxPositions());
        int stride = options.strideTokens(window);
        if (ids.length > window && options.longTexts() == ScoreOptions.LongTexts.REJECT) {
            throw new IllegalArgumentException("text has " + ids.length + " tokens but " + (options.maxLength() == 0
                    ? "the model's context is " + window + " tokens" : "max_length is " + window + " tokens")
                    + " (sliding windows are off)");
        }
        if (ids.length < 2) {
            counters.completed(false);
            return new Admitted<>(List.of(), CompletableFuture.completedFuture(
                    ScoreResult.of(Arrays.stream(ids).boxed().toList(), List.of(), 0)));
        }
        List<ScoreWindows.Window> windows = ScoreWindows.of(ids.length, window, stride);
        checkCache(windows.get(0).length());
        List<Sequence> sequences = new ArrayList<>();
        List<CompletableFuture<ScoreResult>> parts = new ArrayList<>();
        for (ScoreWindows.Window w : windows) {
            int[] part = windows.size() == 1 ? ids : Arrays.copyOfRange(ids, w.begin(), w.end());
            Scoring scoring = new Scoring(part.length, w.firstScoredPosition());
            sequences.add(new Sequence(serials.getAndIncrement(), part, part.length, scoring));
            parts.add(scoring.future);
        }
        return new Admitted<>(sequences, windows.size() == 1 ? parts.get(0)
                : RequestFuture.joining(ScoreWindows.combine(ids, parts), parts));
    }

    /**
     * Scores each option as a continuation of the prompt: the prompt's ids (with the tokenizer's special tokens)
     * followed by the option's ids (without them); an option's log-likelihood sums the log-probabilities of its
     * own tokens. Where prompt and option fit the model's context, each option's sequence scores only the
     * option's tokens, so its prompt is context only: with prefix caching, the first option computes the prompt
     * and the others read it from the cache. Longer ones are scored as a text is, in sliding windows. Cancelling
     * the returned future cancels every option's scoring.
     */
    CompletableFuture<OptionScores> options(String prompt, List<String> options, Consumer<Sequence> enqueue) {
        List<Admitted<ScoreResult>> admitted = new ArrayList<>();
        List<Integer> optionLengths = new ArrayList<>();
        try {
            if (prompt == null) {
                throw new IllegalArgumentException("prompt is null");
            }
            if (options == null || options.isEmpty()) {
                throw new IllegalArgumentException("options are null or empty");
            }
            int[] promptIds = loaded.requireTokenizer().encode(prompt);
            for (int i = 0; i < options.size(); i++) {
                if (options.get(i) == null) {
                    throw new IllegalArgumentException("option " + i + " is null");
                }
                int[] optionIds = loaded.tokenizer().encodeWithoutSpecialTokens(options.get(i));
                if (optionIds.length == 0) {
                    throw new IllegalArgumentException("option " + i + " has no tokens");
                }
                int[] ids = Arrays.copyOf(promptIds, promptIds.length + optionIds.length);
                System.arraycopy(optionIds, 0, ids, promptIds.length, optionIds.length);
                optionLengths.add(optionIds.length);
                admitted.add(optionScoring(ids, promptIds.length));
            }
        } catch (IllegalArgumentException | FloodException e) {
            counters.completed(true);
            return CompletableFuture.completedFuture(OptionScores.failed(e.getMessage()));
        }
        admitted.forEach(a -> a.sequences().forEach(enqueue));
        CompletableFuture<?>[] futures = admitted.stream().map(Admitted::future).toArray(CompletableFuture[]::new);
        CompletableFuture<OptionScores> scores = CompletableFuture.allOf(futures).thenApply(ignored -> {
            List<Double> logLikelihoods = new ArrayList<>();
            int best = 0;
            for (int i = 0; i < admitted.size(); i++) {
                ScoreResult result = admitted.get(i).future().join();
                if (result.isError()) {
                    return OptionScores.failed("option " + i + ": " + result.error());
                }
                // the last entries are the option's tokens' (a whole text's start at position 0, an option's own
                // at its first token; with an empty prompt the first token has none)
                int from = Math.max(0, result.tokenLogprobs().size() - optionLengths.get(i));
                double sum = 0;
                for (int t = from; t < result.tokenLogprobs().size(); t++) {
                    sum += result.tokenLogprobs().get(t);
                }
                logLikelihoods.add(sum);
                if (sum > logLikelihoods.get(best)) {
                    best = i;
                }
            }
            return new OptionScores(logLikelihoods, optionLengths, best, null);
        });
        return RequestFuture.joining(scores, admitted.stream().map(Admitted::future).toList());
    }

    /**
     * The sequence scoring one option: positions {@code promptLength - 1 ..} of prompt and option (the log-probabilities
     * of the option's tokens) where they fit one window; otherwise the whole text in sliding windows.
     */
    private Admitted<ScoreResult> optionScoring(int[] ids, int promptLength) {
        int window = ScoreOptions.DEFAULTS.windowTokens(loaded.config().maxPositions());
        if (ids.length > window || promptLength == 0) {
            return scoringOf(ids, ScoreOptions.DEFAULTS);
        }
        checkIds(ids);
        checkCache(ids.length);
        Scoring scoring = new Scoring(ids.length, promptLength - 1);
        return new Admitted<>(List.of(new Sequence(serials.getAndIncrement(), ids, ids.length, scoring)),
                scoring.future);
    }

    private int[] promptIds(GenerateRequest request) {
        int[] ids;
        if (request.messages() != null) {
            ids = chatPromptIds(request.messages());
        } else if (request.prompt() != null) {
            ids = loaded.requireTokenizer().encode(request.prompt());
        } else if (request.promptTokenIds() != null) {
            ids = request.promptTokenIds().stream().mapToInt(id -> id == null ? -1 : id).toArray();
        } else {
            throw new IllegalArgumentException("prompt is null");
        }
        checkIds(ids);
        return ids;
    }

    /**
     * The conversation rendered by the model's chat template with the generation prompt, tokenized without the
     * post-processor's special tokens (the template writes its own), as transformers' apply_chat_template does.
     */
    private int[] chatPromptIds(List<ChatMessage> messages) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a chat needs at least one message");
        }
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i) == null) {
                throw new IllegalArgumentException("message " + i + " is null");
            }
        }
        String text = loaded.chatTemplate().require().renderPrompt(messages);
        return loaded.requireTokenizer().encodeWithoutSpecialTokens(text);
    }

    private TokenConstraint constraint(GenerateRequest request) {
        if (request.sampling().ignoreEos()) {
            throw new IllegalArgumentException("a response format cannot be combined with ignore_eos: the output ends"
                    + " where the format is complete");
        }
        return loaded.constraints().constraint(request.responseFormat(), request.sampling().stopTokenIds());
    }

    private void checkIds(int[] ids) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("prompt is empty: it has no tokens");
        }
        int vocab = loaded.config().vocabSize();
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
    }

    private void checkCache(int maxTokens) {
        int capacity = cacheCapacity.getAsInt();
        if (maxTokens > capacity) {
            throw new IllegalArgumentException("request needs " + maxTokens + " KV cache slots (prompt plus max new"
                    + " tokens) but the cache holds " + capacity + "; raise cacheTokens or lower max tokens");
        }
    }

    /** SplitMix64 finalizer: a well-spread default seed per request. */
    private static long mix(long seed, long serial) {
        long z = seed + 0x9E3779B97F4A7C15L * (serial + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
