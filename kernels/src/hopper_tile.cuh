// The tiles of Hopper (sm_90a) prefill attention: 128 packed rows per block in 2 consumer warpgroups of 64,
// 128-token K/V tiles in 3 shared-memory stages, all bf16 in wgmma's 128-byte swizzle layout (wgmma.cuh).
//
// Shared memory, 1024-byte aligned: Q [kHeadDim / 64][128 rows][64] bf16, then K stages, then V stages, each
// [kHeadDim / 64][128 tokens][64] bf16.
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

}  // namespace flood
