package dev.flood.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.FloodException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A byte-level BPE {@code tokenizer.json} of a given size for model shapes that ship without a tokenizer (the
 * benchmark's dummy-weight shapes), so that constrained decoding has token bytes to mask with. Ids 0..255 are
 * the single bytes; the named special ids (EOS, BOS) are special tokens; every other id is a distinct piece drawn
 * (from a fixed seed) like a real English BPE vocabulary: mostly words with a leading space, capitalized words,
 * digit runs, JSON punctuation runs and some multi-byte characters, 1 to 10 bytes. Masks over it cost what masks
 * over a real vocabulary of that size cost (the token walk depends on the count and the shared prefixes of the
 * pieces), which is what the benchmark measures. It has no merges: it is not for encoding text.
 */
public final class SyntheticVocabulary {

    private static final String LETTERS = "etaoinshrdlcumwfgypbvkjxqz";
    private static final String[] PUNCTUATION = {"{\"", "\":", "\",", "\"}", "},", "[{", "\":\"", "\"},{\"", "\",\"",
            "\":[", "]}", "\":{\"", ",\"", "\":\"\"", ".", ",", "(", ")", "\n", "  ", "\":-", "\":0", "\":1", "e+", "\\n"};
    private static final String[] WIDE = {"é", "ü", "ñ", "日本", "語", "的", "—", "’", "…", "ß", "中", "€"};

    private SyntheticVocabulary() {
    }

    /**
     * Writes {@code dir/tokenizer.json} with {@code vocabSize} ids, {@code specialIds} special. Throws
     * {@link FloodException} if it cannot be written.
     */
    public static void write(Path dir, int vocabSize, Set<Integer> specialIds) {
        if (vocabSize < 512) {
            throw new IllegalArgumentException("a synthetic vocabulary needs at least 512 ids, got " + vocabSize);
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(json));
        root.putNull("post_processor");
        root.set("decoder", byteLevel(json));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        Set<String> used = new HashSet<>();
        SplittableRandom random = new SplittableRandom(20261202);
        for (int id = 0; id < vocabSize; id++) {
            if (specialIds.contains(id)) {
                String content = "<|special_" + id + "|>";
                ObjectNode token = added.addObject();
                token.put("id", id);
                token.put("content", content);
                token.put("single_word", false);
                token.put("lstrip", false);
                token.put("rstrip", false);
                token.put("normalized", false);
                token.put("special", true);
                vocab.put(content, id);
                continue;
            }
            String piece;
            if (id < 256) {
                piece = alphabet(new byte[] {(byte) id});
            } else {
                do {
                    piece = alphabet(draw(random).getBytes(StandardCharsets.UTF_8));
                } while (!used.add(piece));
            }
            used.add(piece);
            vocab.put(piece, id);
        }
        model.putArray("merges");
        try {
            Files.writeString(dir.resolve("tokenizer.json"), json.writeValueAsString(root));
        } catch (IOException e) {
            throw new FloodException("cannot write a synthetic tokenizer.json to " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String draw(SplittableRandom random) {
        int kind = random.nextInt(100);
        if (kind < 55) {
            return " " + word(random);
        }
        if (kind < 70) {
            String w = word(random);
            return Character.toUpperCase(w.charAt(0)) + w.substring(1);
        }
        if (kind < 80) {
            return word(random);
        }
        if (kind < 88) {
            StringBuilder digits = new StringBuilder();
            for (int i = 1 + random.nextInt(3); i > 0; i--) {
                digits.append((char) ('0' + random.nextInt(10)));
            }
            return random.nextBoolean() ? digits.toString() : " " + digits;
        }
        if (kind < 96) {
            return PUNCTUATION[random.nextInt(PUNCTUATION.length)] + (random.nextBoolean() ? word(random) : "");
        }
        return WIDE[random.nextInt(WIDE.length)] + (random.nextBoolean() ? word(random) : "");
    }

    /** 1..8 letters, frequent letters more often. */
    private static String word(SplittableRandom random) {
        StringBuilder w = new StringBuilder();
        for (int i = 1 + random.nextInt(8); i > 0; i--) {
            int r = random.nextInt(LETTERS.length() * LETTERS.length());
            w.append(LETTERS.charAt((int) Math.sqrt(r)));
        }
        return w.toString();
    }

    private static ObjectNode byteLevel(ObjectMapper json) {
        ObjectNode node = json.createObjectNode();
        node.put("type", "ByteLevel");
        node.put("add_prefix_space", false);
        node.put("trim_offsets", true);
        node.put("use_regex", true);
        return node;
    }

    /** Bytes in GPT-2's byte-level alphabet: printable Latin-1 stands for itself, other bytes for U+0100 onward. */
    private static String alphabet(byte[] bytes) {
        StringBuilder piece = new StringBuilder();
        for (byte value : bytes) {
            int b = value & 0xFF;
            boolean itself = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            if (itself) {
                piece.append((char) b);
            } else {
                int rank = 0;
                for (int other = 0; other < b; other++) {
                    boolean otherItself = (other >= '!' && other <= '~') || (other >= 0xA1 && other <= 0xAC)
                            || (other >= 0xAE && other <= 0xFF);
                    rank += otherItself ? 0 : 1;
                }
                piece.append((char) (256 + rank));
            }
        }
        return piece.toString();
    }
}
