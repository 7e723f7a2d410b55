// Groups a step's (token, expert) pairs by expert for the grouped expert GEMM (moe_grouped_gemm.cuh): counts the
// pairs of each expert, lays the experts' pairs out one expert after another, and cuts each expert's pairs into
// tiles of tile_rows rows.
//
// Within an expert the pairs land in whatever order the shared-memory atomics give. That order changes no number:
// every GEMM output row depends only on its own input row and its expert's weight (the same tensor-core operations
// in the same order wherever the row sits in a tile), and the GEMM writes each row back to its pair's place.
#pragma once

#include "common.cuh"

namespace flood {

// grid: [1], block: 1024 threads; dynamic shared memory: 2 * num_experts ints.
// experts [num_pairs] (pair p = token * top_k + choice) in [0, num_experts). Writes:
//   expert_offsets [num_experts + 1]: expert e's pairs are grouped positions expert_offsets[e] .. [e + 1];
//   tile_offsets [num_experts + 1]: expert e's tiles are tiles tile_offsets[e] .. [e + 1] (the last entry: all tiles);
//   sorted_pairs [num_pairs]: the pair at each grouped position.
__device__ void moe_group(const int* experts, int num_pairs, int num_experts, int tile_rows, int* expert_offsets,
                          int* tile_offsets, int* sorted_pairs) {
    extern __shared__ int moe_group_shared[];
    int* counts = moe_group_shared;              // [num_experts]
    int* cursor = moe_group_shared + num_experts; // [num_experts]: the next free grouped position of each expert
    for (int e = threadIdx.x; e < num_experts; e += blockDim.x) {
        counts[e] = 0;
    }
    __syncthreads();
    for (int p = threadIdx.x; p < num_pairs; p += blockDim.x) {
        atomicAdd(&counts[experts[p]], 1);
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        int offset = 0;
        int tiles = 0;
        for (int e = 0; e < num_experts; ++e) {
            expert_offsets[e] = offset;
            tile_offsets[e] = tiles;
            cursor[e] = offset;
            offset += counts[e];
            tiles += (counts[e] + tile_rows - 1) / tile_rows;
        }
        expert_offsets[num_experts] = offset;
        tile_offsets[num_experts] = tiles;
    }
    __syncthreads();
    for (int p = threadIdx.x; p < num_pairs; p += blockDim.x) {
        sorted_pairs[atomicAdd(&cursor[experts[p]], 1)] = p;
    }
}

}  // namespace flood
