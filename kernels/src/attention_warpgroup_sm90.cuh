// One consumer warpgroup's share of Hopper prefill attention (segment_attention_sm90.cuh): 64 packed rows, their
// Q in shared memory, the O accumulator and the online-softmax state in registers. The steps are split so that the
// kernel can interleave them: issue S = Q Kᵀ for tile t, issue O += P V for tile t - 1, and run tile t's softmax
// while both are on the tensor cores.
//
// Register layouts are wgmma's (wgmma.cuh): this thread holds rows g and g + 8 of its warp's 16 (g = lane / 4) and
// columns 8j + 2t, 8j + 2t + 1 of every 8-wide n-tile j (t = lane % 4); S is [64 rows x 128 tokens] (64 floats
// per thread), O is [64 rows x kHeadDim] (kHeadDim / 2 floats).
#pragma once

#include "hopper_tile.cuh"

namespace flood {

// 2^x on the special-function unit (subnormal results flush to zero; 2^-inf = 0).
__device__ __forceinline__ float fast_exp2(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
    return y;
}

template <int kHeadDim>
struct AttentionWarpgroup {
    using Tile = HopperAttentionTile<kHeadDim>;
    static constexpr int kBlockN = Tile::kBlockN;
    static constexpr int kSValues = kBlockN / 2;
    static constexpr int kOValues = kHeadDim / 2;
    static constexpr int kSwizzleBlock = 128 * 8;  // bytes of 8 swizzled rows: the stride between 8-row groups

    float o[kOValues];
    float row_max[2];  // running max of each of this thread's two rows, log2 units (scaled)
    float row_sum[2];  // sum of exp2 over this thread's columns only; summed over the quad at the end
    uint32_t p[kBlockN / 16][4];  // P of the last softmax, bf16: the A fragments of O += P V, 16 tokens each

    __device__ void clear() {
#pragma unroll
        for (int i = 0; i < kOValues; ++i) {
            o[i] = 0.f;
        }
        row_max[0] = row_max[1] = -INFINITY;
        row_sum[0] = row_sum[1] = 0.f;
    }

    // Issues S = Q Kᵀ (one commit group). q_rows: this warpgroup's first Q row in the [kHeadDim / 64][kRows][64]
    // swizzled Q tile at q_tile; k_tile: a [kHeadDim / 64][kBlockN][64] swizzled K stage.
    __device__ static void issue_scores(float (&s)[kSValues], uint32_t q_tile, int q_rows, uint32_t k_tile) {
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < kHeadDim / 16; ++kk) {
            // Head dims kk*16 .. +15: 128-byte block kk / 4, 32 bytes per 16 dims inside it.
            const uint32_t k_step = (kk % 4) * 32;
            const uint64_t q_desc = wgmma_descriptor(
                q_tile + (kk / 4) * (Tile::kRows * 128) + q_rows * 128 + k_step, 16, kSwizzleBlock);
            const uint64_t k_desc = wgmma_descriptor(k_tile + (kk / 4) * (kBlockN * 128) + k_step, 16, kSwizzleBlock);
            wgmma_m64n128k16_ss(s, q_desc, k_desc, kk);
        }
        wgmma_commit();
    }

    // Issues O += P V with the P of the last softmax (one commit group); v_tile: a swizzled V stage, read N-major.
    __device__ void issue_values(uint32_t v_tile) {
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
    }

    // Online softmax of raw scores s (Q Kᵀ, unscaled) for keys tile_start ..: masks keys past a row's position
    // (rows past the tile have position -1), at kv_end and beyond, or outside the row's sliding window when kMask,
    // updates row_max and row_sum, leaves exp2 values in s and returns in `correction` the factor by which O must be
    // scaled (O may still be in flight). Masking before the max keeps masked keys out of it; scaling after the max (scale > 0)
    // folds the scale into the exponent's FMA.
    template <bool kMask>
    __device__ void softmax(float (&s)[kSValues], float (&correction)[2], float scale_log2, int tile_start,
                            const int (&position)[2], int kv_end, int window) {
        const int pair = threadIdx.x % 4;
        if constexpr (kMask) {
#pragma unroll
            for (int nt = 0; nt < kBlockN / 8; ++nt) {
#pragma unroll
                for (int c = 0; c < 4; ++c) {
                    const int key = tile_start + nt * 8 + pair * 2 + (c & 1);
                    if (key > position[c >> 1] || key >= kv_end
                        || outside_window(position[c >> 1], key, window)) {
                        s[4 * nt + c] = -INFINITY;
                    }
                }
            }
        }
#pragma unroll
        for (int i = 0; i < 2; ++i) {
            float tile_max = -INFINITY;
#pragma unroll
            for (int nt = 0; nt < kBlockN / 8; ++nt) {
                tile_max = fmaxf(tile_max, fmaxf(s[4 * nt + 2 * i], s[4 * nt + 2 * i + 1]));
            }
            tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullMask, tile_max, 1));
            tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullMask, tile_max, 2));
            const float new_max = fmaxf(row_max[i], tile_max * scale_log2);
            // A row with every key so far masked keeps max -inf; subtracting 0 instead keeps exp2 at 0, not NaN.
            const float base = new_max == -INFINITY ? 0.f : new_max;
            correction[i] = fast_exp2(row_max[i] - base);
            row_max[i] = new_max;
            float sum = 0.f;
