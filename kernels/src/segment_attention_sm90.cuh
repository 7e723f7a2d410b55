// Segment attention for prefill on Hopper (sm_90a): the function of segment_attention.cuh (read its header for
// packed rows, work items, extents and outputs), computed with wgmma.
//
// A block is 2 warpgroups (256 threads) and 128 packed rows; warpgroup w owns rows 64w .. 64w+63, and within it
// warp v owns rows 64w + 16v .. +15 of every accumulator (wgmma.cuh). Q (bf16) stays in shared memory for the
// whole block; K/V tiles of 128 tokens stream through 3 shared-memory stages by cp.async (every thread copies part
// of each tile; tile t+2 is issued while tile t is computed). Per tile, each warpgroup computes S = Q Kᵀ
// (m64n128k16, Q and K from shared memory, both K-major), the online softmax on S in registers (log2 units, as
// segment_attention.cuh), and O += P V (m64nDk16, P from registers, V from shared memory N-major: the
// transposed-B form reads V's rows as the cache stores them, head dim contiguous).
//
// Shared memory, 1024-byte aligned: Q [kHeadDim / 64][128 rows][64] bf16, then K stages, then V stages, each
// [kHeadDim / 64][128 tokens][64] bf16; every tile in the 128-byte swizzle layout (wgmma.cuh).
#pragma once

#include "segment_attention.cuh"
#include "wgmma.cuh"

namespace flood {

template <int kHeadDim>
struct HopperAttentionTile {
    static_assert(kHeadDim == 64 || kHeadDim == 128, "rows of one or two 128-byte swizzle blocks");
    static constexpr int kWarpgroups = 2;
    static constexpr int kRows = 64 * kWarpgroups;
    static constexpr int kThreads = 128 * kWarpgroups;
    static constexpr int kBlockN = 128;
    static constexpr int kStages = 3;
    static constexpr int kQBytes = kRows * kHeadDim * 2;
    static constexpr int kTileBytes = kBlockN * kHeadDim * 2;  // one stage of K, or of V
    // Q, the K and V stages, and up to 1024 bytes to align the start.
    static constexpr int kSharedBytes = kQBytes + 2 * kStages * kTileBytes + 1024;
};

// Byte offset of element (row, column) in a [kHeadDim / 64][kTileRows][64] bf16 tile in the 128-byte swizzle
// layout: 16-byte chunk c of a 128-byte row r sits at chunk position c ^ (r % 8).
template <int kTileRows>
__device__ __forceinline__ uint32_t swizzled_offset(int row, int column) {
    const int chunk = (column % 64) / 8;
    return (column / 64) * (kTileRows * 128) + row * 128 + ((chunk ^ (row % 8)) * 16) + (column % 8) * 2;
}

template <int kHeadDim>
__device__ void segment_attention_sm90(const AttentionArgs& a) {
    using Tile = HopperAttentionTile<kHeadDim>;
    constexpr int kBlockN = Tile::kBlockN;
    constexpr int kStages = Tile::kStages;
    constexpr int kTileBytes = Tile::kTileBytes;
    constexpr int kChunks = kHeadDim / 8;      // 16-byte chunks per K/V row
    constexpr int kSValues = kBlockN / 2;      // S accumulator per thread: 64 rows x kBlockN over 128 threads
    constexpr int kOValues = kHeadDim / 2;     // O accumulator per thread
    constexpr int kSwizzleBlock = 128 * 8;     // bytes of 8 swizzled rows: the stride between 8-row groups

    extern __shared__ __align__(16) unsigned char shared_raw[];
    __shared__ int extent_starts[kMaxExtents];
    __shared__ int extent_first_tokens[kMaxExtents];  // context index of each extent's first slot
    unsigned char* q_s = shared_raw + (1024 - shared_address(shared_raw) % 1024) % 1024;
    unsigned char* k_s = q_s + Tile::kQBytes;          // [kStages][kTileBytes]
    unsigned char* v_s = k_s + kStages * kTileBytes;   // [kStages][kTileBytes]
    const uint32_t q_address = shared_address(q_s);
    const uint32_t k_address = shared_address(k_s);
    const uint32_t v_address = shared_address(v_s);

    const AttentionWork work = a.work[blockIdx.x];
    const int kv_head = blockIdx.y;
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
    }
    __syncthreads();

