package dev.flood.cache;

import java.util.Arrays;

/**
 * A prompt as the {@link PrefixCache} looks it up: its tokens cut into blocks of {@link PrefixCache#BLOCK_TOKENS}
 * and, for each full block, a 64-bit hash chained over every token from the prompt's start to the block's end, so
 * equal hashes mean (barring a collision, which the cache rules out by comparing tokens) equal prefixes. Built once
 * per request on the caller's thread; immutable afterwards and read by the engine thread.
 */
public final class PromptBlocks {

    private static final long SEED = 0x5851F42D4C957F2DL;
    private static final long MULTIPLIER = 0x9E3779B97F4A7C15L;

    private final int[] tokens;     // the prompt; not copied, never changed (see of)
    private final long[] hashes;    // [numBlocks]: hashes[b] covers tokens [0, (b + 1) * BLOCK_TOKENS)

    PromptBlocks(int[] tokens, long[] hashes) {
        if (hashes.length != tokens.length / PrefixCache.BLOCK_TOKENS) {
            throw new IllegalArgumentException(hashes.length + " block hashes for " + tokens.length + " tokens");
        }
        this.tokens = tokens;
        this.hashes = hashes;
    }

    /** The blocks of {@code prompt}, which the caller hands over and must not change afterwards. */
    public static PromptBlocks of(int[] prompt) {
        long[] hashes = new long[prompt.length / PrefixCache.BLOCK_TOKENS];
        long state = SEED;
        for (int b = 0; b < hashes.length; b++) {
            for (int i = b * PrefixCache.BLOCK_TOKENS; i < (b + 1) * PrefixCache.BLOCK_TOKENS; i++) {
                state = (state ^ (prompt[i] & 0xFFFFFFFFL)) * MULTIPLIER;
                state ^= state >>> 29;
            }
            hashes[b] = finish(state);
        }
        return new PromptBlocks(prompt, hashes);
    }

    /** MurmurHash3's 64-bit finalizer: every bit of the chain state reaches every bit of the hash. */
    private static long finish(long state) {
        long z = state;
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }

    public int numTokens() {
        return tokens.length;
    }

    /** Full blocks of the prompt (a last partial block is never cached). */
    public int numBlocks() {
        return hashes.length;
    }

    long hash(int block) {
        return hashes[block];
    }

    /** A copy of the tokens of block {@code block}. */
    int[] blockTokens(int block) {
        return Arrays.copyOfRange(tokens, block * PrefixCache.BLOCK_TOKENS, (block + 1) * PrefixCache.BLOCK_TOKENS);
    }

    /** Whether block {@code block} holds exactly {@code blockTokens}. */
    boolean sameTokens(int block, int[] blockTokens) {
        int from = block * PrefixCache.BLOCK_TOKENS;
        return Arrays.equals(tokens, from, from + PrefixCache.BLOCK_TOKENS, blockTokens, 0, blockTokens.length);
    }
}
