// Small layout helpers around the GEMMs (bias add, float32 add, float32 -> bf16, row gather) and random fills for
// benchmarks.
#pragma once

#include "common.cuh"
#include "counter_rng.cuh"

namespace flood {

// out[r, c] += bias[c]. grid: [rows], block: any multiple of 32. out [rows, cols] float32; bias [cols] float32.
__device__ void add_bias(float* out, const float* bias, int cols) {
    float* row = out + static_cast<size_t>(blockIdx.x) * cols;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        row[c] += bias[c];
    }
}

// out[i] += in[i]: a product staged in float32 added to the float32 residual stream. Grid-stride loop over
// [count] float32 (no alignment asked of the addresses).
__device__ void add_f32(float* out, const float* in, long long count) {
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
         i += static_cast<long long>(gridDim.x) * blockDim.x) {
        out[i] += in[i];
    }
}

// out = bf16(in), round to nearest even. grid: [ceil(count / blockDim.x)]. in [count] float32; out [count] bf16.
__device__ void to_bf16(const float* in, bf16* out, long long count) {
    const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count) {
        out[i] = __float2bfloat16(in[i]);
    }
}

// out[r] = in[rows[r]] for rows of `row_units` 16-bit units (a bf16 row of n columns is n units, a float32 row
// 2n). grid: [num_rows], block: any multiple of 32.
__device__ void gather_rows(const uint16_t* in, const int* rows, uint16_t* out, int row_units) {
    const uint16_t* src = in + static_cast<size_t>(rows[blockIdx.x]) * row_units;
    uint16_t* dst = out + static_cast<size_t>(blockIdx.x) * row_units;
    for (int i = threadIdx.x; i < row_units; i += blockDim.x) {
        dst[i] = src[i];
    }
}

// out[i] = low + (high - low) * u_i with u_i in [0, 1) from SplitMix64 at counter i of `seed`: benchmark data
// that is random (never zeros) and the same on every run. Grid-stride loop.
template <typename T>
__device__ void fill_uniform(T* out, long long count, unsigned long long seed, float low, float high) {
    const unsigned long long state = mix64(seed);
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
         i += static_cast<long long>(gridDim.x) * blockDim.x) {
        const uint64_t bits = mix64(state + (static_cast<uint64_t>(i) + 1) * 0x9E3779B97F4A7C15ull);
        const float unit = static_cast<float>(bits >> 40) * 0x1.0p-24f;
        out[i] = static_cast<T>(low + (high - low) * unit);
    }
}

}  // namespace flood
