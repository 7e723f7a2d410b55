// Embedding gather: out[t] = table[token_ids[t]], widened to float32 (the residual stream).
#pragma once

#include "common.cuh"

namespace flood {

// grid: [num_tokens], block: any multiple of 32.
// table [vocab, width] bf16; token_ids [num_tokens]; out [num_tokens, width] float32.
__device__ void embedding(const bf16* table, const int* token_ids, float* out, int width) {
    const int token = blockIdx.x;
    const bf16* row = table + static_cast<size_t>(token_ids[token]) * width;
    float* dst = out + static_cast<size_t>(token) * width;
    for (int i = threadIdx.x; i < width; i += blockDim.x) {
        dst[i] = __bfloat162float(row[i]);
    }
}

}  // namespace flood