#pragma unroll
            for (int nt = 0; nt < kBlockN / 8; ++nt) {
                s[4 * nt + 2 * i] = fast_exp2(fmaf(s[4 * nt + 2 * i], scale_log2, -base));
                s[4 * nt + 2 * i + 1] = fast_exp2(fmaf(s[4 * nt + 2 * i + 1], scale_log2, -base));
                sum += s[4 * nt + 2 * i] + s[4 * nt + 2 * i + 1];
            }
            row_sum[i] = row_sum[i] * correction[i] + sum;
        }
    }

    // P = bf16(s): the S fragments of n-tiles 2kk and 2kk+1 are the A fragment of P for tokens kk*16 .. +15.
    __device__ void keep_probabilities(const float (&s)[kSValues]) {
#pragma unroll
        for (int kk = 0; kk < kBlockN / 16; ++kk) {
            p[kk][0] = pack_bf16x2(s[8 * kk], s[8 * kk + 1]);
            p[kk][1] = pack_bf16x2(s[8 * kk + 2], s[8 * kk + 3]);
            p[kk][2] = pack_bf16x2(s[8 * kk + 4], s[8 * kk + 5]);
            p[kk][3] = pack_bf16x2(s[8 * kk + 6], s[8 * kk + 7]);
        }
    }

    // O *= correction per row; O must be complete (its wgmma group waited for).
    __device__ void rescale(const float (&correction)[2]) {
#pragma unroll
        for (int dt = 0; dt < kHeadDim / 8; ++dt) {
            o[4 * dt] *= correction[0];
            o[4 * dt + 1] *= correction[0];
            o[4 * dt + 2] *= correction[1];
            o[4 * dt + 3] *= correction[1];
        }
    }

    // Writes this thread's rows (warp_row + g and + 8 of the work item's rows): normalized bf16 to `out` when the
    // item covers the whole context, else the unnormalized accumulator and (max, sum) to the partial buffers
    // ([partial_rows, num_kv_heads, ...]).
    __device__ void store(const AttentionArgs& a, const AttentionWork& work, int kv_head, int num_kv_heads,
                          int q_start, int warp_row) {
        const int group_row = (threadIdx.x % kWarpSize) >> 2;
        const int pair = threadIdx.x % 4;
#pragma unroll
        for (int i = 0; i < 2; ++i) {
            row_sum[i] += __shfl_xor_sync(kFullMask, row_sum[i], 1);
            row_sum[i] += __shfl_xor_sync(kFullMask, row_sum[i], 2);
        }
#pragma unroll
        for (int i = 0; i < 2; ++i) {
            const int r = warp_row + group_row + 8 * i;
            if (r >= work.num_rows) {
                continue;
            }
            const int packed = work.row_start + r;
            const int head = kv_head * a.group + packed % a.group;
            if (work.partial_row < 0) {
                const float inverse_sum = 1.f / row_sum[i];
                uint32_t* dst = reinterpret_cast<uint32_t*>(a.out + static_cast<size_t>(q_start + packed / a.group)
                                                            * a.out_stride + head * kHeadDim + pair * 2);
#pragma unroll
                for (int dt = 0; dt < kHeadDim / 8; ++dt) {
                    dst[dt * 4] = pack_bf16x2(o[4 * dt + 2 * i] * inverse_sum, o[4 * dt + 2 * i + 1] * inverse_sum);
                }
            } else {
                const size_t partial = static_cast<size_t>(work.partial_row + r) * num_kv_heads + kv_head;
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
};

}  // namespace flood
