// Segment attention for prefill on Hopper (sm_90a): the function of segment_attention.cuh (read its header for
// packed rows, work items, extents and outputs), computed with wgmma on the tiles of hopper_tile.cuh, warp-specialized
// so that loads, Q Kᵀ, softmax and P V overlap, on a persistent grid.
//
// A block is 3 warpgroups (384 threads) and 128 packed rows:
//   - warpgroup 0, the producer, drops to kProducerRegisters and copies K/V tiles of 128 tokens into a ring of
//     kStages shared-memory stages by cp.async (a tile's rows may come from several cache extents). Stage s has
//     two mbarriers: `full` (kProducerThreads arrivals, each a producer thread's cp.async.mbarrier.arrive.noinc,
//     which completes when that thread's copies of the tile have landed, so up to kStages tiles are in flight;
//     the consumers fence for the async proxy after waiting on it) and `empty` (kConsumerWarps arrivals: each
//     consumer warp once its wgmmas reading the stage have completed). No block-wide barrier in the main loop.
//   - warpgroups 1 and 2, the consumers, raise to kConsumerRegisters; consumer c owns packed rows 64c .. 64c+63,
//     loads and converts its own Q rows while the first tiles stream in, then per tile t issues S_t = Q K_tᵀ and
//     O += P_{t-1} V_{t-1} together, and computes the softmax of S_t while both run (one tile of lag between
//     softmax and P V, as FlashAttention-3's intra-warpgroup overlap).
//   - the two consumers take turns issuing their wgmmas (named barriers kTurnBarrier + c, 256 threads: consumer c
//     waits for its turn, issues, and hands the turn to the other), so one consumer's softmax runs while the
//     other's matrix products occupy the tensor cores. Both take one turn per tile plus one for the last P V,
//     whether or not they have work in it, so the turns stay paired.
//
// Persistent grid: about one block per SM, each looping over the work items, so that one item's epilogue (output
// store, the next Q load) overlaps the producer's first tiles of the next item and the other consumer's last matrix
// products, and the blocks share the tail evenly.
//
// Items: item i is work item i / num_kv_heads for KV head i % num_kv_heads (the plan lists work longest first, so
// the long items of every head come first). Block b takes, in round k = 0, 1, ..., item k * G + b when k is even and
// k * G + G - 1 - b when k is odd (G blocks; a snake, so that the block with the longest item of a round gets the
// shortest of the next). The order is static: which block runs an item never changes its arithmetic.
//
// Across items every counter continues: the producer and the consumers number the K/V tiles of all their items
// 0, 1, 2, ... (`tile`), stage tile % kStages, mbarrier phase tile / kStages; the consumers' turns keep
// alternating (consumer 0 first) from item to item, each consumer taking num_tiles + 1 turns per item. Only the
// producer reads the extents, which its first warp reloads per item between two producer-only named barriers. Each
// consumer reads its next item's descriptor while it computes the current one (the item carries its request's
// query start and position, so that is one load), and at d64 loads the next Q rows before storing its output.
#pragma once

#include "warp_specialized_sm90.cuh"

namespace flood {

// What a block needs of item `item`: its work item (which carries its request's query start and first position, so
// one load of it is all the setup an item waits for) and KV head.
struct PersistentItem {
    AttentionWork work;
    int kv_head;
    int num_tiles;        // K/V tiles of kBlockN tokens in [kv_begin, kv_end)

    template <int kBlockN>
    __device__ static PersistentItem of(const AttentionArgs& a, int item, int num_kv_heads) {
        PersistentItem p;
        p.work = a.work[item / num_kv_heads];
        p.kv_head = item % num_kv_heads;
        p.num_tiles = (p.work.kv_end - p.work.kv_begin + kBlockN - 1) / kBlockN;
        return p;
    }
};

// Starts bringing the 128-byte line at `address` into L2 (no registers, no wait).
__device__ __forceinline__ void prefetch_l2(const void* address) {
    asm volatile("prefetch.global.L2 [%0];\n" :: "l"(address));
}

// Block `block` of `blocks`: its item of round k, or -1 past the last item.
__device__ __forceinline__ int persistent_item(int round, int block, int blocks, int num_items) {
    const int item = round * blocks + (round % 2 == 0 ? block : blocks - 1 - block);
    return item < num_items ? item : -1;
}

// One consumer's Q rows of an item in registers (float32 as loaded), so that the loads of the next item are in
// flight while the current item's output is stored. Packed row r is query token (row_start + r) / G, head
// kv_head * G + (row_start + r) % G; rows past num_rows are zeros.
template <int kHeadDim>
struct ConsumerQ {
    static constexpr int kLoads = 64 * (kHeadDim / 4) / 128;  // float4 per thread
    float4 q[kLoads];