    const int kv_begin = work.kv_begin;
    const int kv_end = work.kv_end;
    const size_t head_offset = static_cast<size_t>(kv_head) * kHeadDim;
    // Copies the K/V tile of tokens [tile_start, + kBlockN) into `stage` and commits one cp.async group (empty past
    // kv_end, so that every thread commits one group per tile). Tokens past kv_end within a tile are zero-filled:
    // their P is 0, and 0 times a zero V row stays 0.
    auto load_tile = [&](int stage, int tile_start) {
        if (tile_start < kv_end) {
            int extent = 0;
            while (extent + 1 < num_extents && tile_start >= extent_first_tokens[extent + 1]) {
                ++extent;
            }
            const int run_end = extent + 1 < num_extents ? extent_first_tokens[extent + 1] : INT_MAX;
            const int run_base = extent_starts[extent] - extent_first_tokens[extent];
            for (int c = threadIdx.x; c < kBlockN * kChunks; c += Tile::kThreads) {
                const int row = c / kChunks;
                const int column = (c % kChunks) * 8;
                const int token = tile_start + row;
                const bool valid = token < kv_end;
                const int slot = token < run_end ? run_base + token
                                                 : extent_slot(token, num_extents, extent_starts, extent_first_tokens);
                const size_t source = valid ? static_cast<size_t>(slot) * a.kv_size + head_offset + column : 0;
                const uint32_t target = stage * kTileBytes + swizzled_offset<kBlockN>(row, column);
                cp_async_16(k_s + target, a.key_cache + source, valid);
                cp_async_16(v_s + target, a.value_cache + source, valid);
            }
        }
        cp_async_commit();
    };
    load_tile(0, kv_begin);
    load_tile(1, kv_begin + kBlockN);

    // Q tile, while the first K/V tiles are in flight: packed row r is query token (row_start + r) / G, head
    // kv_head * G + (row_start + r) % G; rows past num_rows are zeros.
    for (int c = threadIdx.x; c < Tile::kRows * (kHeadDim / 4); c += Tile::kThreads) {
        const int r = c / (kHeadDim / 4);
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

    const int warpgroup = threadIdx.x / 128;
    const int lane = threadIdx.x % kWarpSize;
    const int group_row = lane >> 2;  // g: this thread's rows are g and g + 8 of its warp's 16
    const int pair = lane & 3;        // t: this thread's columns are 2t and 2t + 1 of each 8-wide n-tile
    const int warpgroup_row = warpgroup * 64;
    const int warp_row = warpgroup_row + (threadIdx.x % 128) / kWarpSize * 16;
    // Every condition that guards a wgmma is uniform over the warpgroup, as wgmma requires.
    const bool group_active = warpgroup_row < work.num_rows;
    const int group_last_row = min(warpgroup_row + 63, work.num_rows - 1);
    const int group_max_position = group_active ? first_position + (work.row_start + group_last_row) / a.group : -1;
    const int group_min_position = warpgroup_row + 64 <= work.num_rows
        ? first_position + (work.row_start + warpgroup_row) / a.group : -1;
    // Padding rows (past num_rows) get position -1: every key is masked for them.
    int position[2];
    for (int i = 0; i < 2; ++i) {
        const int r = warp_row + group_row + 8 * i;
        position[i] = r < work.num_rows ? first_position + (work.row_start + r) / a.group : -1;
    }

    float o[kOValues];
#pragma unroll
    for (int i = 0; i < kOValues; ++i) {
        o[i] = 0.f;
    }
    float row_max[2] = {-INFINITY, -INFINITY};
    float row_sum[2] = {0.f, 0.f};  // this thread's columns only; summed over the quad at the end

    const int num_tiles = (kv_end - kv_begin + kBlockN - 1) / kBlockN;
    for (int t = 0; t < num_tiles; ++t) {
        cp_async_wait<1>();
        fence_proxy_async();
        // Tile t (and, at t = 0, Q) is in shared memory for every thread, and both warpgroups are done with tile
        // t - 1, whose stage the next copy refills.
        __syncthreads();
        load_tile((t + 2) % kStages, kv_begin + (t + 2) * kBlockN);
        const int tile_start = kv_begin + t * kBlockN;
        if (!group_active || tile_start > group_max_position) {
            continue;
        }
        const uint32_t k_tile = k_address + (t % kStages) * kTileBytes;
        const uint32_t v_tile = v_address + (t % kStages) * kTileBytes;

        float s[kSValues];
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < kHeadDim / 16; ++kk) {
            // Head dims kk*16 .. +15: 128-byte block kk / 4, 32 bytes per 16 dims inside it.
            const uint32_t k_step = (kk % 4) * 32;
            const uint64_t q_desc = wgmma_descriptor(
                q_address + (kk / 4) * (Tile::kRows * 128) + warpgroup_row * 128 + k_step, 16, kSwizzleBlock);
            const uint64_t k_desc = wgmma_descriptor(k_tile + (kk / 4) * (kBlockN * 128) + k_step, 16, kSwizzleBlock);
            wgmma_m64n128k16_ss(s, q_desc, k_desc, kk);
        }
        wgmma_commit();
        wgmma_wait<0>();
        wgmma_fence_operands(s);

        const bool needs_mask = tile_start + kBlockN - 1 > group_min_position || tile_start + kBlockN > kv_end;
#pragma unroll
        for (int nt = 0; nt < kBlockN / 8; ++nt) {
#pragma unroll
            for (int c = 0; c < 4; ++c) {
                s[4 * nt + c] *= a.scale_log2;
                if (needs_mask) {
                    const int key = tile_start + nt * 8 + pair * 2 + (c & 1);
                    if (key > position[c >> 1] || key >= kv_end) {
                        s[4 * nt + c] = -INFINITY;
                    }
                }
            }
        }
        wgmma_fence_operands(o);
#pragma unroll
        for (int i = 0; i < 2; ++i) {
            float tile_max = -INFINITY;
#pragma unroll
            for (int nt = 0; nt < kBlockN / 8; ++nt) {
                tile_max = fmaxf(tile_max, fmaxf(s[4 * nt + 2 * i], s[4 * nt + 2 * i + 1]));
            }
            tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullMask, tile_max, 1));
            tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullMask, tile_max, 2));
            const float new_max = fmaxf(row_max[i], tile_max);
            // A row with every key so far masked keeps max -inf; subtracting 0 instead keeps exp2 at 0, not NaN.
            const float base = new_max == -INFINITY ? 0.f : new_max;
            const float correction = exp2f(row_max[i] - base);
            row_max[i] = new_max;
            row_sum[i] *= correction;
