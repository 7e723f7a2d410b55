// Writes each new token's keys and values into the segment KV cache, rounded to bf16.
#pragma once

#include "common.cuh"

namespace flood {

// grid: [rows], block: any multiple of 32.
// qkv [rows, stride] float32, keys at column k_column, values at v_column, each kv_size wide;
// slot_mapping [rows]; key_cache, value_cache [capacity_tokens, kv_size] bf16 (slot-major).
__device__ void cache_write(const float* qkv, int stride, int k_column, int v_column, int kv_size,
                            const int* slot_mapping, bf16* key_cache, bf16* value_cache) {
    const float* row = qkv + static_cast<size_t>(blockIdx.x) * stride;
    const size_t slot = static_cast<size_t>(slot_mapping[blockIdx.x]) * kv_size;
    for (int i = threadIdx.x; i < kv_size; i += blockDim.x) {
        key_cache[slot + i] = __float2bfloat16(row[k_column + i]);
        value_cache[slot + i] = __float2bfloat16(row[v_column + i]);
    }
}

}  // namespace flood
