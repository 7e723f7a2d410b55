// The SiLU-gated MLP activation: out = silu(gate) * up, silu(g) = g / (1 + exp(-g)).
#pragma once

#include "common.cuh"

namespace flood {

// grid: [rows], block: any multiple of 32.
// gate_up [rows, 2 * width] float32 (gate columns, then up columns); out [rows, width] bf16.
__device__ void silu_mul(const float* gate_up, bf16* out, int width) {
    const float* row = gate_up + static_cast<size_t>(blockIdx.x) * 2 * width;
    bf16* dst = out + static_cast<size_t>(blockIdx.x) * width;
    for (int i = threadIdx.x; i < width; i += blockDim.x) {
        const float gate = row[i];
        dst[i] = __float2bfloat16(gate / (1.f + expf(-gate)) * row[width + i]);
    }
}

}  // namespace flood
