package dev.flood.cache;

import dev.flood.api.PrefixCacheStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Prefix caching on the segment cache: computed prompt prefixes kept as read-only cached space, which every request
 * whose prompt starts with one lists first in its {@link SegmentTable}, so a prefix shared by many requests is
 * computed once. The scheduler allocates, grows and frees tables through this class, which evicts cached
 * prefixes when the slots are needed.
 *
 * <p>Blocks. A prompt is cut into blocks of {@link #BLOCK_TOKENS} tokens ({@link PromptBlocks}); only full blocks
 * are cached. A block is found by its hash, chained over the whole prompt up to the block's end, and accepted only
 * if its own tokens and the block before it are the ones asked for: a hash collision never serves another
 * prompt's keys and values. Cached blocks form a tree (each block points to the one before it); a request whose
 * prompt matches k blocks of a longer cached prefix lists only those k. Sixteen tokens per block: each request
 * recomputes at most 15 tokens of a prefix it shares (option scoring shares prompts of a few dozen tokens), and
 * the cost per block (a map entry, its 16 token ids kept for the comparison) stays small. Larger blocks would buy
 * nothing here: the attention kernels read a prefix as the few contiguous extents it lies in, not block by block.
 *
 * <p>Publishing. The first request with a prefix computes it in slots it owns. Once the step that computed a full
 * prompt block is collected, {@link #publish} hands the block's slots to the cache ({@link SegmentAllocator#share})
 * and the request goes on reading them as a reference, like any later request. A block is published only after
 * its step was collected without failure, so a failed step's keys and values are never served; a step launched
 * after that reads them after they were written on every pipeline stage, since each stage runs steps in launch
 * order (and slots are the same on every stage).
 *
 * <p>References and eviction. Every live table that lists a block holds one reference on it; a table listing a
 * block lists every block before it, so no block has more references than its parent. A block no table lists
 * stays cached until slots run short: {@link #allocate} and {@link #grow} then evict unreferenced blocks, least
 * recently released first and the last block of a prefix before the one it follows, until the slots fit. A block
 * a live table lists is never evicted.
 *
 * <p>Prefixes being computed. A request whose next block is being computed by a running table (published when its
 * step is collected) is told to wait ({@link Match#waits()}): admitted at once it would compute the same block
 * again, as every option of a scoring question or every row behind one system prompt would when they arrive
 * together. The running table publishes the block, or gives up on it (preempted, finished, or its block was cached
 * by another table first), within a few steps.
 *
 * <p>Off ({@link #off}), nothing is matched or published and allocation is the allocator's. Not thread-safe: the
 * engine's scheduling thread calls it.
 */
public final class PrefixCache {

    /** Tokens per cached block. */
    public static final int BLOCK_TOKENS = 16;

    /** Eviction order: least recently released first; among blocks released together, the last block first. */
    private static final Comparator<Block> EVICTION_ORDER = Comparator.<Block>comparingLong(b -> b.lastUse)
            .thenComparing(Comparator.<Block>comparingInt(b -> b.depth).reversed())
            .thenComparingLong(b -> b.serial);

    private final SegmentAllocator allocator;
    private final boolean enabled;
    private final Map<Long, Block> blocksByHash = new HashMap<>();
    /** Blocks no table lists and no cached block follows: the ones eviction may take next. */
    private final TreeSet<Block> evictable = new TreeSet<>(EVICTION_ORDER);
    /** Hash of a block some running table will publish once computed, and that table's lease. */
    private final Map<Long, Lease> pending = new HashMap<>();
    private final Map<SegmentTable, Lease> leases = new IdentityHashMap<>();
    private long clock;
    private long serials;
    private int unreferencedTokens;
    private long lookups;
    private long hits;
    private long lookedUpTokens;
    private long hitTokens;
    private long evictedTokens;

    private PrefixCache(SegmentAllocator allocator, boolean enabled) {
        this.allocator = allocator;
        this.enabled = enabled;
    }

    /** Prefix caching over {@code allocator}'s slots. */
    public static PrefixCache on(SegmentAllocator allocator) {
        return new PrefixCache(allocator, true);
    }

    /** No prefix caching: every request computes its whole prompt; allocation is the allocator's. */
    public static PrefixCache off(SegmentAllocator allocator) {
        return new PrefixCache(allocator, false);
    }

    /** A cached block: {@link #BLOCK_TOKENS} slots holding one block of some prompt, after its parent's. */
    private static final class Block {
        final long hash;
        final Block parent;             // the block before it; null for a prompt's first block
        final int depth;                // index of the block in its prompt
        final int[] tokens;             // [BLOCK_TOKENS], compared on every hit
        final List<Extent> slots;       // the block's slots in token order: one extent, or more if it straddles
        final long serial;
        int refs;                       // live tables listing it
        int children;                   // cached blocks whose parent it is
        long lastUse;                   // clock when its references last dropped to 0

        Block(long hash, Block parent, int[] tokens, List<Extent> slots, long serial) {
            this.hash = hash;
            this.parent = parent;
            this.depth = parent == null ? 0 : parent.depth + 1;
            this.tokens = tokens;
            this.slots = slots;
            this.serial = serial;
        }
    }

    /** What one live table holds of the cache: the blocks it lists first, then what it may still publish. */
    private static final class Lease {
        final PromptBlocks prompt;
        final List<Block> held;         // blocks 0 .. held.size() - 1 of the prompt, one reference each
        boolean publishing = true;      // false once a block could not be published: the rest stays owned

        Lease(PromptBlocks prompt, List<Block> held) {
            this.prompt = prompt;
            this.held = held;
        }
    }

    /**
     * The cached prefix of a prompt that a request may list: {@link #tokens()} tokens in whole blocks. If
     * {@link #waits()}, the block after them is being computed by a running request, and waiting for it is cheaper
     * than computing it again.
     */
    public static final class Match {
        private final PromptBlocks prompt;
        private final List<Block> blocks;
        private final List<Extent> extents;
        private final boolean waits;

        private Match(PromptBlocks prompt, List<Block> blocks, List<Extent> extents, boolean waits) {
            this.prompt = prompt;
            this.blocks = blocks;
            this.extents = extents;
            this.waits = waits;
        }

        /** Prompt tokens the cached prefix holds: the request starts with these computed. */
        public int tokens() {
            return blocks.size() * BLOCK_TOKENS;
        }

        public boolean waits() {
            return waits;
        }
    }

    /**
     * The longest cached prefix of {@code prompt} of at most {@code maxTokens} tokens (the request must still compute
     * the positions whose outputs it needs) that fits, as extents, within all but one of the extents a table may
     * hold. Changes nothing: {@link #allocate} takes the references.
     */
    public Match match(PromptBlocks prompt, int maxTokens) {
        if (!enabled) {
            return new Match(prompt, List.of(), List.of(), false);
        }
        int usable = Math.min(prompt.numBlocks(), Math.max(0, maxTokens) / BLOCK_TOKENS);
        List<Block> blocks = new ArrayList<>();
        List<Extent> extents = new ArrayList<>();
        boolean waits = false;
        for (int b = 0; b < usable; b++) {
            Block block = blocksByHash.get(prompt.hash(b));
            Block parent = blocks.isEmpty() ? null : blocks.get(blocks.size() - 1);
            if (block == null) {
                waits = pending.containsKey(prompt.hash(b));
                break;
            }
            if (block.parent != parent || !prompt.sameTokens(b, block.tokens)) {
                break;   // another prefix with the same hash
            }
            List<Extent> longer = new ArrayList<>(extents);
            longer.addAll(block.slots);
            longer = SegmentTable.merged(longer);
            if (longer.size() >= allocator.maxExtentsPerRequest()) {
                break;
            }
            extents = longer;
            blocks.add(block);
        }
        return new Match(prompt, List.copyOf(blocks), List.copyOf(extents), waits);
    }

    /**
     * A table listing the match's cached prefix and then {@code tokens} slots of its own, evicting unreferenced
     * cached blocks if the slots do not fit otherwise. Empty, with no reference taken, when they do not fit even so.
     */
    public Optional<SegmentTable> allocate(Match match, int tokens) {
        acquire(match.blocks);
        Optional<SegmentTable> table = evictingUntil(() -> allocator.allocate(match.extents, tokens), tokens);
        if (table.isEmpty()) {
            release(match.blocks);
            return table;
        }
        if (enabled) {
            Lease lease = new Lease(match.prompt, new ArrayList<>(match.blocks));
            leases.put(table.get(), lease);
            for (int b = lease.held.size(); b < lease.prompt.numBlocks(); b++) {
                pending.putIfAbsent(lease.prompt.hash(b), lease);
            }
            lookups++;
            lookedUpTokens += match.prompt.numTokens();
            hits += match.blocks.isEmpty() ? 0 : 1;
            hitTokens += match.tokens();
        }
        return table;
    }

    /** {@link SegmentAllocator#grow}, evicting unreferenced cached blocks if the slots do not fit otherwise. */
    public boolean grow(SegmentTable table, int additionalTokens) {
        return evictingUntil(() -> allocator.grow(table, additionalTokens) ? Optional.of(table) : Optional.empty(),
                additionalTokens).isPresent();
    }

    /** Frees the slots the table owns and drops its references; blocks it published stay cached. */
    public void free(SegmentTable table) {
        Lease lease = leases.remove(table);
        allocator.free(table);
        if (lease != null) {
            stopPublishing(lease);
            release(lease.held);
        }
    }

    /**
     * The table's first {@code computedTokens} tokens are computed (their step was collected): its full prompt
     * blocks among them become cached, in order, unless a block is already cached (then it and the rest stay the
     * table's own).
     */
    public void publish(SegmentTable table, int computedTokens) {
        Lease lease = leases.get(table);
        if (lease == null || !lease.publishing) {
            return;
        }
        int from = lease.held.size();
        int upTo = Math.min(computedTokens / BLOCK_TOKENS, lease.prompt.numBlocks());
        int count = 0;
        while (from + count < upTo && !blocksByHash.containsKey(lease.prompt.hash(from + count))) {
            count++;
        }
        if (count > 0) {
            Optional<List<Extent>> shared = allocator.share(table, count * BLOCK_TOKENS);
            if (shared.isEmpty()) {
                stopPublishing(lease);
                return;
            }
            List<Extent> pieces = shared.get();
            for (int k = 0; k < count; k++) {
                int b = from + k;
                Block parent = lease.held.isEmpty() ? null : lease.held.get(lease.held.size() - 1);
                Block block = new Block(lease.prompt.hash(b), parent, lease.prompt.blockTokens(b),
                        slice(pieces, k * BLOCK_TOKENS, BLOCK_TOKENS), serials++);
                block.refs = 1;
                if (parent != null) {
                    parent.children++;
                }
                blocksByHash.put(block.hash, block);
                lease.held.add(block);
                pending.remove(block.hash, lease);
            }
        }
        if (from + count < upTo) {
            stopPublishing(lease);
        }
    }

    /** Evicts every cached block no table lists. */
    public void clear() {
        while (!evictable.isEmpty()) {
            evict(evictable.first());
        }
    }

    public PrefixCacheStats stats() {
        return new PrefixCacheStats(lookups, hits, lookedUpTokens, hitTokens, unreferencedTokens, evictedTokens);
    }

    /**
     * Tries {@code attempt} and, while it fails and evicting could still free {@code tokens} slots, evicts one
     * block and tries again. Hopeless attempts evict nothing, so a request that cannot fit does not empty the cache.
     */
    private <T> Optional<T> evictingUntil(Supplier<Optional<T>> attempt, int tokens) {
        while (true) {
            Optional<T> result = attempt.get();
            if (result.isPresent() || evictable.isEmpty()
                    || (long) allocator.freeTokens() + unreferencedTokens < tokens) {
                return result;
            }
            evict(evictable.first());
        }
    }

    private void evict(Block block) {
        evictable.remove(block);
        blocksByHash.remove(block.hash);
        unreferencedTokens -= BLOCK_TOKENS;
        evictedTokens += BLOCK_TOKENS;
        block.slots.forEach(allocator::releaseCached);
        Block parent = block.parent;
        if (parent != null && --parent.children == 0 && parent.refs == 0) {
            evictable.add(parent);
        }
    }

    private void acquire(List<Block> blocks) {
        for (Block block : blocks) {
            if (block.refs++ == 0) {
                evictable.remove(block);
                unreferencedTokens -= BLOCK_TOKENS;
            }
        }
    }

    /** Drops one reference on each block; those left unreferenced count as released now. */
    private void release(List<Block> blocks) {
        long now = ++clock;
        for (Block block : blocks) {
            if (--block.refs == 0) {
                block.lastUse = now;
                unreferencedTokens += BLOCK_TOKENS;
                if (block.children == 0) {
                    evictable.add(block);
                }
            }
        }
    }

    /** The table will publish no more blocks: requests waiting for them compute them themselves. */
    private void stopPublishing(Lease lease) {
        lease.publishing = false;
        for (int b = lease.held.size(); b < lease.prompt.numBlocks(); b++) {
            pending.remove(lease.prompt.hash(b), lease);
        }
    }

    /** Slots {@code [offset, offset + length)} of the run that {@code pieces} hold in order, as extents. */
    private static List<Extent> slice(List<Extent> pieces, int offset, int length) {
        List<Extent> slice = new ArrayList<>(1);
        int skip = offset;
        int remaining = length;
        for (Extent piece : pieces) {
            if (skip >= piece.length()) {
                skip -= piece.length();
                continue;
            }
            int run = Math.min(piece.length() - skip, remaining);
            slice.add(new Extent(piece.start() + skip, run));
            remaining -= run;
            skip = 0;
            if (remaining == 0) {
                break;
            }
        }
        return List.copyOf(slice);
    }
}
