package dev.flood.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.flood.api.FloodException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A Hugging Face {@code tokenizer.json} tokenizer, run by the Rust {@code tokenizers} library through DJL, so that
 * ids match what {@code transformers} produces for the same checkpoint.
 *
 * <p>Truncation and padding are switched off whatever {@code tokenizer.json} or DJL's defaults say (DJL would
 * otherwise cut every text at 512 tokens): a prompt is always encoded whole, and its length is the engine's to check.
 *
 * <p>Thread safety: every method may be called from many threads at once. DJL's JNI functions for encode and
 * decode only call the Rust {@code Tokenizer}'s {@code &self} methods of the same names (DJL reaches them through
 * a {@code &mut} cast of its handle, but nothing is written through it), and those are made to be shared: the
 * type is {@code Send + Sync} and its BPE cache sits behind a lock. DJL's Java wrapper writes its settings
 * (truncation, padding) only while it is being built, before this class publishes it. The one unsafe pairing is {@link #close()}
 * freeing the native tokenizer while a call is still inside it; a read-write lock rules that out (calls hold the
 * read side, {@code close} the write side), and calls after {@code close} throw {@link IllegalStateException}.
 */
public final class Tokenizer implements AutoCloseable {

    private static final String TOKENIZER_FILE = "tokenizer.json";

    /** DJL options: specials from the post-processor on by default, never truncate, never pad. */
    private static final Map<String, String> DJL_OPTIONS = Map.of(
            "addSpecialTokens", "true",
            "withOverflowingTokens", "false",
            "truncation", "false",
            "padding", "false");

    /** DJL's switch between its bundled CPU library and a CUDA build it would download. */
    private static final String DJL_FLAVOR_PROPERTY = "RUST_FLAVOR";

    static {
        // On a machine with a GPU, DJL otherwise looks for a CUDA build of its native library and tries to
        // download it (failing offline). Tokenizing never uses the GPU; its bundled CPU library is the one we want.
        // A flavor set by the user (property or environment) is left alone.
        if (System.getProperty(DJL_FLAVOR_PROPERTY) == null && System.getenv(DJL_FLAVOR_PROPERTY) == null) {
            System.setProperty(DJL_FLAVOR_PROPERTY, "cpu");
        }
    }

    private final HuggingFaceTokenizer hfTokenizer;
    private final TokenizerVocab vocab;
    private final String file;
    /** Built on first use by {@link #tokenBytes}. */
    private volatile TokenBytes tokenBytes;
    /** [vocabSize]; filled on first use by {@link #tokenText}. */
    private final AtomicReferenceArray<String> tokenTexts;
    private final ReadWriteLock closeLock = new ReentrantReadWriteLock();
    /** Guarded by {@link #closeLock}: written under the write lock, read under the read lock. */
    private boolean closed;

    private Tokenizer(HuggingFaceTokenizer hfTokenizer, TokenizerVocab vocab, String file) {
        this.hfTokenizer = hfTokenizer;
        this.vocab = vocab;
        this.file = file;
        this.tokenTexts = new AtomicReferenceArray<>(vocab.size());
    }

    /**
     * Loads {@code modelDir/tokenizer.json}. Special tokens are the entries of its {@code added_tokens} marked
     * {@code "special": true}; {@code tokenizer_config.json} is not needed.
     *
     * @throws FloodException if the file is missing, unreadable, or not a tokenizer the library can build
     */
    public static Tokenizer load(Path modelDir) {
        if (modelDir == null) {
            throw new IllegalArgumentException("modelDir is null");
        }
        Path file = modelDir.resolve(TOKENIZER_FILE);
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new FloodException("tokenizer file not found: " + file, e);
        } catch (IOException e) {
            throw new FloodException("cannot read tokenizer file " + file + ": " + e.getMessage(), e);
        }
        TokenizerVocab vocab = TokenizerVocab.parse(json, file);
        HuggingFaceTokenizer hfTokenizer;
        try {
            hfTokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), DJL_OPTIONS);
        } catch (IOException | RuntimeException e) {
            throw new FloodException("cannot build a tokenizer from " + file + ": " + e.getMessage(), e);
        }
        return new Tokenizer(hfTokenizer, vocab, file.toString());
    }

    /**
     * Ids of {@code text} with the post-processor's special tokens (for the fixtures: {@code <|bos|>} first).
     *
     * @throws IllegalArgumentException if text is null or holds an unpaired surrogate
     */
    public int[] encode(String text) {
        return encode(text, SpecialTokens.ADD);
    }

    /** Ids of {@code text} alone, without the post-processor's special tokens; for continuations of a prompt. */
    public int[] encodeWithoutSpecialTokens(String text) {
        return encode(text, SpecialTokens.OMIT);
    }

    /** The text of {@code ids}, special tokens left out, as {@code decode(ids, skip_special_tokens=True)} gives. */
    public String decode(int[] ids) {
        return decode(ids, SpecialTokens.OMIT);
    }

    /** The text of {@code ids}, special tokens written out (e.g. {@code <|eos|>}). */
    public String decodeWithSpecialTokens(int[] ids) {
        return decode(ids, SpecialTokens.ADD);
    }

    /**
     * Number of token ids: the model vocabulary plus added tokens (one past the largest id). A checkpoint's
     * embedding may have more rows (Qwen2 pads 151,665 ids to 151,936); ids past this are not tokens.
     */
    public int vocabSize() {
        return vocab.size();
    }

    /**
     * The text one token stands for, as a user would read it (for top-logprob display): its decoding on its own,
     * special tokens written out. A byte-level BPE piece that holds only part of a multi-byte UTF-8 character
     * decodes to U+FFFD in place of the partial bytes, since a single token's text cannot show them; a
     * SentencePiece piece decoded alone loses its leading space, as it would at the start of a text.
     */
    public String tokenText(int id) {
        checkId(id);
        String text = tokenTexts.get(id);
        if (text == null) {
            text = decodeWithSpecialTokens(new int[] {id});
            tokenTexts.set(id, text);
        }
        return text;
    }

    /** Whether {@code id} is an added token marked special in {@code tokenizer.json} (skipped by {@link #decode}). */
    public boolean isSpecial(int id) {
        checkId(id);
        return vocab.isSpecial(id);
    }

    /**
     * The id of a token given as it is written in {@code tokenizer.json}: an added token's content
     * ({@code "<|eos|>"}) or a vocabulary piece in the model's own alphabet (byte-level BPE writes a leading space
     * as {@code "Ġ"}).
     */
    public OptionalInt tokenId(String token) {
        if (token == null) {
            throw new IllegalArgumentException("token is null");
        }
        return vocab.id(token);
    }

    /**
     * The bytes of text each token stands for (see {@link TokenBytes}), built on first use. Throws
     * {@link FloodException} for a tokenizer whose decoder it does not know.
     */
    public TokenBytes tokenBytes() {
        TokenBytes built = tokenBytes;
        if (built == null) {
            built = TokenBytes.of(vocab, file);
            tokenBytes = built;
        }
        return built;
    }

    /**
     * A detokenizer for one request whose prompt is {@code promptIds}; see {@link IncrementalDetokenizer}.
     * The prompt's last few ids are kept as decoding context only.
     */
    public IncrementalDetokenizer newDetokenizer(int[] promptIds) {
        if (promptIds == null) {
            throw new IllegalArgumentException("promptIds is null");
        }
        return new IncrementalDetokenizer(this, promptIds);
    }

    /** Frees the native tokenizer; waits for calls in flight, and later calls throw {@link IllegalStateException}. */
    @Override
    public void close() {
        Lock lock = closeLock.writeLock();
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                hfTokenizer.close();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Decodes {@code ids[start, end)} with special tokens left out; the ids must be in range. */
    String decodeRange(int[] ids, int start, int end) {
        long[] longIds = new long[end - start];
        for (int i = start; i < end; i++) {
            longIds[i - start] = ids[i];
        }
        return decodeChecked(longIds, SpecialTokens.OMIT);
    }

    private int[] encode(String text, SpecialTokens specialTokens) {
        if (text == null) {
            throw new IllegalArgumentException("text is null");
        }
        checkSurrogates(text);
        long[] ids;
        Lock lock = acquire();
        try {
            ids = hfTokenizer.encode(text, specialTokens == SpecialTokens.ADD, false).getIds();
        } finally {
            lock.unlock();
        }
        int[] result = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            result[i] = Math.toIntExact(ids[i]);
        }
        return result;
    }

    private String decode(int[] ids, SpecialTokens specialTokens) {
        if (ids == null) {
            throw new IllegalArgumentException("ids is null");
        }
        long[] longIds = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            checkId(ids[i]);
            longIds[i] = ids[i];
        }
        return decodeChecked(longIds, specialTokens);
    }

    private String decodeChecked(long[] ids, SpecialTokens specialTokens) {
        Lock lock = acquire();
        try {
            return hfTokenizer.decode(ids, specialTokens == SpecialTokens.OMIT);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Rejects an unpaired UTF-16 surrogate: it has no UTF-8 form, so {@code transformers} cannot encode it, and the
     * JNI string conversion would turn it into three U+FFFD characters unasked.
     */
    private static void checkSurrogates(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean pairStart = Character.isHighSurrogate(c)
                    && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
            if (pairStart) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(String.format(
                        "text has an unpaired surrogate U+%04X at index %d", (int) c, i));
            }
        }
    }

    /** Takes the read side of {@link #closeLock}; the caller unlocks. */
    private Lock acquire() {
        Lock lock = closeLock.readLock();
        lock.lock();
        if (closed) {
            lock.unlock();
            throw new IllegalStateException("tokenizer is closed");
        }
        return lock;
    }

    void checkId(int id) {
        if (id < 0 || id >= vocab.size()) {
            throw new IllegalArgumentException(
                    "token id " + id + " is out of range for vocabulary size " + vocab.size());
        }
    }

    /** Whether the post-processor's special tokens are added on encode, or special tokens are written on decode. */
    private enum SpecialTokens { ADD, OMIT }
}
