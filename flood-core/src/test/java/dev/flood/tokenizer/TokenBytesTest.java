package dev.flood.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.FloodException;
import dev.flood.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bytes each token stands for, against what the tokenizers library decodes. */
class TokenBytesTest {

    private static final List<String> TEXTS = List.of("The quick brown fox, 42 times!", "{\"a\": [1, 2.5e-3, null]}",
            "Ünïcödé → 日本語 and 🚀 mixed\tin.\n", "  leading spaces and trailing  ");

    @TempDir
    Path dir;

    @Test
    void byteLevelTokensDecodeToTheirBytes() throws CharacterCodingException {
        for (Path model : List.of(Path.of("..", "models", "flood-demo"), Fixtures.model("tiny-llama"))) {
            try (Tokenizer tokenizer = Tokenizer.load(model)) {
                TokenBytes bytes = tokenizer.tokenBytes();
                int checked = 0;
                for (int id = 0; id < tokenizer.vocabSize(); id++) {
                    if (tokenizer.isSpecial(id)) {
                        assertNull(bytes.bytes(id), "special token " + id);
                        continue;
                    }
                    String text = strictUtf8(bytes.bytes(id));
                    if (text != null) {
                        assertEquals(tokenizer.decode(new int[] {id}), text, model + " token " + id);
                        checked++;
                    }
                }
                assertTrue(checked > tokenizer.vocabSize() / 2, model + ": most tokens are whole characters");
                for (String text : TEXTS) {
                    assertArrayEquals(text.getBytes(StandardCharsets.UTF_8),
                            concatenated(bytes, tokenizer.encodeWithoutSpecialTokens(text)), text);
                }
            }
        }
    }

    @Test
    void tokensThatSplitCharactersKeepTheirBytes() throws IOException {
        try (Tokenizer tokenizer = Tokenizer.load(SyntheticTokenizers.byteLevel(dir))) {
            TokenBytes bytes = tokenizer.tokenBytes();
            for (int i = 0; i < SyntheticTokenizers.STRADDLING_TOKENS.length; i++) {
                int[] expected = SyntheticTokenizers.STRADDLING_TOKENS[i];
                byte[] actual = bytes.bytes(SyntheticTokenizers.straddlingId(i));
                assertEquals(expected.length, actual.length);
                for (int k = 0; k < expected.length; k++) {
                    assertEquals(expected[k], actual[k] & 0xFF);
                }
            }
            for (int b = 0; b < 256; b++) {
                assertArrayEquals(new byte[] {(byte) b}, bytes.bytes(SyntheticTokenizers.byteId(b)));
            }
        }
    }

    @Test
    void metaspacePiecesAreSpaced() throws IOException {
        try (Tokenizer tokenizer = Tokenizer.load(SyntheticTokenizers.metaspaceUnigram(dir))) {
            TokenBytes bytes = tokenizer.tokenBytes();
            assertArrayEquals(" hello".getBytes(StandardCharsets.UTF_8), bytes.bytes(3));
            assertArrayEquals("h".getBytes(StandardCharsets.UTF_8), bytes.bytes(6));
            assertNull(bytes.bytes(1), "<s> is special");
            int[] ids = tokenizer.encodeWithoutSpecialTokens("hello world");
            assertEquals(" " + tokenizer.decode(ids), new String(concatenated(bytes, ids), StandardCharsets.UTF_8),
                    "the decoder drops the first token's space; inside a text the space is there");
        }
    }

    @Test
    void anUnknownDecoderIsRefusedWithTheFileName() throws IOException {
        Path file = SyntheticTokenizers.byteLevel(dir).resolve("tokenizer.json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(file.toFile());
        root.putObject("decoder").put("type", "BPEDecoder").put("suffix", "</w>");
        Files.writeString(file, json.writeValueAsString(root));
        try (Tokenizer tokenizer = Tokenizer.load(dir)) {
            FloodException e = assertThrows(FloodException.class, tokenizer::tokenBytes);
            assertTrue(e.getMessage().startsWith("constrained decoding cannot tell which bytes the tokens of " + file
                    + " stand for: it has decoder BPEDecoder"), e.getMessage());
        }
    }

    private static byte[] concatenated(TokenBytes bytes, int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            out.writeBytes(bytes.bytes(id));
        }
        return out.toByteArray();
    }

    private static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
