// The roles of warp-specialized Hopper prefill attention (segment_attention_sm90.cuh): the thread layout of its
// producer and two consumer warpgroups, its named barriers, and how the producer copies a K/V tile out of the
// request's cache extents.
#pragma once

#include "attention_warpgroup_sm90.cuh"
#include "mbarrier.cuh"

#include <type_traits>

namespace flood {

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
        const ExtentRun run = extent_run(tile_start, num_extents, extent_starts, extent_first_tokens);
#pragma unroll 4
        for (int c = thread; c < kBlockN * kChunks; c += WarpSpecializedLayout::kProducerThreads) {
            const int row = c / kChunks;
            const int column = (c % kChunks) * 8;
            const int token = tile_start + row;
            const bool valid = token < kv_end;
            const int slot = run.slot(token, num_extents, extent_starts, extent_first_tokens);
            const size_t source = valid ? static_cast<size_t>(slot) * a.kv_size + head_offset + column : 0;
            const uint32_t target = swizzled_offset<kBlockN>(row, column);
            cp_async_16(k_stage + target, a.key_cache + source, valid);
            cp_async_16(v_stage + target, a.value_cache + source, valid);
        }
    }
};

}  // namespace flood
