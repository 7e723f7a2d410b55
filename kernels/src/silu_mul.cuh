// The SiLU-gated MLP activation: out = silu(gate) * up, silu(g) = g / (1 + exp(-g)).
#pragma once

#include "vector_access.cuh"

namespace flood {

// One thread per kWidth outputs, over all rows at once (a grid of rows * width / kWidth threads): every thread
// has its gate and up loads in flight at once, and the grid holds enough threads to cover memory latency.
// T is the gate/up product's type: float32, or bf16 where the GEMM wrote it rounded (as a bf16 model does).
template <int kWidth, typename T>
__device__ __forceinline__ void silu_mul_chunk(const T* __restrict__ gate_up, bf16* __restrict__ out,
                                               long long chunk, int width) {
    const int chunks_per_row = width / kWidth;
    const long long row = chunk / chunks_per_row;
    const int column = static_cast<int>(chunk % chunks_per_row) * kWidth;
    const T* src = gate_up + row * 2 * width;
    const Floats<kWidth> gate = load_values<kWidth>(src + column);
    const Floats<kWidth> up = load_values<kWidth>(src + width + column);
    Floats<kWidth> y;
#pragma unroll
    for (int i = 0; i < kWidth; ++i) {
        y.v[i] = gate.v[i] / (1.f + expf(-gate.v[i])) * up.v[i];
    }
    store_bf16<kWidth>(out + row * width + column, y);
}

// grid: [ceil(rows * width / (kWidth * blockDim.x))] with kWidth 4 when width % 4 == 0, else 1.
// gate_up [rows, 2 * width] float32 or bf16 (gate columns, then up columns); out [rows, width] bf16.
template <typename T>
__device__ void silu_mul(const T* __restrict__ gate_up, bf16* __restrict__ out, int rows, int width) {
    const long long thread = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (width % 4 == 0) {
        if (thread < static_cast<long long>(rows) * (width / 4)) {
            silu_mul_chunk<4>(gate_up, out, thread, width);
        }
    } else if (thread < static_cast<long long>(rows) * width) {
        silu_mul_chunk<1>(gate_up, out, thread, width);
    }
}

}  // namespace flood
