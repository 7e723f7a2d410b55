package dev.flood.tokenizer;

import java.util.Arrays;

/**
 * Turns one request's generated ids into text as they arrive, without ever releasing half a UTF-8 character.
 * Made by {@link Tokenizer#newDetokenizer(int[])}; one per request, used by one thread at a time.
 *
 * <p>Why it is needed: a byte-level BPE token may hold only some bytes of a character (🚀 is four tokens in the
 * fixtures), and decoding such a prefix shows U+FFFD where the character will be. So text is held back while the
 * decoded tail is U+FFFD, and released once a later token completes it.
 *
 * <p>How: a small window of ids is decoded on every {@link #add}. Its first {@code readOffset} ids are context
 * whose text ({@code prefixText}) was released already; the rest are pending. When the window's text does not end
 * in U+FFFD, the text past {@code prefixText} is released, the old context is dropped, and the pending ids become
 * the new context. Every cut of the window falls on a token boundary that no character straddles, so the window's
 * text is always the corresponding stretch of the whole completion's text. Keeping a few released ids as context
 * lets decoders that treat a sequence's first token specially (SentencePiece's leading space) see each pending
 * token where it really stands; the prompt's last ids are the first context, and never part of the completion.
 *
 * <p>Cost: each {@code add} decodes the window once, and the window stays a few tokens long, so the cost does not
 * grow with the completion. Runs of bytes that are not valid UTF-8 decode to U+FFFD and never complete; once more
 * than {@value #MAX_PENDING_TOKENS} ids are pending, the window is cut at the last token boundary that splits no
 * character (checked by decoding the two sides apart: they must join to the window's text), and each boundary is
 * checked once. Only while every boundary falls inside a multi-byte character (tokens that each end with the
 * first bytes of the next character) does the window grow with the held text, as it does in TGI, vLLM and
 * tokenizers' {@code DecodeStream}; releasing across such a boundary would corrupt the character.
 *
 * <p>Contract: special tokens add no text; the concatenation of all {@link #add} deltas and {@link #flush()}
 * equals {@link Tokenizer#decode(int[])} of all generated ids for decoders that need no context (byte-level BPE);
 * for SentencePiece decoders that drop the first token's leading space, the completion keeps that space, since it
 * continues the prompt. A character that is itself U+FFFD is held like a partial one, until the next token or
 * {@code flush}.
 */
public final class IncrementalDetokenizer {

    /** Prompt ids kept as context for the first completion tokens. */
    private static final int CONTEXT_TOKENS = 5;
    /** Pending ids beyond which {@link #add} looks for a clean boundary to release text at. */
    static final int MAX_PENDING_TOKENS = 8;
    private static final String REPLACEMENT = "\uFFFD";

    private final Tokenizer tokenizer;
    /** Grows by doubling; ids [0, numWindowTokens) are the window, all non-special; [0, readOffset) its context. */
    private int[] window;
    private int numWindowTokens;
    private int readOffset;
    /** Decoding of window[0, readOffset). */
    private String prefixText;
    /** Boundaries below this window index were found to split a character; see {@link #releaseAtCleanBoundary}. */
    private int firstUncheckedBoundary;
    /** Every delta released so far. */
    private final StringBuilder completion = new StringBuilder();
    private boolean flushed;

    IncrementalDetokenizer(Tokenizer tokenizer, int[] promptIds) {
        this.tokenizer = tokenizer;
        this.window = new int[2 * CONTEXT_TOKENS];
        for (int id : promptIds) {
            tokenizer.checkId(id);
        }
        for (int i = promptIds.length - 1; i >= 0 && numWindowTokens < CONTEXT_TOKENS; i--) {
            if (!tokenizer.isSpecial(promptIds[i])) {
                window[numWindowTokens++] = promptIds[i];
            }
        }
        reverse(window, numWindowTokens);
        readOffset = numWindowTokens;
        prefixText = tokenizer.decodeRange(window, 0, readOffset);
        if (prefixText.endsWith(REPLACEMENT)) {
            // The prompt ends inside a character; joining the completion to it would change the completion's text.
            numWindowTokens = 0;
            readOffset = 0;
            prefixText = "";
        }
    }

