package dev.flood.engine;

import dev.flood.tokenizer.Tokenizer;
import java.util.Set;

/**
 * What post-processing needs to know about the model and tokenizer, fixed for the engine's life.
 *
 * @param tokenizer    null when the model folder has no tokenizer (dummy weights with token-id prompts)
 * @param eosTokenIds  ids that end generation unless a request ignores EOS
 */
record EngineContext(Tokenizer tokenizer, int vocabSize, int maxPositions, Set<Integer> eosTokenIds) {

    String tokenText(int tokenId) {
        return decodable(tokenId) ? tokenizer.tokenText(tokenId) : null;
    }

    /**
     * Whether the tokenizer knows the id. Embedding tables are often padded past the tokenizer (Qwen2: 151,936
     * rows for 151,665 ids); a padding id the model samples stays in the token ids but adds no text.
     */
    boolean decodable(int tokenId) {
        return tokenizer != null && tokenId < tokenizer.vocabSize();
    }
}
