package dev.flood.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flood.api.FloodException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of text each token stands for, which constrained decoding walks through its automata. Read from
 * {@code tokenizer.json} by its decoder:
 * <ul>
 *   <li>{@code ByteLevel} (GPT-2, Llama 3, Qwen): each character of a piece is one byte in GPT-2's alphabet
 *       (printable Latin-1 bytes stand for themselves, the other 68 for U+0100 onwards in byte order);
 *   <li>{@code Metaspace}, or a {@code Sequence} of {@code Replace ▁ → space}, {@code ByteFallback},
 *       {@code Fuse} and {@code Strip} (SentencePiece conversions: Llama 2, Mistral, Gemma): {@code ▁} is a space
 *       and, with byte fallback, {@code <0xHH>} is byte HH.
 * </ul>
 * A token is taken in the middle of a text: a decoder's removal of the first token's leading space does not
 * apply, as the engine's detokenizer decodes generated tokens after the prompt. Special tokens have no bytes
 * (they are never text); added tokens that are not special are their content. A decoder not listed here is
 * refused, rather than guessed.
 */
public final class TokenBytes {

    private static final char METASPACE = '\u2581';
    private final byte[][] bytes;   // [vocabSize], null for special tokens and unnamed ids

    private TokenBytes(byte[][] bytes) {
        this.bytes = bytes;
    }

    static TokenBytes of(TokenizerVocab vocab, String file) {
        Decoding decoding = decoding(vocab.decoder(), file);
        String[] pieces = vocab.pieces();
        byte[][] bytes = new byte[pieces.length][];
        int[] byteOfChar = decoding == Decoding.BYTE_LEVEL ? byteLevelAlphabet() : null;
        for (int id = 0; id < pieces.length; id++) {
            if (pieces[id] == null || vocab.isSpecial(id)) {
                continue;
            }
            if (vocab.isAdded(id)) {
                bytes[id] = pieces[id].getBytes(StandardCharsets.UTF_8);
            } else if (decoding == Decoding.BYTE_LEVEL) {
                bytes[id] = byteLevel(pieces[id], byteOfChar);
            } else {
                bytes[id] = metaspace(pieces[id], decoding == Decoding.METASPACE_BYTE_FALLBACK);
            }
        }
        return new TokenBytes(bytes);
    }

    /** Ids with bytes: {@code [0, size())}. */
    public int size() {
        return bytes.length;
    }

    /** The token's bytes (shared: do not modify), or null for a special token or an id no piece names. */
    public byte[] bytes(int id) {
        return id < bytes.length ? bytes[id] : null;
    }

    private enum Decoding { BYTE_LEVEL, METASPACE, METASPACE_BYTE_FALLBACK }

    private static Decoding decoding(JsonNode decoder, String file) {
        String type = decoder.path("type").asText("");
        if (type.equals("ByteLevel")) {
            return Decoding.BYTE_LEVEL;
        }
        if (type.equals("Metaspace")) {
            return Decoding.METASPACE;
        }
        if (type.equals("Sequence")) {
            List<String> steps = new ArrayList<>();
            boolean byteFallback = false;
            boolean byteLevel = false;
            for (JsonNode step : decoder.path("decoders")) {
                String stepType = step.path("type").asText("");
                steps.add(stepType);
                switch (stepType) {
                    case "ByteFallback" -> byteFallback = true;
                    case "ByteLevel" -> byteLevel = true;
                    case "Fuse", "Strip", "Metaspace" -> { }
                    case "Replace" -> {
                        boolean metaspace = step.path("pattern").path("String").asText("").equals(String.valueOf(METASPACE))
                                && step.path("content").asText("").equals(" ");
                        if (!metaspace) {
                            throw unsupported(file, "a Replace step other than ▁ → space");
                        }
                    }
                    default -> throw unsupported(file, "decoder step " + stepType);
                }
            }
            if (byteLevel) {
                if (steps.size() != 1) {
                    throw unsupported(file, "a ByteLevel decoder combined with " + steps);
                }
                return Decoding.BYTE_LEVEL;
            }
            return byteFallback ? Decoding.METASPACE_BYTE_FALLBACK : Decoding.METASPACE;
        }
        throw unsupported(file, type.isEmpty() ? "no decoder" : "decoder " + type);
    }

    private static FloodException unsupported(String file, String what) {
        return new FloodException("constrained decoding cannot tell which bytes the tokens of " + file + " stand for:"
                + " it has " + what + " (supported: ByteLevel, Metaspace, and SentencePiece's Replace/ByteFallback/"
                + "Fuse/Strip sequence)");
    }

    private static byte[] byteLevel(String piece, int[] byteOfChar) {
        byte[] out = new byte[piece.length()];
        int n = 0;
        for (int i = 0; i < piece.length(); i++) {
            char c = piece.charAt(i);
            if (c >= byteOfChar.length || byteOfChar[c] < 0) {
                // Not in GPT-2's alphabet: the decoder writes such a character's own UTF-8 bytes.
                byte[] own = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out = java.util.Arrays.copyOf(out, out.length + own.length);
                System.arraycopy(own, 0, out, n, own.length);
                n += own.length;
            } else {
                out[n++] = (byte) byteOfChar[c];
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** [char] -> byte, -1 outside the alphabet: GPT-2's bytes_to_unicode inverted. */
    private static int[] byteLevelAlphabet() {
        int[] byteOfChar = new int[256 + 68];
        java.util.Arrays.fill(byteOfChar, -1);
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean itself = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            byteOfChar[itself ? b : 256 + shifted++] = b;
        }
        return byteOfChar;
    }

    private static byte[] metaspace(String piece, boolean byteFallback) {
        if (byteFallback && piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            try {
                return new byte[] {(byte) Integer.parseInt(piece.substring(3, 5), 16)};
            } catch (NumberFormatException e) {
                // not a byte piece: an ordinary piece that looks like one
            }
        }
        return piece.replace(METASPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }
}
