// Segment attention for prefill on Hopper (sm_90a), warp-specialized: the function of segment_attention.cuh (read
// its header for packed rows, work items, extents and outputs) with the tiles, shared-memory layout and wgmma steps
// of segment_attention_sm90.cuh, rearranged so that loads, Q Kᵀ, softmax and P V overlap.
//
// A block is 3 warpgroups (384 threads) and 128 packed rows:
//   - warpgroup 0, the producer, drops to kProducerRegisters and copies K/V tiles of 128 tokens into a ring of
//     kStages shared-memory stages by cp.async (a tile's rows may come from several cache extents). Stage s has
//     two mbarriers: `full` (kProducerThreads arrivals, one per producer thread per tile; see FullSignal) and
//     `empty` (kConsumerWarps arrivals: each consumer warp once its wgmmas reading the stage have completed). No
//     block-wide barrier in the main loop.
//   - warpgroups 1 and 2, the consumers, raise to kConsumerRegisters; consumer c owns packed rows 64c .. 64c+63,
//     loads and converts its own Q rows while the first tiles stream in, then per tile t issues S_t = Q K_tᵀ and
//     O += P_{t-1} V_{t-1} together, and computes the softmax of S_t while both run (one tile of lag between
//     softmax and P V, as FlashAttention-3's intra-warpgroup overlap).
//   - the two consumers take turns issuing their wgmmas (named barriers kTurnBarrier + c, 256 threads: consumer c
//     waits for its turn, issues, and hands the turn to the other), so one consumer's softmax runs while the
//     other's matrix products occupy the tensor cores. Both take one turn per tile plus one for the last P V,
//     whether or not they have work in it, so the turns stay paired.
//
// Block order: blocks are numbered x-fastest, and the plan lists work items longest first; the block with linear
// index b runs work item b / num_kv_heads for KV head b % num_kv_heads, so the long items of every head start first.
#pragma once

#include "attention_warpgroup_sm90.cuh"
#include "mbarrier.cuh"

#include <type_traits>

namespace flood {

// How a producer thread makes its `full` arrival for tile t.
enum class FullSignal {
    // After issuing tile t + 1: cp.async.wait_group 1 (tile t landed), fence.proxy.async, arrive. The arrival
    // lags until stage t + 1 has been released and its copies issued (PREFILL_SM90_WS).
    kAfterNextTile,
    // Right after issuing tile t: cp.async.mbarrier.arrive.noinc, which the hardware completes when the thread's
    // copies have landed, so tile t is ready as soon as its own bytes are; up to kStages tiles in flight. The
    // consumers fence for the async proxy after their wait (PREFILL_SM90_WS2).
    kOnLanding,
};

struct WarpSpecializedLayout {
    static constexpr int kThreads = 384;
    static constexpr int kProducerThreads = 128;
    static constexpr int kConsumerWarps = 8;
    static constexpr int kProducerRegisters = 40;
    static constexpr int kConsumerRegisters = 232;  // 128 x 40 + 256 x 232 <= 65,536
    static constexpr int kTurnBarrier = 1;          // named barriers 1, 2: consumer c's turn to issue wgmma
    static constexpr int kQBarrier = 3;             // named barriers 3, 4: consumer c's Q rows are in shared memory
};

// Where one work item's context tokens live: the request's extents in order.
struct KvTileSource {
    const int* extent_starts;        // shared: first cache slot of each extent
    const int* extent_first_tokens;  // shared: context index of each extent's first slot
    int num_extents;
    int kv_end;
    size_t head_offset;              // kv_head * kHeadDim

