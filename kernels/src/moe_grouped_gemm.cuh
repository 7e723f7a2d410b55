// The experts' linear layers of a mixture-of-experts step in one launch: for every (token, expert) pair p,
// C[p] = A[row(p)] · W_e^T with W_e the weight of p's expert, bf16 inputs and float32 accumulation on tensor cores
// (mma.sync m16n8k16, as segment_attention.cuh).
//
// The pairs come grouped by expert (moe_group.cuh): expert e's pairs are grouped positions
// expert_offsets[e] .. expert_offsets[e + 1], cut into tiles of kRows; tile_offsets numbers the tiles of all experts
// one after another. Block b computes tile b / n_tiles (its expert found by binary search in tile_offsets) times the
// 128 output columns (b % n_tiles) * 128 ..: A rows gathered through sorted_pairs, the expert's weight rows read in
// place. The grid is sized on the host for the most tiles any routing can give; blocks past the actual tiles exit.
//
// Layouts: A [*, k] bf16 row-major, the row of pair p being p / a_divisor (a_divisor = top_k when A holds one row
// per token, 1 when it holds one row per pair); W [num_experts * n, k] bf16 row-major, expert e's rows e * n ..;
// C [num_pairs, n] float32 row-major, row p for pair p. k must be a multiple of 8 (16-byte rows of chunks).
//
// Each output element is one dot product over k in 32-wide steps, in order, whatever the tile size, the tile's
// other rows or the batch: the same inputs give the same bits.
#pragma once

#include "mma.cuh"

