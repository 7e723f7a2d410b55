// Rotary embedding fused with the KV cache write: one pass over each new token's query, key and value heads.
// Rotates the query and key heads in place ("rotate half": pairs (i, i + head_dim / 2), as rotary.cuh), writes the
// rotated keys and the values to the cache rounded to bf16. Same arithmetic as rotary then cache_write.
#pragma once

#include "vector_access.cuh"

namespace flood {

// Rotates kWidth pairs (i .. i + kWidth - 1 with their partners at + half) of one head at `head`; returns the
// rotated values (first halves, then second halves) for the cache.
template <int kWidth>
__device__ __forceinline__ void rotate_pairs(float* __restrict__ head, const float* __restrict__ cos_row,
                                             const float* __restrict__ sin_row, int i, int half,
                                             Floats<kWidth>& first, Floats<kWidth>& second) {
    const Floats<kWidth> x1 = load_floats<kWidth>(head + i);
    const Floats<kWidth> x2 = load_floats<kWidth>(head + i + half);
    const Floats<kWidth> cos = load_floats<kWidth>(cos_row + i);
    const Floats<kWidth> sin = load_floats<kWidth>(sin_row + i);
#pragma unroll
    for (int k = 0; k < kWidth; ++k) {
        first.v[k] = x1.v[k] * cos.v[k] - x2.v[k] * sin.v[k];
        second.v[k] = x2.v[k] * cos.v[k] + x1.v[k] * sin.v[k];
    }
    store_floats<kWidth>(head + i, first);
    store_floats<kWidth>(head + i + half, second);
}

// One token (this block's row): rotation items (query heads, then key heads) x (half / kWidth), then value items
// num_kv_heads x (head_dim / kWidth), strided over the block's threads.
template <int kWidth>
__device__ __forceinline__ void rotary_cache_row(float* __restrict__ row, int num_heads, int num_kv_heads,
                                                 int head_dim, const float* __restrict__ cos_row,
                                                 const float* __restrict__ sin_row, bf16* __restrict__ key_slot,
                                                 bf16* __restrict__ value_slot) {
    const int half = head_dim / 2;
    const int pair_items = half / kWidth;
    const int rotate_items = (num_heads + num_kv_heads) * pair_items;
    const int value_items = num_kv_heads * (head_dim / kWidth);
    const float* values = row + (num_heads + num_kv_heads) * head_dim;
    for (int item = threadIdx.x; item < rotate_items + value_items; item += blockDim.x) {
        if (item < rotate_items) {
            const int head = item / pair_items;
            const int i = (item % pair_items) * kWidth;
            Floats<kWidth> first;
            Floats<kWidth> second;
            rotate_pairs<kWidth>(row + head * head_dim, cos_row, sin_row, i, half, first, second);
            if (head >= num_heads) {
                bf16* key = key_slot + (head - num_heads) * head_dim;
                store_bf16<kWidth>(key + i, first);
                store_bf16<kWidth>(key + i + half, second);
            }
        } else {
            const int at = (item - rotate_items) * kWidth;
            store_bf16<kWidth>(value_slot + at, load_floats<kWidth>(values + at));
        }
    }
}

// grid: [rows], block: any multiple of 32.
// qkv [rows, stride] float32: query heads at column 0, key heads after them, value heads after those, head-major;
// positions, slot_mapping [rows]; cos/sin [max_positions, head_dim / 2] float32;
// key_cache, value_cache [capacity_tokens, num_kv_heads * head_dim] bf16, slot-major.
// 4-wide accesses when head_dim % 8 == 0 and stride % 4 == 0 (every row, head and half 16-byte aligned).
__device__ void rotary_cache_write(float* __restrict__ qkv, int stride, int num_heads, int num_kv_heads,
                                   int head_dim, const int* __restrict__ positions, const float* __restrict__ cos_table,
                                   const float* __restrict__ sin_table, const int* __restrict__ slot_mapping,
                                   bf16* __restrict__ key_cache, bf16* __restrict__ value_cache) {
    float* row = qkv + static_cast<size_t>(blockIdx.x) * stride;
    const size_t table = static_cast<size_t>(positions[blockIdx.x]) * (head_dim / 2);
    const size_t slot = static_cast<size_t>(slot_mapping[blockIdx.x]) * num_kv_heads * head_dim;
    if (head_dim % 8 == 0 && stride % 4 == 0) {
        rotary_cache_row<4>(row, num_heads, num_kv_heads, head_dim, cos_table + table, sin_table + table,
                            key_cache + slot, value_cache + slot);
    } else {
        rotary_cache_row<1>(row, num_heads, num_kv_heads, head_dim, cos_table + table, sin_table + table,
                            key_cache + slot, value_cache + slot);
    }
}

}  // namespace flood
