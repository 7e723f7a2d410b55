// Decode attention (and short appends: at most 16 packed rows per request and KV head) on tensor cores, with the
// operands the other way round from segment_attention.cuh: S^T = K Q^T and O^T = V^T P^T, so the 16-row side of
// each m16n8k16 product is 16 context tokens and the 8-wide side is the packed rows (token x query head of one KV
// head, row = token * G + head_in_group). A decode step of a model with G = 4 query heads per KV head has 4 real
// rows: segment_attention padded them to 16 (a quarter of each product used), here to 8 (a half), so a tile takes
// half the products, half the exponentials and half the accumulator registers.
//
// Why (kernels/NOTES.md, version 9): under ncu the one-warp decode blocks of segment_attention ran 1.3 warps per
// scheduler, 4.2 cycles per instruction, stalled on fixed-latency dependencies (the padded products and softmax),
// DRAM 70% busy at 1,024 requests of context 384: the instructions per byte read, not the memory, set the pace.
//
// A block runs one work item (grid.x) for one KV head (grid.y), as segment_attention does, with the same work items,
// plan, extents, splits, partial buffers and merge (attention_merge.cuh). Two warps share each 32-token K/V tile:
// warp w computes the tile's tokens 16 w .. 16 w + 15 for every row, with its own online softmax (max and sum per
// row, in log2 units as segment_attention); at the end the two warps' states are combined through shared memory
// and written with 16-byte stores. Tiles stream through two shared-memory stages (cp.async, copy_kv_tile): 34 KB
// per block at head dim 128, six blocks (12 warps) per SM where segment_attention's decode block fit five warps.
//
// Fragments (mma.cuh; g = lane / 4, t = lane % 4), n-tile nt holding rows nt * 8 .. nt * 8 + 7:
//   Q^T (B of S^T, k = dim, n = row), loaded once from the float32 qkv rows: (dims kk*16 + 2t, 2t+1 | + 8; row g)
//   S^T (C): (token g | g + 8 of the warp's 16; rows 2t, 2t+1)
//   P^T (B of O^T, k = token, n = row): S^T's C fragment as bf16, each 8x8 half transposed by movmatrix
//   V^T (A of O^T, m = dim, k = token): ldmatrix.trans of the V tile
//   O^T (C): (dim dm*16 + g | + 8; rows 2t, 2t+1)
// Rows past the item's num_rows have zero queries: their scores are 0, finite, and never written out.
#pragma once

#include <climits>

#include "mma.cuh"
#include "segment_attention.cuh"