    __device__ void load(const AttentionArgs& a, const PersistentItem& item, int consumer_row, int consumer_thread) {
#pragma unroll
        for (int i = 0; i < kLoads; ++i) {
            const int c = consumer_thread + 128 * i;
            const int r = consumer_row + c / (kHeadDim / 4);
            const int column = (c % (kHeadDim / 4)) * 4;
            q[i] = make_float4(0.f, 0.f, 0.f, 0.f);
            if (r < item.work.num_rows) {
                const int packed = item.work.row_start + r;
                const int head = item.kv_head * a.group + packed % a.group;
                const size_t token = static_cast<size_t>(item.work.q_start + packed / a.group);
                q[i] = *reinterpret_cast<const float4*>(a.qkv + token * a.qkv_stride + head * kHeadDim + column);
            }
        }
    }

    // bf16 into the swizzled [kHeadDim / 64][kRows][64] Q tile at q_s.
    template <int kRows>
    __device__ void write(unsigned char* q_s, int consumer_row, int consumer_thread) const {
#pragma unroll
        for (int i = 0; i < kLoads; ++i) {
            const int c = consumer_thread + 128 * i;
            const int r = consumer_row + c / (kHeadDim / 4);
            const int column = (c % (kHeadDim / 4)) * 4;
            *reinterpret_cast<uint2*>(q_s + swizzled_offset<kRows>(r, column)) =
                make_uint2(pack_bf16x2(q[i].x, q[i].y), pack_bf16x2(q[i].z, q[i].w));
        }
    }
};

template <int kHeadDim>
__device__ void segment_attention_sm90(const AttentionArgs& a, int num_work, int num_kv_heads) {
    using Tile = HopperAttentionTile<kHeadDim>;
    using Layout = WarpSpecializedLayout;
    using Warpgroup = AttentionWarpgroup<kHeadDim>;
    constexpr int kBlockN = Tile::kBlockN;
    constexpr int kStages = Tile::kStages;
    constexpr int kTileBytes = Tile::kTileBytes;
    constexpr int kProducerBarrier = 5;  // named barrier 5: the producer's 128 threads, around the extent reload

    extern __shared__ __align__(16) unsigned char shared_raw[];
    __shared__ int extent_starts[kMaxExtents];
    __shared__ int extent_first_tokens[kMaxExtents];
    __shared__ uint64_t full[kStages];
    __shared__ uint64_t empty[kStages];
    unsigned char* q_s = shared_raw + (1024 - shared_address(shared_raw) % 1024) % 1024;
    unsigned char* k_s = q_s + Tile::kQBytes;          // [kStages][kTileBytes]
    unsigned char* v_s = k_s + kStages * kTileBytes;   // [kStages][kTileBytes]

    const int num_items = num_work * num_kv_heads;
    const int block = blockIdx.x;
    const int blocks = gridDim.x;

    if (threadIdx.x == 0) {
        for (int s = 0; s < kStages; ++s) {
            mbarrier_init(&full[s], Layout::kProducerThreads);
            mbarrier_init(&empty[s], Layout::kConsumerWarps);
        }
    }
    __syncthreads();

    const int warpgroup = threadIdx.x / 128;
    if (warpgroup == 0) {
        release_registers<Layout::kProducerRegisters>();
        int tile = 0;  // tiles issued by this block so far, over all its items
        for (int round = 0;; ++round) {
            const int item_index = persistent_item(round, block, blocks, num_items);
            if (item_index < 0) {
                break;
            }
            const PersistentItem item = PersistentItem::of<kBlockN>(a, item_index, num_kv_heads);
            const int first_extent = a.cu_extents[item.work.seq];
            const int num_extents = a.cu_extents[item.work.seq + 1] - first_extent;
            named_barrier_sync(kProducerBarrier, Layout::kProducerThreads);  // the last item's copies are issued
            read_extents(a, first_extent, num_extents, extent_starts, extent_first_tokens);  // one round trip
            named_barrier_sync(kProducerBarrier, Layout::kProducerThreads);
            // The consumers load this item's Q rows once they finish their previous item, while the tensor cores
            // wait for them; bring the rows into L2 now, while the stages ahead of them still fill.
#pragma unroll 1
            for (int line = threadIdx.x; line < Tile::kRows * (kHeadDim / 32); line += Layout::kProducerThreads) {
                const int r = line / (kHeadDim / 32);
                if (r < item.work.num_rows) {
                    const int packed = item.work.row_start + r;
                    const int head = item.kv_head * a.group + packed % a.group;
                    prefetch_l2(a.qkv + static_cast<size_t>(item.work.q_start + packed / a.group) * a.qkv_stride
                                + head * kHeadDim + (line % (kHeadDim / 32)) * 32);
                }
            }
            const KvTileSource source{extent_starts, extent_first_tokens, num_extents, item.work.kv_end,
                                      static_cast<size_t>(item.kv_head) * kHeadDim};
            // Tile `tile` goes to stage tile % kStages once the consumers have released tile - kStages there.
            for (int t = 0; t < item.num_tiles; ++t, ++tile) {
                const int stage = tile % kStages;
                if (tile >= kStages) {
                    mbarrier_wait(&empty[stage], (tile / kStages - 1) & 1);
                }
                source.copy<kHeadDim, kBlockN>(a, item.work.kv_begin + t * kBlockN, k_s + stage * kTileBytes,
                                               v_s + stage * kTileBytes, threadIdx.x);
                cp_async_mbarrier_arrive(&full[stage]);
            }
        }
        // Stay until this thread's copies have landed (the consumers wait for them anyway).
        cp_async_commit();
        cp_async_wait<0>();
        return;
    }

    claim_registers<Layout::kConsumerRegisters>();
    const int consumer = warpgroup - 1;
    const int consumer_thread = threadIdx.x % 128;
    const int consumer_row = consumer * 64;
    const int warp_row = consumer_row + consumer_thread / kWarpSize * 16;
    const bool warp_leader = threadIdx.x % kWarpSize == 0;
    const uint32_t q_address = shared_address(q_s);
    const uint32_t k_address = shared_address(k_s);
    const uint32_t v_address = shared_address(v_s);
    using Yes = std::true_type;
    using No = std::false_type;

    const int first_index = persistent_item(0, block, blocks, num_items);
    if (first_index < 0) {
        return;
    }
    PersistentItem item = PersistentItem::of<kBlockN>(a, first_index, num_kv_heads);
    ConsumerQ<kHeadDim> q;
    q.load(a, item, consumer_row, consumer_thread);
    if (consumer == 1) {
        named_barrier_arrive(Layout::kTurnBarrier, 256);  // consumer 0 takes the block's first turn
    }
    int tile_base = 0;  // tiles of this block's earlier items
    for (int round = 0;;) {
        // Every wgmma of this consumer on the previous item's Q has completed (each warp waited for its own).
        named_barrier_sync(Layout::kQBarrier + consumer, 128);
        q.template write<Tile::kRows>(q_s, consumer_row, consumer_thread);
        fence_proxy_async();
        named_barrier_sync(Layout::kQBarrier + consumer, 128);
        // The next item's descriptor, read now so that its round trip is over by the time the item ends.
        const int next_index = persistent_item(round + 1, block, blocks, num_items);
        const PersistentItem next = next_index < 0 ? item : PersistentItem::of<kBlockN>(a, next_index, num_kv_heads);

        const AttentionWork& work = item.work;
        const int num_tiles = item.num_tiles;
        // Every condition that guards a wgmma is uniform over the warpgroup, as wgmma requires.
        const bool group_active = consumer_row < work.num_rows;
        const int group_last_row = min(consumer_row + 63, work.num_rows - 1);
        const int group_max_position =
            group_active ? work.first_position + (work.row_start + group_last_row) / a.group : -1;
        const int group_min_position = consumer_row + 64 <= work.num_rows
            ? work.first_position + (work.row_start + consumer_row) / a.group : -1;
        // Padding rows (past num_rows) get position -1: every key is masked for them.
        int position[2];
        for (int i = 0; i < 2; ++i) {
            const int r = warp_row + (consumer_thread % kWarpSize) / 4 + 8 * i;
            position[i] = r < work.num_rows ? work.first_position + (work.row_start + r) / a.group : -1;
        }
        // Tiles 0 .. my_tiles - 1 hold keys of this consumer's rows; without a sliding window all are computed, the
        // first unmasked_tiles without a mask.
        const int my_tiles = group_active && group_max_position >= work.kv_begin
            ? min(num_tiles, (group_max_position - work.kv_begin) / kBlockN + 1) : 0;
        const int mask_limit = min(group_min_position + 1, work.kv_end) - work.kv_begin;
        const int unmasked_tiles = mask_limit > 0 ? min(my_tiles, mask_limit / kBlockN) : 0;
        // With a sliding window: the first skip_tiles lie wholly before the window of this consumer's first row (the
        // earliest window) and are only waited for; tiles before window_mask_tiles hold a key before its last row's
        // window and are masked. Without one both are 0.
        int skip_tiles = 0;
        int window_mask_tiles = 0;
        if (a.window > 0 && my_tiles > 0) {
            const int first_start = work.first_position + (work.row_start + consumer_row) / a.group - a.window + 1;
            const int last_start = group_max_position - a.window + 1;
            skip_tiles = min(my_tiles - 1, max(0, first_start - work.kv_begin) / kBlockN);
            window_mask_tiles = min(my_tiles, max(0, last_start - work.kv_begin + kBlockN - 1) / kBlockN);
        }

        Warpgroup state;
        state.clear();
        int p_stage = 0;  // the stage whose V the probabilities in state.p multiply
        // One turn for the item's tile t (block tile tile_base + t): waits until the tile is in shared memory,
        // issues S_t = Q K_tᵀ (kScores) and O += P V for the previous tile (kValues) in this consumer's turn, then
        // the softmax of S_t (masked if kMask), and releases the stages it is done with. Every wgmma is issued and
        // waited for without a branch on the way (ptxas serializes wgmma across possibly divergent paths), hence
        // the compile-time flags.
        auto turn = [&](int t, auto scores, auto values, auto mask) {
            constexpr bool kScores = decltype(scores)::value;
            constexpr bool kValues = decltype(values)::value;
            const int tile = tile_base + t;
            const int stage = tile % kStages;
            const int tile_start = work.kv_begin + t * kBlockN;
            if (t < num_tiles) {
                mbarrier_wait(&full[stage], (tile / kStages) & 1);
                fence_proxy_async();  // the producer's cp.async writes (generic proxy) before this wgmma's reads
            }
            float s[Warpgroup::kSValues];
            named_barrier_sync(Layout::kTurnBarrier + consumer, 256);
            if constexpr (kScores) {
                Warpgroup::issue_scores(s, q_address, consumer_row, k_address + stage * kTileBytes);
            }
            if constexpr (kValues) {
                state.issue_values(v_address + p_stage * kTileBytes);
            }
            named_barrier_arrive(Layout::kTurnBarrier + 1 - consumer, 256);
            float correction[2];
            if constexpr (kScores) {
                wgmma_wait<kValues ? 1 : 0>();
                wgmma_fence_operands(s);
                state.template softmax<decltype(mask)::value>(s, correction, a.scale_log2, tile_start, position,
                                                              work.kv_end, a.window);
            }
            if constexpr (kValues) {
                wgmma_wait<0>();
                wgmma_fence_operands(state.o);
                __syncwarp();
                if (warp_leader) {
                    mbarrier_arrive(&empty[p_stage]);
                }
                if constexpr (kScores) {
                    state.rescale(correction);
                }
            }
            if constexpr (kScores) {
                state.keep_probabilities(s);
                p_stage = stage;
            } else if (t < num_tiles && warp_leader) {
                mbarrier_arrive(&empty[stage]);
            }
        };

        // num_tiles + 1 turns each (the last one issues the last P V), whatever each computes, so turns stay paired.
        int t = 0;
        for (; t < skip_tiles; ++t) {
            turn(t, No{}, No{}, No{});
        }
        if (my_tiles > 0) {
            if (t >= window_mask_tiles && t < unmasked_tiles) {
                turn(t, Yes{}, No{}, No{});
            } else {
                turn(t, Yes{}, No{}, Yes{});
            }
            for (++t; t < window_mask_tiles; ++t) {
                turn(t, Yes{}, Yes{}, Yes{});
            }
            for (; t < unmasked_tiles; ++t) {
                turn(t, Yes{}, Yes{}, No{});
            }
            for (; t < my_tiles; ++t) {
                turn(t, Yes{}, Yes{}, Yes{});
            }
            turn(t++, No{}, Yes{}, No{});
        }
        for (; t <= num_tiles; ++t) {
            turn(t, No{}, No{}, No{});
        }
        tile_base += num_tiles;

        // At d64 the next item's Q rows are loaded before this one's output is stored, so both are in flight
        // together; at d128 the Q rows (64 registers) beside the O accumulator would spill, so they follow the store.
        constexpr bool kQBeforeStore = kHeadDim == 64;
        if (kQBeforeStore && next_index >= 0) {
            q.load(a, next, consumer_row, consumer_thread);
        }
        if (group_active) {
            state.store(a, work, item.kv_head, num_kv_heads, work.q_start, warp_row);
        }
        if (next_index < 0) {
            break;
        }
        if (!kQBeforeStore) {
            q.load(a, next, consumer_row, consumer_thread);
        }
        item = next;
        ++round;
    }
    if (consumer == 0) {
        named_barrier_sync(Layout::kTurnBarrier, 256);  // consumer 1's last hand-over
    }
}

}  // namespace flood
