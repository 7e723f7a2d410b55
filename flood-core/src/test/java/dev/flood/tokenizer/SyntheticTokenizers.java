package dev.flood.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Small {@code tokenizer.json} files written by hand, for cases the fixtures' tokenizer cannot show: tokens that
 * hold the end of one character and the start of the next, a truncation and padding setting in the file, and a
 * SentencePiece-style Unigram model whose decoder drops the first token's leading space.
 */
public final class SyntheticTokenizers {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** In a byte-level vocabulary, byte b is id {@code BYTE_BASE + b}; ids 0..2 are special. */
    static final int BYTE_BASE = 3;
    /**
     * Multi-byte tokens after the 256 bytes, as UTF-8 bytes: "日" is E6 97 A5, "本" E6 9C AC, 🚀 F0 9F 9A 80.
     * Ids {@code BYTE_BASE + 256 + i}.
     */
    static final int[][] STRADDLING_TOKENS = {
        {0x97, 0xA5, 0xE6},             // end of 日, start of the next 日 or 本
        {0xA5, 0xE6},                   // last byte of 日, first byte of the next character
        {0x9C, 0xAC, 0xE6, 0x97},       // end of 本, start of 日
        {0xE6, 0x97, 0xA5, 0xE6, 0x9C}, // 日 and the start of 本
        {0x9F, 0x9A},                   // middle of 🚀
        {0x80, 0x20, 0xF0},             // end of 🚀, a space, start of the next 🚀
    };

    private SyntheticTokenizers() {
    }

    /** Id of byte {@code b} in {@link #byteLevel}. */
    static int byteId(int b) {
        return BYTE_BASE + b;
    }

    /** Id of {@code STRADDLING_TOKENS[index]} in {@link #byteLevel}. */
    static int straddlingId(int index) {
        return BYTE_BASE + 256 + index;
    }

    /**
     * A byte-level BPE without merges (every text encodes byte by byte) whose file asks for truncation to 4 tokens
     * and padding to 64, both of which {@link Tokenizer} must switch off.
     */
    static Path byteLevel(Path dir) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        ObjectNode truncation = root.putObject("truncation");
        truncation.put("direction", "Right");
        truncation.put("max_length", 4);
        truncation.put("strategy", "LongestFirst");
        truncation.put("stride", 0);
        ObjectNode padding = root.putObject("padding");
        padding.putObject("strategy").put("Fixed", 64);
        padding.put("direction", "Right");
        padding.putNull("pad_to_multiple_of");
        padding.put("pad_id", 2);
        padding.put("pad_type_id", 0);
        padding.put("pad_token", "<|pad|>");
        addSpecialTokens(root.putArray("added_tokens"), List.of("<|bos|>", "<|eos|>", "<|pad|>"));
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevelComponent());
        root.putNull("post_processor");
        root.set("decoder", byteLevelComponent());
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
        vocab.put("<|bos|>", 0);
        vocab.put("<|eos|>", 1);
        vocab.put("<|pad|>", 2);
        for (int b = 0; b < 256; b++) {
            vocab.put(byteLevelPiece(new int[] {b}), byteId(b));
        }
        for (int i = 0; i < STRADDLING_TOKENS.length; i++) {
            vocab.put(byteLevelPiece(STRADDLING_TOKENS[i]), straddlingId(i));
        }
        model.putArray("merges");
        return write(dir, root);
    }

    /**
     * A Unigram model with a Metaspace pre-tokenizer and decoder, as SentencePiece conversions have: ids 0..2 are
     * {@code <unk> <s> </s>}, 3 {@code ▁hello}, 4 {@code ▁world}, then single pieces; {@code <s>} starts every
     * encoding.
     */
    public static Path metaspaceUnigram(Path dir) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        addSpecialTokens(root.putArray("added_tokens"), List.of("<unk>", "<s>", "</s>"));
        root.putNull("normalizer");
        root.set("pre_tokenizer", metaspaceComponent());
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        post.putArray("single").addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        post.withArray("single").addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        post.putArray("pair").addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        post.withArray("pair").addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(1);
        bos.putArray("tokens").add("<s>");
        root.set("decoder", metaspaceComponent());
        ObjectNode model = root.putObject("model");
        model.put("type", "Unigram");
        model.put("unk_id", 0);
        ArrayNode vocab = model.putArray("vocab");
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>", "▁hello", "▁world", "▁"));
        for (char c : "helowrd".toCharArray()) {
            pieces.add(String.valueOf(c));
        }
        for (int i = 0; i < pieces.size(); i++) {
            vocab.addArray().add(pieces.get(i)).add(i < 3 ? 0.0 : -1.0 - i);
        }
        model.put("byte_fallback", false);
        return write(dir, root);
    }

    private static void addSpecialTokens(ArrayNode added, List<String> contents) {
        for (int id = 0; id < contents.size(); id++) {
            ObjectNode token = added.addObject();
            token.put("id", id);
            token.put("content", contents.get(id));
            token.put("single_word", false);
            token.put("lstrip", false);
            token.put("rstrip", false);
            token.put("normalized", false);
            token.put("special", true);
        }
    }

    private static ObjectNode byteLevelComponent() {
        ObjectNode node = JSON.createObjectNode();
        node.put("type", "ByteLevel");
        node.put("add_prefix_space", false);
        node.put("trim_offsets", true);
        node.put("use_regex", true);
        return node;
    }

    private static ObjectNode metaspaceComponent() {
        ObjectNode node = JSON.createObjectNode();
        node.put("type", "Metaspace");
        node.put("replacement", "▁");
        node.put("prepend_scheme", "first");
        node.put("split", true);
        return node;
    }

    /**
     * The byte-level alphabet: printable Latin-1 bytes stand for themselves, the other 68 bytes for the code points
     * 256, 257, ... in byte order.
     */
    private static String byteLevelPiece(int[] bytes) {
        StringBuilder piece = new StringBuilder();
        for (int b : bytes) {
            if (standsForItself(b)) {
                piece.append((char) b);
            } else {
                int rank = 0;
                for (int other = 0; other < b; other++) {
                    rank += standsForItself(other) ? 0 : 1;
                }
                piece.append((char) (256 + rank));
            }
        }
        return piece.toString();
    }

    private static boolean standsForItself(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    private static Path write(Path dir, ObjectNode root) throws IOException {
        String json = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        Files.writeString(dir.resolve("tokenizer.json"), json);
        return dir;
    }
}