    /**
     * Takes the next generated id and returns the text it completes: possibly empty (a special token, or bytes of a
     * character still incomplete), never ending inside a character.
     *
     * @throws IllegalArgumentException if the id is outside the vocabulary
     * @throws IllegalStateException    after {@link #flush()}
     */
    public String add(int tokenId) {
        if (flushed) {
            throw new IllegalStateException("detokenizer was flushed; it takes no more tokens");
        }
        tokenizer.checkId(tokenId);
        if (tokenizer.isSpecial(tokenId)) {
            return "";
        }
        if (numWindowTokens == window.length) {
            window = Arrays.copyOf(window, 2 * window.length);
        }
        window[numWindowTokens++] = tokenId;
        String windowText = tokenizer.decodeRange(window, 0, numWindowTokens);
        if (!windowText.endsWith(REPLACEMENT)) {
            return release(numWindowTokens, windowText);
        }
        if (numWindowTokens - readOffset > MAX_PENDING_TOKENS) {
            return releaseAtCleanBoundary(windowText);
        }
        return "";
    }

    /** All text released so far: the concatenation of every delta. */
    public String text() {
        return completion.toString();
    }

    /**
     * Releases the text still held back, as a decode of the whole completion would show it (an incomplete
     * character as U+FFFD), and ends this detokenizer. Calling it again returns "".
     */
    public String flush() {
        if (flushed) {
            return "";
        }
        flushed = true;
        String windowText = tokenizer.decodeRange(window, 0, numWindowTokens);
        return release(numWindowTokens, windowText);
    }

    /** Window ids held now; for tests of the cost bound. */
    int numWindowTokens() {
        return numWindowTokens;
    }

    /**
     * Releases window[readOffset, cut), whose text with the context is {@code cutText}, and makes it the new context.
     * {@code cut} must be a boundary that splits no character.
     */
    private String release(int cut, String cutText) {
        // cutText extends prefixText for byte-level decoders. A byte-fallback decoder can turn released bytes back
        // into U+FFFD when an incomplete byte follows them; released text cannot be taken back, so only what lies
        // past the prefix's length is released, as vLLM does.
        String delta = cutText.length() > prefixText.length() ? cutText.substring(prefixText.length()) : "";
        completion.append(delta);
        dropContext(cut);
        return delta;
    }

    /**
     * Cuts at the last boundary k in (readOffset, numWindowTokens) where window[0, k) and window[k, end) decode to
     * {@code windowText} when joined, with text on both sides: no character straddles k, now or after more bytes
     * arrive (an incomplete tail straddling k would decode to two U+FFFD apart and one together). A boundary that
     * fails stays failed, so only boundaries not checked before are tried.
     */
    private String releaseAtCleanBoundary(String windowText) {
        int lowest = Math.max(readOffset + 1, firstUncheckedBoundary);
        for (int cut = numWindowTokens - 1; cut >= lowest; cut--) {
            String head = tokenizer.decodeRange(window, 0, cut);
            String tail = tokenizer.decodeRange(window, cut, numWindowTokens);
            if (!tail.isEmpty() && windowText.equals(head + tail)) {
                return release(cut, head);
            }
        }
        firstUncheckedBoundary = numWindowTokens;
        return "";
    }

    /** Drops window[0, readOffset) and makes window[old readOffset, cut) the context. */
    private void dropContext(int cut) {
        int dropped = readOffset;
        System.arraycopy(window, dropped, window, 0, numWindowTokens - dropped);
        numWindowTokens -= dropped;
        readOffset = cut - dropped;
        firstUncheckedBoundary = readOffset + 1;
        prefixText = tokenizer.decodeRange(window, 0, readOffset);
    }

    private static void reverse(int[] ids, int length) {
        for (int i = 0, j = length - 1; i < j; i++, j--) {
            int swap = ids[i];
            ids[i] = ids[j];
            ids[j] = swap;
        }
    }
}
