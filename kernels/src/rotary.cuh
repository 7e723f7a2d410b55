// Rotary position embedding in the "rotate half" layout: pairs (i, i + head_dim / 2) of each query and key head.
#pragma once

#include "common.cuh"

namespace flood {

// In place on the first `num_rotated_heads` heads of each row (query heads, then key heads: contiguous in the
// packed qkv layout). cos/sin [max_positions, head_dim / 2] float32, precomputed on the host.
// grid: [rows], block: any multiple of 32.
// qkv [rows, stride] float32; positions [rows].
__device__ void rotary(float* qkv, int stride, int num_rotated_heads, int head_dim, const int* positions,
                       const float* cos_table, const float* sin_table) {
    const int half = head_dim / 2;
    float* row = qkv + static_cast<size_t>(blockIdx.x) * stride;
    const size_t table = static_cast<size_t>(positions[blockIdx.x]) * half;
    for (int item = threadIdx.x; item < num_rotated_heads * half; item += blockDim.x) {
        const int i = item % half;
        float* head = row + (item / half) * head_dim;
        const float x1 = head[i];
        const float x2 = head[i + half];
        const float cos = cos_table[table + i];
        const float sin = sin_table[table + i];
        head[i] = x1 * cos - x2 * sin;
        head[i + half] = x2 * cos + x1 * sin;
    }
}

}  // namespace flood
