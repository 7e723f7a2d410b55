package dev.flood.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.FloodException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The token table of a {@code tokenizer.json}, which DJL does not expose: every token string with its id, and
 * which ids are special. Immutable after {@link #parse}.
 */
final class TokenizerVocab {

    private final Map<String, Integer> idsByToken;
    /** Bit {@code id} set iff the added token with that id has {@code "special": true}. */
    private final BitSet special;
    /** Bit {@code id} set iff the id is an added token (its content is its text, not a piece of the model). */
    private final BitSet added;
    /** One past the largest id of the model vocabulary and the added tokens. */
    private final int size;
    /** The file's {@code decoder} (how pieces become text), a missing node if it has none. */
    private final JsonNode decoder;

    private TokenizerVocab(Map<String, Integer> idsByToken, BitSet special, BitSet added, int size, JsonNode decoder) {
        this.idsByToken = idsByToken;
        this.special = special;
        this.added = added;
        this.size = size;
        this.decoder = decoder;
    }

    /**
     * Reads {@code model.vocab} (an object {@code {piece: id}} for BPE, WordPiece and WordLevel, or a list of
     * {@code [piece, score]} whose index is the id for Unigram) and {@code added_tokens}; later entries win for a
     * string that appears in both, as added tokens do in the tokenizers library.
     *
     * @param file named in error messages
     */
    static TokenizerVocab parse(byte[] json, Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new FloodException("cannot parse tokenizer file " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new FloodException("tokenizer file " + file + " does not hold a JSON object");
        }
        JsonNode vocabNode = root.path("model").path("vocab");
        Map<String, Integer> idsByToken = new HashMap<>();
        if (vocabNode.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> entries = vocabNode.fields();
            while (entries.hasNext()) {
                Map.Entry<String, JsonNode> entry = entries.next();
                idsByToken.put(entry.getKey(), requireId(entry.getValue(), entry.getKey(), file));
            }
        } else if (vocabNode.isArray()) {
            for (int id = 0; id < vocabNode.size(); id++) {
                JsonNode piece = vocabNode.get(id).path(0);
                if (!piece.isTextual()) {
                    throw new FloodException("tokenizer file " + file + ": model.vocab[" + id
                            + "] is not a [piece, score] pair");
                }
                idsByToken.put(piece.asText(), id);
            }
        } else {
            throw new FloodException("tokenizer file " + file + " has no model.vocab");
        }
        BitSet special = new BitSet();
        BitSet addedIds = new BitSet();
        for (JsonNode added : root.path("added_tokens")) {
            JsonNode content = added.path("content");
            if (!content.isTextual()) {
                throw new FloodException("tokenizer file " + file + ": an added token has no content: " + added);
            }
            int id = requireId(added.path("id"), content.asText(), file);
            idsByToken.put(content.asText(), id);
            addedIds.set(id);
            if (added.path("special").asBoolean(false)) {
                special.set(id);
            }
        }
        int size = 0;
        for (int id : idsByToken.values()) {
            size = Math.max(size, id + 1);
        }
        if (size == 0) {
            throw new FloodException("tokenizer file " + file + " has an empty vocabulary");
        }
        return new TokenizerVocab(Map.copyOf(idsByToken), special, addedIds, size, root.path("decoder"));
    }

    int size() {
        return size;
    }

    boolean isSpecial(int id) {
        return special.get(id);
    }

    boolean isAdded(int id) {
        return added.get(id);
    }

    JsonNode decoder() {
        return decoder;
    }

    /**
     * [size]: each id's added-token content, or else its model piece; null for ids nothing names. (Two pieces
     * may share an id only in a malformed file; then one of them is returned.)
     */
    String[] pieces() {
        String[] pieces = new String[size];
        idsByToken.forEach((piece, id) -> {
            if (pieces[id] == null || added.get(id)) {
                pieces[id] = piece;
            }
        });
        return pieces;
    }

    OptionalInt id(String token) {
        Integer id = idsByToken.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    private static int requireId(JsonNode node, String token, Path file) {
        if (!node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() < 0) {
            throw new FloodException("tokenizer file " + file + ": token " + token + " has invalid id " + node);
        }
        return node.asInt();
    }
}