namespace flood {

template <int kHeadDim>
struct DecodeTile {
    static_assert(kHeadDim % 16 == 0, "mma tiles are 16 wide");
    static constexpr int kWarps = 2;
    static constexpr int kThreads = kWarps * kWarpSize;
    static constexpr int kBlockN = 16 * kWarps;  // tokens per K/V tile, 16 per warp
    static constexpr int kStages = 2;
    // K/V rows padded by 16 bytes: the 8 rows one ldmatrix reads fall in 8 different 16-byte bank groups.
    static constexpr int kStride = kHeadDim + 8;
    static constexpr int kSharedBytes = 2 * kStages * kBlockN * kStride * 2;
    // After the tiles, the same memory holds each warp's O and (max, sum): rows of kOStride floats (4 floats of
    // padding keep a warp's accumulator stores free of bank conflicts).
    static constexpr int kOStride = kHeadDim + 4;
    static constexpr int kCombineBytes = kWarps * 16 * (kOStride + 2) * 4;
    static_assert(kCombineBytes <= kSharedBytes, "the combine reuses the K/V stages");
};

// The tile loop for items of at most 8 * kRowTiles rows. kv_s: [kStages][K then V][kBlockN][kStride] bf16.
template <int kHeadDim, int kRowTiles>
__device__ void decode_rows(const AttentionArgs& a, const AttentionWork& work, int kv_head, int q_start,
                            int first_position, int num_extents, const int* extent_starts,
                            const int* extent_first_tokens, bf16* kv_s) {
    using Tile = DecodeTile<kHeadDim>;
    constexpr int kStride = Tile::kStride;
    constexpr int kBlockN = Tile::kBlockN;
    constexpr int kSteps = kHeadDim / 16;  // k-steps of S^T, and 16-dim m-tiles of O^T
    constexpr int kStageElements = 2 * kBlockN * kStride;
    const int warp = threadIdx.x / kWarpSize;
    const int lane = threadIdx.x % kWarpSize;
    const int g = lane >> 2;
    const int t = lane & 3;

    // Q^T fragments and the positions of this thread's two columns (rows 2t, 2t+1) of each n-tile.
    uint32_t q_frag[kRowTiles][kSteps][2];
    int position[kRowTiles][2];
#pragma unroll
    for (int nt = 0; nt < kRowTiles; ++nt) {
        const int r = nt * 8 + g;
        const int packed = work.row_start + r;
        const float* q = a.qkv + static_cast<size_t>(q_start + packed / a.group) * a.qkv_stride
                         + (kv_head * a.group + packed % a.group) * kHeadDim;
#pragma unroll
        for (int kk = 0; kk < kSteps; ++kk) {
            float2 low = make_float2(0.f, 0.f);
            float2 high = make_float2(0.f, 0.f);
            if (r < work.num_rows) {
                low = *reinterpret_cast<const float2*>(q + kk * 16 + 2 * t);
                high = *reinterpret_cast<const float2*>(q + kk * 16 + 2 * t + 8);
            }
            q_frag[nt][kk][0] = pack_bf16x2(low.x, low.y);
            q_frag[nt][kk][1] = pack_bf16x2(high.x, high.y);
        }
#pragma unroll
        for (int j = 0; j < 2; ++j) {
            const int column = nt * 8 + 2 * t + j;
            position[nt][j] = column < work.num_rows ? first_position + (work.row_start + column) / a.group : -1;
        }
    }
    const int min_position = first_position + work.row_start / a.group;
    const int max_position = first_position + (work.row_start + work.num_rows - 1) / a.group;

    const int kv_begin = work.kv_begin;
    const int kv_end = work.kv_end;
    const size_t head_offset = static_cast<size_t>(kv_head) * kHeadDim;
    auto load_tile = [&](int stage, int tile_start) {
        bf16* k_dst = kv_s + stage * kStageElements;
        copy_kv_tile<kHeadDim, kBlockN, kStride, Tile::kThreads>(a, head_offset, tile_start, kv_end, num_extents,
                                                                  extent_starts, extent_first_tokens, k_dst,
                                                                  k_dst + kBlockN * kStride);
    };
    const int num_tiles = (kv_end - kv_begin + kBlockN - 1) / kBlockN;
    load_tile(0, kv_begin);

    float acc[kSteps][kRowTiles][4];
#pragma unroll
    for (int dm = 0; dm < kSteps; ++dm) {
#pragma unroll
        for (int nt = 0; nt < kRowTiles; ++nt) {
            acc[dm][nt][0] = acc[dm][nt][1] = acc[dm][nt][2] = acc[dm][nt][3] = 0.f;
        }
    }
    float row_max[kRowTiles][2];
    float row_sum[kRowTiles][2];  // over this thread's tokens only; summed over the 8 token lanes at the end
#pragma unroll
    for (int nt = 0; nt < kRowTiles; ++nt) {
        row_max[nt][0] = row_max[nt][1] = -INFINITY;
        row_sum[nt][0] = row_sum[nt][1] = 0.f;
    }

    for (int tile = 0; tile < num_tiles; ++tile) {
        const int tile_start = kv_begin + tile * kBlockN;
        // One group committed per iteration (empty past the last tile): "all but the newest landed" is tile `tile`.
        if (tile + 1 < num_tiles) {
            load_tile((tile + 1) % Tile::kStages, tile_start + kBlockN);
        } else {
            cp_async_commit();
        }
        cp_async_wait<1>();
        __syncthreads();
        const bf16* k_tile = kv_s + (tile % Tile::kStages) * kStageElements;
        const bf16* v_tile = k_tile + kBlockN * kStride;
        const int warp_start = tile_start + warp * 16;  // this warp's first token

        float s[kRowTiles][4];
#pragma unroll
        for (int nt = 0; nt < kRowTiles; ++nt) {
            s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.f;
        }
#pragma unroll
        for (int kk = 0; kk < kSteps; ++kk) {
            // matrices: (tokens 0..7, dims kk*16 + 0..7), (tokens 8..15, dims), (tokens, dims + 8), (both + 8)
            uint32_t k_frag[4];
            ldmatrix_x4(k_frag, k_tile + (warp * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * kStride + kk * 16
                                    + ((lane >> 4) & 1) * 8);
#pragma unroll
            for (int nt = 0; nt < kRowTiles; ++nt) {
                mma_bf16_16816(s[nt], k_frag, q_frag[nt][kk][0], q_frag[nt][kk][1]);
            }
        }
        // Masks only where some real row may not see some key of the warp's 16 (padding rows are never written).
        const bool needs_mask = warp_start + 15 > min_position || warp_start + 16 > kv_end
                                || outside_window(max_position, warp_start, a.window);
#pragma unroll
        for (int nt = 0; nt < kRowTiles; ++nt) {
#pragma unroll
            for (int c = 0; c < 4; ++c) {
                s[nt][c] *= a.scale_log2;
                if (needs_mask) {
                    const int key = warp_start + g + (c >> 1) * 8;
                    const int p = position[nt][c & 1];
                    if (key > p || key >= kv_end || outside_window(p, key, a.window)) {
                        s[nt][c] = -INFINITY;
                    }
                }
            }
        }
        uint32_t p_frag[kRowTiles][2];
#pragma unroll
        for (int nt = 0; nt < kRowTiles; ++nt) {
#pragma unroll
            for (int j = 0; j < 2; ++j) {
                // column j's 16 scores lie in 8 lanes (one per g) x 2 registers
                float tile_max = fmaxf(s[nt][j], s[nt][j + 2]);
                tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullMask, tile_max, 4));
                tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullMask, tile_max, 8));
                tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullMask, tile_max, 16));
                const float new_max = fmaxf(row_max[nt][j], tile_max);
                // A row with every key so far masked keeps max -inf; subtracting 0 keeps exp2 at 0, not NaN.
                const float base = new_max == -INFINITY ? 0.f : new_max;
                const float correction = exp2f(row_max[nt][j] - base);
                row_max[nt][j] = new_max;
                s[nt][j] = exp2f(s[nt][j] - base);
                s[nt][j + 2] = exp2f(s[nt][j + 2] - base);
                row_sum[nt][j] = row_sum[nt][j] * correction + s[nt][j] + s[nt][j + 2];