#pragma unroll
            for (int dt = 0; dt < kHeadDim / 8; ++dt) {
                o[4 * dt + 2 * i] *= correction;
                o[4 * dt + 2 * i + 1] *= correction;
            }
#pragma unroll
            for (int nt = 0; nt < kBlockN / 8; ++nt) {
                s[4 * nt + 2 * i] = exp2f(s[4 * nt + 2 * i] - base);
                s[4 * nt + 2 * i + 1] = exp2f(s[4 * nt + 2 * i + 1] - base);
                row_sum[i] += s[4 * nt + 2 * i] + s[4 * nt + 2 * i + 1];
            }
        }
        // The S fragments of n-tiles 2kk and 2kk+1 are the A fragment of P for tokens kk*16 .. +15.
        uint32_t p[kBlockN / 16][4];
#pragma unroll
        for (int kk = 0; kk < kBlockN / 16; ++kk) {
            p[kk][0] = pack_bf16x2(s[8 * kk], s[8 * kk + 1]);
            p[kk][1] = pack_bf16x2(s[8 * kk + 2], s[8 * kk + 3]);
            p[kk][2] = pack_bf16x2(s[8 * kk + 4], s[8 * kk + 5]);
            p[kk][3] = pack_bf16x2(s[8 * kk + 6], s[8 * kk + 7]);
        }
        wgmma_fence_operands(o);
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < kBlockN / 16; ++kk) {
            // Tokens kk*16 .. +15 are two 8-row groups (1024 bytes each) of every 64-dim block; blocks lie
            // kBlockN * 128 bytes apart.
            const uint64_t v_desc = wgmma_descriptor(v_tile + kk * 2 * kSwizzleBlock, kBlockN * 128, kSwizzleBlock);
            if constexpr (kHeadDim == 128) {
                wgmma_m64n128k16_rs_transposed_b(o, p[kk], v_desc);
            } else {
                wgmma_m64n64k16_rs_transposed_b(o, p[kk], v_desc);
            }
        }
        wgmma_commit();
        wgmma_wait<0>();
        wgmma_fence_operands(o);
    }

    if (!group_active) {
        return;
    }
    for (int i = 0; i < 2; ++i) {
        row_sum[i] += __shfl_xor_sync(kFullMask, row_sum[i], 1);
        row_sum[i] += __shfl_xor_sync(kFullMask, row_sum[i], 2);
    }
    for (int i = 0; i < 2; ++i) {
        const int r = warp_row + group_row + 8 * i;
        if (r >= work.num_rows) {
            continue;
        }
        const int packed = work.row_start + r;
        const int head = kv_head * a.group + packed % a.group;
        if (work.partial_row < 0) {
            const float inverse_sum = 1.f / row_sum[i];
            uint32_t* dst = reinterpret_cast<uint32_t*>(
                a.out + static_cast<size_t>(q_start + packed / a.group) * a.out_stride + head * kHeadDim + pair * 2);
#pragma unroll
            for (int dt = 0; dt < kHeadDim / 8; ++dt) {
                dst[dt * 4] = pack_bf16x2(o[4 * dt + 2 * i] * inverse_sum, o[4 * dt + 2 * i + 1] * inverse_sum);
            }
        } else {
            const size_t partial = static_cast<size_t>(work.partial_row + r) * gridDim.y + kv_head;
            float2* dst = reinterpret_cast<float2*>(a.partial_out + partial * kHeadDim + pair * 2);
#pragma unroll
            for (int dt = 0; dt < kHeadDim / 8; ++dt) {
                dst[dt * 4] = make_float2(o[4 * dt + 2 * i], o[4 * dt + 2 * i + 1]);
            }
            if (pair == 0) {
                a.partial_max_sum[2 * partial] = row_max[i];
                a.partial_max_sum[2 * partial + 1] = row_sum[i];
            }
        }
    }
}

}  // namespace flood