    // Copies K and V rows of tokens [tile_start, + kBlockN) into swizzled stages k_stage and v_stage; this thread
    // copies chunks thread, thread + kProducerThreads, ... Tokens at kv_end and past are zero-filled (their P is 0).
    template <int kHeadDim, int kBlockN>
    __device__ void copy(const AttentionArgs& a, int tile_start, unsigned char* k_stage, unsigned char* v_stage,
                         int thread) const {
        constexpr int kChunks = kHeadDim / 8;  // 16-byte chunks per K/V row
        int extent = 0;
        while (extent + 1 < num_extents && tile_start >= extent_first_tokens[extent + 1]) {
            ++extent;
        }
        const int run_end = extent + 1 < num_extents ? extent_first_tokens[extent + 1] : INT_MAX;
        const int run_base = extent_starts[extent] - extent_first_tokens[extent];
#pragma unroll 4
        for (int c = thread; c < kBlockN * kChunks; c += WarpSpecializedLayout::kProducerThreads) {
            const int row = c / kChunks;
            const int column = (c % kChunks) * 8;
            const int token = tile_start + row;
            const bool valid = token < kv_end;
            const int slot = token < run_end ? run_base + token
                                             : extent_slot(token, num_extents, extent_starts, extent_first_tokens);
            const size_t source = valid ? static_cast<size_t>(slot) * a.kv_size + head_offset + column : 0;
            const uint32_t target = swizzled_offset<kBlockN>(row, column);
            cp_async_16(k_stage + target, a.key_cache + source, valid);
            cp_async_16(v_stage + target, a.value_cache + source, valid);
        }
    }
};

template <int kHeadDim, FullSignal kFullSignal>
__device__ void segment_attention_sm90_ws_pipeline(const AttentionArgs& a) {
    using Tile = HopperAttentionTile<kHeadDim>;
    using Layout = WarpSpecializedLayout;
    using Warpgroup = AttentionWarpgroup<kHeadDim>;
    constexpr int kBlockN = Tile::kBlockN;
    constexpr int kStages = Tile::kStages;
    constexpr int kTileBytes = Tile::kTileBytes;

    extern __shared__ __align__(16) unsigned char shared_raw[];
    __shared__ int extent_starts[kMaxExtents];
    __shared__ int extent_first_tokens[kMaxExtents];
    __shared__ uint64_t full[kStages];
    __shared__ uint64_t empty[kStages];
    unsigned char* q_s = shared_raw + (1024 - shared_address(shared_raw) % 1024) % 1024;
    unsigned char* k_s = q_s + Tile::kQBytes;          // [kStages][kTileBytes]
    unsigned char* v_s = k_s + kStages * kTileBytes;   // [kStages][kTileBytes]

    const int block = blockIdx.x + blockIdx.y * gridDim.x;
    const AttentionWork work = a.work[block / gridDim.y];
    const int kv_head = block % gridDim.y;
    const int q_start = a.cu_seqlens_q[work.seq];
    const int q_len = a.cu_seqlens_q[work.seq + 1] - q_start;
    const int first_position = a.context_lens[work.seq] - q_len;  // position of query token 0
    const int first_extent = a.cu_extents[work.seq];
    const int num_extents = a.cu_extents[work.seq + 1] - first_extent;

    if (threadIdx.x == 0) {
        int first_token = 0;
        for (int e = 0; e < num_extents; ++e) {
            extent_starts[e] = a.extent_starts[first_extent + e];
            extent_first_tokens[e] = first_token;
            first_token += a.extent_lengths[first_extent + e];
        }
        for (int s = 0; s < kStages; ++s) {
            mbarrier_init(&full[s], Layout::kProducerThreads);
            mbarrier_init(&empty[s], Layout::kConsumerWarps);
        }
    }
    __syncthreads();

    const int num_tiles = (work.kv_end - work.kv_begin + kBlockN - 1) / kBlockN;
    const int warpgroup = threadIdx.x / 128;
    if (warpgroup == 0) {
        release_registers<Layout::kProducerRegisters>();
        const KvTileSource source{extent_starts, extent_first_tokens, num_extents, work.kv_end,
                                  static_cast<size_t>(kv_head) * kHeadDim};
        // Tile t goes to stage t % kStages once the consumers have released tile t - kStages there.
        for (int t = 0; t < num_tiles; ++t) {
            const int stage = t % kStages;
            if (t >= kStages) {
                mbarrier_wait(&empty[stage], (t / kStages - 1) & 1);
            }
            source.copy<kHeadDim, kBlockN>(a, work.kv_begin + t * kBlockN, k_s + stage * kTileBytes,
                                           v_s + stage * kTileBytes, threadIdx.x);
            if constexpr (kFullSignal == FullSignal::kOnLanding) {
                cp_async_mbarrier_arrive(&full[stage]);
            } else {
                cp_async_commit();
                if (t > 0) {
                    cp_async_wait<1>();
                    fence_proxy_async();
                    mbarrier_arrive(&full[(t - 1) % kStages]);
                }
            }
        }
        if constexpr (kFullSignal == FullSignal::kOnLanding) {
            // Stay until this thread's copies have landed (the consumers wait for them anyway).
            cp_async_commit();
            cp_async_wait<0>();
        } else if (num_tiles > 0) {
            cp_async_wait<0>();
            fence_proxy_async();
            mbarrier_arrive(&full[(num_tiles - 1) % kStages]);
        }
        return;
    }

    claim_registers<Layout::kConsumerRegisters>();
    const int consumer = warpgroup - 1;
    const int consumer_thread = threadIdx.x % 128;
    const int consumer_row = consumer * 64;
    const int warp_row = consumer_row + consumer_thread / kWarpSize * 16;
    const bool warp_leader = threadIdx.x % kWarpSize == 0;

    // Q rows 64c .. 64c+63: packed row r is query token (row_start + r) / G, head kv_head * G + (row_start + r) % G;
    // rows past num_rows are zeros.
    // Fully unrolled so that all 64 * kHeadDim / 512 float4 loads of a thread are in flight together.
#pragma unroll
    for (int i = 0; i < 64 * (kHeadDim / 4) / 128; ++i) {
        const int c = consumer_thread + 128 * i;
        const int r = consumer_row + c / (kHeadDim / 4);
        const int column = (c % (kHeadDim / 4)) * 4;
        float4 q = make_float4(0.f, 0.f, 0.f, 0.f);
        if (r < work.num_rows) {
            const int packed = work.row_start + r;
            const int head = kv_head * a.group + packed % a.group;
            q = *reinterpret_cast<const float4*>(
                a.qkv + static_cast<size_t>(q_start + packed / a.group) * a.qkv_stride + head * kHeadDim + column);
        }
        *reinterpret_cast<uint2*>(q_s + swizzled_offset<Tile::kRows>(r, column)) =
            make_uint2(pack_bf16x2(q.x, q.y), pack_bf16x2(q.z, q.w));
    }
    fence_proxy_async();
    named_barrier_sync(Layout::kQBarrier + consumer, 128);

    // Every condition that guards a wgmma is uniform over the warpgroup, as wgmma requires.
    const bool group_active = consumer_row < work.num_rows;
    const int group_last_row = min(consumer_row + 63, work.num_rows - 1);
    const int group_max_position = group_active ? first_position + (work.row_start + group_last_row) / a.group : -1;
    const int group_min_position = consumer_row + 64 <= work.num_rows
        ? first_position + (work.row_start + consumer_row) / a.group : -1;
    // Padding rows (past num_rows) get position -1: every key is masked for them.
    int position[2];
    for (int i = 0; i < 2; ++i) {
        const int r = warp_row + (consumer_thread % kWarpSize) / 4 + 8 * i;
        position[i] = r < work.num_rows ? first_position + (work.row_start + r) / a.group : -1;
    }

    // This consumer computes tiles 0 .. my_tiles - 1 (later ones start past its last row's position); the first
    // unmasked_tiles of them need no mask (every key at or before every row's position, and before kv_end).
    const int my_tiles = group_active && group_max_position >= work.kv_begin
        ? min(num_tiles, (group_max_position - work.kv_begin) / kBlockN + 1) : 0;
    const int mask_limit = min(group_min_position + 1, work.kv_end) - work.kv_begin;
    const int unmasked_tiles = mask_limit > 0 ? min(my_tiles, mask_limit / kBlockN) : 0;

    Warpgroup state;
    state.clear();
    const uint32_t q_address = shared_address(q_s);
    const uint32_t k_address = shared_address(k_s);
    const uint32_t v_address = shared_address(v_s);
    int p_stage = 0;  // the stage whose V the probabilities in state.p multiply
    // One turn for tile t: waits until tile t is in shared memory, issues S_t = Q K_tᵀ (kScores) and O += P V for
    // the previous tile (kValues) in this consumer's turn, then the softmax of S_t (masked if kMask), and releases
    // the stages it is done with. Every wgmma is issued and waited for without a branch on the way (ptxas
    // serializes wgmma across possibly divergent paths), hence the compile-time flags.
    auto turn = [&](int t, auto scores, auto values, auto mask) {
        constexpr bool kScores = decltype(scores)::value;
        constexpr bool kValues = decltype(values)::value;
        const int stage = t % kStages;
        const int tile_start = work.kv_begin + t * kBlockN;
        if (t < num_tiles) {
            mbarrier_wait(&full[stage], (t / kStages) & 1);
            if constexpr (kFullSignal == FullSignal::kOnLanding) {
                fence_proxy_async();  // the producer's cp.async writes (generic proxy) before this wgmma's reads
            }
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
                                                          work.kv_end);
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
    using Yes = std::true_type;
    using No = std::false_type;

    if (consumer == 1) {
        named_barrier_arrive(Layout::kTurnBarrier, 256);  // consumer 0 takes the first turn
    }
    // num_tiles + 1 turns each (the last one issues the last P V), whatever each computes, so turns stay paired.
    int t = 0;
    if (my_tiles > 0) {
        if (unmasked_tiles > 0) {
            turn(0, Yes{}, No{}, No{});
        } else {
            turn(0, Yes{}, No{}, Yes{});
        }
        for (t = 1; t < unmasked_tiles; ++t) {
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
    if (consumer == 0) {
        named_barrier_sync(Layout::kTurnBarrier, 256);  // consumer 1's last hand-over
    }
    if (group_active) {
        state.store(a, work, kv_head, gridDim.y, q_start, warp_row);
    }
}

// The two producer signallings as separate entry points (flood.cu instantiates one kernel per head dim for each).
template <int kHeadDim>
__device__ void segment_attention_sm90_ws(const AttentionArgs& a) {
    segment_attention_sm90_ws_pipeline<kHeadDim, FullSignal::kAfterNextTile>(a);
}

template <int kHeadDim>
__device__ void segment_attention_sm90_ws2(const AttentionArgs& a) {
    segment_attention_sm90_ws_pipeline<kHeadDim, FullSignal::kOnLanding>(a);
}

}  // namespace flood