#pragma unroll
                for (int dm = 0; dm < kSteps; ++dm) {
                    acc[dm][nt][j] *= correction;
                    acc[dm][nt][j + 2] *= correction;
                }
            }
            // (token g | g + 8; rows 2t, 2t+1) transposed: (tokens 2t, 2t+1 | + 8; row g), P^T's B fragment
            p_frag[nt][0] = movmatrix_trans(pack_bf16x2(s[nt][0], s[nt][1]));
            p_frag[nt][1] = movmatrix_trans(pack_bf16x2(s[nt][2], s[nt][3]));
        }
#pragma unroll
        for (int dm = 0; dm < kSteps; ++dm) {
            // transposed matrices: (tokens 0..7, dims dm*16 + 0..7) -> (dim g, tokens 2t..), (tokens, dims + 8),
            //                      (tokens 8..15, dims), (tokens + 8, dims + 8)
            uint32_t v_frag[4];
            ldmatrix_x4_trans(v_frag, v_tile + (warp * 16 + (lane & 7) + ((lane >> 4) & 1) * 8) * kStride + dm * 16
                                          + ((lane >> 3) & 1) * 8);
#pragma unroll
            for (int nt = 0; nt < kRowTiles; ++nt) {
                mma_bf16_16816(acc[dm][nt], v_frag, p_frag[nt][0], p_frag[nt][1]);
            }
        }
        __syncthreads();  // both warps are done with this stage before the next iteration refills it
    }
    cp_async_wait<0>();  // only empty groups are left; the stages become the combine buffer

    // Each warp's (max, sum, O) per row into shared memory; every row's sum over the 8 token lanes first.
    float* o_s = reinterpret_cast<float*>(kv_s);                 // [kWarps * 16][kOStride]
    float* max_sum_s = o_s + Tile::kWarps * 16 * Tile::kOStride;  // [kWarps * 16][2]