namespace flood {

struct ExpertGemmArgs {
    const bf16* a;
    int a_divisor;
    const bf16* weight;
    int n;
    int k;
    float* c;
    const int* sorted_pairs;    // [num_pairs]
    const int* expert_offsets;  // [num_experts + 1]
    const int* tile_offsets;    // [num_experts + 1]
    int num_experts;
};

// kRows rows (64 or 128) by 128 columns per block, 32-deep K steps through kStages shared-memory stages by cp.async;
// 4 warps in 2 x 2, each warp kRows / 2 rows by 64 columns. Shared rows are padded by 8 bf16 (16 bytes) so the 8 rows
// one ldmatrix reads fall in 8 different 16-byte bank groups.
template <int kRows>
struct ExpertGemmTile {
    static_assert(kRows == 64 || kRows == 128, "64 or 128 rows per tile");
    static constexpr int kCols = 128;
    static constexpr int kDepth = 32;
    static constexpr int kStages = 4;
    static constexpr int kThreads = 128;
    static constexpr int kWarpRows = kRows / 2;
    static constexpr int kWarpCols = kCols / 2;
    static constexpr int kStride = kDepth + 8;
    static constexpr int kStageElements = (kRows + kCols) * kStride;  // A rows, then W rows
    static constexpr int kSharedBytes = kStages * kStageElements * 2;
    static constexpr int kAChunks = kRows * (kDepth / 8) / kThreads;  // 16-byte A chunks per thread per stage
    static constexpr int kWChunks = kCols * (kDepth / 8) / kThreads;  // 16-byte W chunks per thread per stage
};

template <int kRows>
__device__ void expert_gemm(const ExpertGemmArgs& g) {
    using Tile = ExpertGemmTile<kRows>;
    constexpr int kStride = Tile::kStride;
    constexpr int kMTiles = Tile::kWarpRows / 16;  // m16 tiles per warp
    constexpr int kNTiles = Tile::kWarpCols / 8;   // n8 tiles per warp

    const int n_tiles = (g.n + Tile::kCols - 1) / Tile::kCols;
    const int tile = blockIdx.x / n_tiles;
    if (tile >= g.tile_offsets[g.num_experts]) {
        return;
    }
    // The expert whose tiles include `tile`: the last e with tile_offsets[e] <= tile (experts without pairs share
    // their offset with the next expert and are skipped).
    int low = 0;
    int high = g.num_experts - 1;
    while (low < high) {
        const int middle = (low + high + 1) / 2;
        if (g.tile_offsets[middle] <= tile) {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    const int expert = low;
    const int row_begin = g.expert_offsets[expert] + (tile - g.tile_offsets[expert]) * kRows;
    const int num_rows = min(kRows, g.expert_offsets[expert + 1] - row_begin);
    const int col_begin = (blockIdx.x % n_tiles) * Tile::kCols;
    const bf16* weight = g.weight + (static_cast<size_t>(expert) * g.n + col_begin) * g.k;

    extern __shared__ __align__(16) unsigned char shared_raw[];
    bf16* shared = reinterpret_cast<bf16*>(shared_raw);  // [kStages][kRows + kCols][kStride]

    // This thread's chunks of each stage: chunk c is row c / 4, columns (c % 4) * 8 .. + 7 of the 32-deep slice.
    const bf16* a_source[Tile::kAChunks];
    int a_target[Tile::kAChunks];
    int a_column[Tile::kAChunks];
    bool a_valid[Tile::kAChunks];
#pragma unroll
    for (int i = 0; i < Tile::kAChunks; ++i) {
        const int chunk = threadIdx.x + i * Tile::kThreads;
        const int r = chunk / 4;
        a_column[i] = (chunk % 4) * 8;
        a_valid[i] = r < num_rows;
        const int pair = a_valid[i] ? g.sorted_pairs[row_begin + r] : 0;
        a_source[i] = g.a + static_cast<size_t>(pair / g.a_divisor) * g.k + a_column[i];
        a_target[i] = r * kStride + a_column[i];
    }
    const bf16* w_source[Tile::kWChunks];
    int w_target[Tile::kWChunks];
    int w_column[Tile::kWChunks];
    bool w_valid[Tile::kWChunks];
#pragma unroll
    for (int i = 0; i < Tile::kWChunks; ++i) {
        const int chunk = threadIdx.x + i * Tile::kThreads;
        const int r = chunk / 4;
        w_column[i] = (chunk % 4) * 8;
        w_valid[i] = col_begin + r < g.n;
        w_source[i] = weight + static_cast<size_t>(w_valid[i] ? r : 0) * g.k + w_column[i];
        w_target[i] = (kRows + r) * kStride + w_column[i];
    }
    // Stage `stage` <- K columns k0 .. k0 + 31; chunks past k or past the tile's rows and columns are zero-filled.
    auto load = [&](int stage, int k0) {
        bf16* s = shared + stage * Tile::kStageElements;
#pragma unroll
        for (int i = 0; i < Tile::kAChunks; ++i) {
            const bool valid = a_valid[i] && k0 + a_column[i] < g.k;
            cp_async_16(s + a_target[i], valid ? a_source[i] + k0 : g.a, valid);
        }
#pragma unroll
        for (int i = 0; i < Tile::kWChunks; ++i) {
            const bool valid = w_valid[i] && k0 + w_column[i] < g.k;
            cp_async_16(s + w_target[i], valid ? w_source[i] + k0 : g.weight, valid);
        }
        cp_async_commit();
    };

    const int k_steps = (g.k + Tile::kDepth - 1) / Tile::kDepth;
#pragma unroll
    for (int s = 0; s < Tile::kStages - 1; ++s) {
        if (s < k_steps) {
            load(s, s * Tile::kDepth);
        } else {
            cp_async_commit();  // an empty group keeps the wait counts uniform
        }
    }

    const int warp = threadIdx.x / kWarpSize;
    const int lane = threadIdx.x % kWarpSize;
    const int warp_row = (warp / 2) * Tile::kWarpRows;
    const int warp_col = (warp % 2) * Tile::kWarpCols;
    float acc[kMTiles][kNTiles][4];
#pragma unroll
    for (int mi = 0; mi < kMTiles; ++mi) {
#pragma unroll
        for (int ni = 0; ni < kNTiles; ++ni) {
            acc[mi][ni][0] = acc[mi][ni][1] = acc[mi][ni][2] = acc[mi][ni][3] = 0.f;
        }
    }

    for (int step = 0; step < k_steps; ++step) {
        cp_async_wait<Tile::kStages - 2>();
        // Step `step`'s stage has landed for every thread, and every warp is done with the stage the next load
        // overwrites (computed in the previous iteration).
        __syncthreads();
        const int next = step + Tile::kStages - 1;
        if (next < k_steps) {
            load(next % Tile::kStages, next * Tile::kDepth);
        } else {
            cp_async_commit();
        }
        const bf16* a_tile = shared + (step % Tile::kStages) * Tile::kStageElements + warp_row * kStride;
        const bf16* w_tile = shared + (step % Tile::kStages) * Tile::kStageElements + (kRows + warp_col) * kStride;
#pragma unroll
        for (int kk = 0; kk < Tile::kDepth / 16; ++kk) {
            uint32_t a_frag[kMTiles][4];
#pragma unroll
            for (int mi = 0; mi < kMTiles; ++mi) {
                // matrices: (rows mi*16 + 0..7, k 0..7), (rows + 8, k 0..7), (rows, k 8..15), (rows + 8, k 8..15)
                ldmatrix_x4(a_frag[mi], a_tile + (mi * 16 + (lane & 15)) * kStride + kk * 16 + (lane >> 4) * 8);
            }
#pragma unroll
            for (int np = 0; np < kNTiles / 2; ++np) {
                // matrices: (columns np*16 + 0..7, k 0..7), (same columns, k 8..15), (columns + 8, k 0..7),
                //           (columns + 8, k 8..15)
                uint32_t b[4];
                ldmatrix_x4(b, w_tile + (np * 16 + (lane & 7) + ((lane >> 4) & 1) * 8) * kStride + kk * 16
                                   + ((lane >> 3) & 1) * 8);
#pragma unroll
                for (int mi = 0; mi < kMTiles; ++mi) {
                    mma_bf16_16816(acc[mi][2 * np], a_frag[mi], b[0], b[1]);
                    mma_bf16_16816(acc[mi][2 * np + 1], a_frag[mi], b[2], b[3]);
                }
            }
        }
    }
    cp_async_wait<0>();

    // This thread holds rows g and g + 8 of each m16 tile, columns 2t and 2t + 1 of each n8 tile.
    const int group_row = lane >> 2;
    const int pair_column = (lane & 3) * 2;
    const bool paired_store = g.n % 2 == 0;  // float2 stores stay 8-byte aligned
#pragma unroll
    for (int mi = 0; mi < kMTiles; ++mi) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
            const int r = warp_row + mi * 16 + group_row + half * 8;
            if (r >= num_rows) {
                continue;
            }
            float* c_row = g.c + static_cast<size_t>(g.sorted_pairs[row_begin + r]) * g.n;
#pragma unroll
            for (int ni = 0; ni < kNTiles; ++ni) {
                const int column = col_begin + warp_col + ni * 8 + pair_column;
                const float v0 = acc[mi][ni][2 * half];
                const float v1 = acc[mi][ni][2 * half + 1];
                if (paired_store && column + 1 < g.n) {
                    *reinterpret_cast<float2*>(c_row + column) = make_float2(v0, v1);
                } else {
                    if (column < g.n) {
                        c_row[column] = v0;
                    }
                    if (column + 1 < g.n) {
                        c_row[column + 1] = v1;
                    }
                }
            }
        }
    }
}

}  // namespace flood
