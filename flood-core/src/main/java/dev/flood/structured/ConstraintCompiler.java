package dev.flood.structured;

import dev.flood.api.FloodException;
import dev.flood.api.ResponseFormat;
import dev.flood.sampling.TokenConstraint;
import dev.flood.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Turns response formats into per-request {@link TokenConstraint}s for one engine: format → {@link Regular} →
 * byte automaton → token masks. Compiled automata are cached by format and stop tokens (the last
 * {@link Limits#cachedFormats} used), so a million rows with one schema compile it once and share its masks;
 * a format that fails to compile fails fast afterwards too. Safe for concurrent use: callers asking for the same
 * format while it compiles wait for that one compilation.
 */
public final class ConstraintCompiler {

    /**
     * @param maxNfaStates  most states of a format's nondeterministic automaton
     * @param maxDfaStates  most states of its deterministic automaton (each holds one mask of vocab/32 ints, stored
     *                      once per distinct mask)
     * @param cachedFormats compiled formats kept
     */
    public record Limits(int maxNfaStates, int maxDfaStates, int cachedFormats) {

        public static final Limits DEFAULT = new Limits(500_000, 50_000, 64);

        public Limits {
            if (maxNfaStates < 1 || maxDfaStates < 1 || cachedFormats < 1) {
                throw new IllegalArgumentException("limits must be positive: " + maxNfaStates + ", " + maxDfaStates
                        + ", " + cachedFormats);
            }
        }
    }

    private final Tokenizer tokenizer;      // null: the engine has no tokenizer, so no text to constrain
    private final int vocabSize;
    private final Set<Integer> eosTokenIds;
    private final Limits limits;
    private final Map<Key, CompletableFuture<TokenAutomaton>> cache = new LinkedHashMap<>(16, 0.75f, true);
    private TokenVocabulary vocabulary;     // guarded by this; built on first use

    private record Key(ResponseFormat format, List<Integer> terminators) {
    }

    public ConstraintCompiler(Tokenizer tokenizer, int vocabSize, Set<Integer> eosTokenIds, Limits limits) {
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.eosTokenIds = Set.copyOf(eosTokenIds);
        this.limits = limits;
    }

    /**
     * A fresh constraint for one request: its output must match {@code format}, and it may end with an EOS id or
     * one of {@code stopTokenIds} where complete. Throws {@link IllegalArgumentException} or
     * {@link FloodException} saying why the format cannot be enforced.
     */
    public TokenConstraint constraint(ResponseFormat format, List<Integer> stopTokenIds) {
        TreeSet<Integer> terminators = new TreeSet<>(eosTokenIds);
        terminators.addAll(stopTokenIds);
        terminators.removeIf(id -> id >= vocabSize);
        if (terminators.isEmpty()) {
            throw new IllegalArgumentException("a response format needs an EOS or stop token id to end the output,"
                    + " and the model declares none");
        }
        Key key = new Key(format, List.copyOf(terminators));
        CompletableFuture<TokenAutomaton> compiled;
        boolean mine = false;
        synchronized (cache) {
            compiled = cache.get(key);
            if (compiled == null) {
                compiled = new CompletableFuture<>();
                cache.put(key, compiled);
                mine = true;
                evict();
            }
        }
        if (mine) {
            try {
                compiled.complete(compile(format, key.terminators()));
            } catch (RuntimeException e) {
                compiled.completeExceptionally(e);
            }
        }
        try {
            return new AutomatonConstraint(compiled.join());
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? rethrown(cause) : e;
        }
    }

    /** Same message and type as the compile failure, raised on this caller's stack. */
    private static RuntimeException rethrown(RuntimeException cause) {
        return cause instanceof IllegalArgumentException ? new IllegalArgumentException(cause.getMessage(), cause)
                : new FloodException(cause.getMessage(), cause);
    }

    private void evict() {
        if (cache.size() > limits.cachedFormats()) {
            cache.keySet().iterator().remove();
        }
    }

    private TokenAutomaton compile(ResponseFormat format, List<Integer> terminators) {
        Regular language;
        String what;
        if (format instanceof ResponseFormat.JsonSchema json) {
            what = "JSON schema";
            language = JsonSchemaCompiler.compile(json.schema());
        } else if (format instanceof ResponseFormat.Regex regex) {
            what = "regex";
            language = RegexParser.parse(regex.pattern());
        } else {
            what = "choice";
            List<Regular> options = new ArrayList<>();
            for (String choice : ((ResponseFormat.Choice) format).choices()) {
                options.add(Regular.text(choice));
            }
            language = new Regular.Union(options);
        }
        ByteDfa dfa;
        try {
            dfa = ByteDfa.of(ByteNfa.of(language, limits.maxNfaStates()), limits.maxDfaStates());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the " + what + " cannot be enforced: " + e.getMessage(), e);
        }
        return new TokenAutomaton(dfa, vocabulary(), terminators.stream().mapToInt(Integer::intValue).toArray());
    }

    private synchronized TokenVocabulary vocabulary() {
        if (vocabulary == null) {
            if (tokenizer == null) {
                throw new FloodException("constrained decoding needs the model's tokenizer.json, which this model"
                        + " folder lacks");
            }
            vocabulary = new TokenVocabulary(tokenizer.tokenBytes(), vocabSize);
        }
        return vocabulary;
    }
}