#pragma unroll
    for (int nt = 0; nt < kRowTiles; ++nt) {
#pragma unroll
        for (int j = 0; j < 2; ++j) {
            float sum = row_sum[nt][j];
            sum += __shfl_xor_sync(kFullMask, sum, 4);
            sum += __shfl_xor_sync(kFullMask, sum, 8);
            sum += __shfl_xor_sync(kFullMask, sum, 16);
            const int row = warp * 16 + nt * 8 + 2 * t + j;
            if (g == 0) {
                max_sum_s[2 * row] = row_max[nt][j];
                max_sum_s[2 * row + 1] = sum;
            }
#pragma unroll
            for (int dm = 0; dm < kSteps; ++dm) {
                o_s[row * Tile::kOStride + dm * 16 + g] = acc[dm][nt][j];
                o_s[row * Tile::kOStride + dm * 16 + g + 8] = acc[dm][nt][j + 2];
            }
        }
    }
    __syncthreads();

    // Combine the warps: weight w = exp2(m_w - max_w m_w); a warp that saw no key of a row has m = -inf, weight 0.
    for (int item = threadIdx.x; item < work.num_rows * (kHeadDim / 4); item += Tile::kThreads) {
        const int r = item / (kHeadDim / 4);
        const int d = (item % (kHeadDim / 4)) * 4;
        float row_max_all = -INFINITY;
#pragma unroll
        for (int w = 0; w < Tile::kWarps; ++w) {
            row_max_all = fmaxf(row_max_all, max_sum_s[2 * (w * 16 + r)]);
        }
        const float base = row_max_all == -INFINITY ? 0.f : row_max_all;
        float4 o = make_float4(0.f, 0.f, 0.f, 0.f);
        float sum = 0.f;
#pragma unroll
        for (int w = 0; w < Tile::kWarps; ++w) {
            const float weight = exp2f(max_sum_s[2 * (w * 16 + r)] - base);
            const float4 part = *reinterpret_cast<const float4*>(o_s + (w * 16 + r) * Tile::kOStride + d);
            o.x += weight * part.x;
            o.y += weight * part.y;
            o.z += weight * part.z;
            o.w += weight * part.w;
            sum += weight * max_sum_s[2 * (w * 16 + r) + 1];
        }
        const int packed = work.row_start + r;
        const int head = kv_head * a.group + packed % a.group;
        if (work.partial_row < 0) {
            const float inverse_sum = 1.f / sum;
            uint2 packed_out;
            packed_out.x = pack_bf16x2(o.x * inverse_sum, o.y * inverse_sum);
            packed_out.y = pack_bf16x2(o.z * inverse_sum, o.w * inverse_sum);
            *reinterpret_cast<uint2*>(a.out + static_cast<size_t>(q_start + packed / a.group) * a.out_stride
                                      + head * kHeadDim + d) = packed_out;
        } else {
            const size_t partial = static_cast<size_t>(work.partial_row + r) * gridDim.y + kv_head;
            *reinterpret_cast<float4*>(a.partial_out + partial * kHeadDim + d) = o;
            if (d == 0) {
                a.partial_max_sum[2 * partial] = row_max_all;
                a.partial_max_sum[2 * partial + 1] = sum;
            }
        }
    }
}

// grid: [work items, num_kv_heads], block: DecodeTile::kThreads, dynamic shared memory DecodeTile::kSharedBytes.
template <int kHeadDim>
__device__ void decode_attention(const AttentionArgs& a) {
    extern __shared__ __align__(16) unsigned char shared_raw[];
    __shared__ int extent_starts[kMaxExtents];
    __shared__ int extent_first_tokens[kMaxExtents];  // context index of each extent's first slot

    const AttentionWork work = a.work[blockIdx.x];
    const int q_start = a.cu_seqlens_q[work.seq];
    const int q_len = a.cu_seqlens_q[work.seq + 1] - q_start;
    const int first_position = a.context_lens[work.seq] - q_len;  // position of query token 0
    const int first_extent = a.cu_extents[work.seq];
    const int num_extents = a.cu_extents[work.seq + 1] - first_extent;
    read_extents(a, first_extent, num_extents, extent_starts, extent_first_tokens);
    __syncthreads();
    bf16* kv_s = reinterpret_cast<bf16*>(shared_raw);
    if (work.num_rows <= 8) {
        decode_rows<kHeadDim, 1>(a, work, blockIdx.y, q_start, first_position, num_extents, extent_starts,
                                 extent_first_tokens, kv_s);
    } else {
        decode_rows<kHeadDim, 2>(a, work, blockIdx.y, q_start, first_position, num_extents, extent_starts,
                                 extent_first_tokens, kv_s);
    }
}

}  // namespace flood
