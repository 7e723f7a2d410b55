// Shared device helpers: bfloat16 conversions and deterministic reductions.
//
// Every reduction here combines values in a fixed order (per-thread strided sums, then a fixed shuffle tree,
// then a fixed tree over warps), so a kernel gives bit-identical results run after run on the same inputs.
#pragma once

#include <cuda_bf16.h>
#include <stdint.h>

namespace flood {

using bf16 = __nv_bfloat16;

constexpr int kWarpSize = 32;
constexpr unsigned kFullMask = 0xffffffffu;

template <typename T>
__device__ __forceinline__ T warp_sum(T value) {
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        value += __shfl_xor_sync(kFullMask, value, offset);
    }
    return value;
}

__device__ __forceinline__ float warp_max(float value) {
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        value = fmaxf(value, __shfl_xor_sync(kFullMask, value, offset));
    }
    return value;
}

// Sum over the whole block, returned to every thread. `scratch` holds at least blockDim.x / 32 values of T;
// blockDim.x must be a multiple of 32. Contains __syncthreads: every thread of the block must call it.
template <typename T>
__device__ T block_sum(T value, T* scratch) {
    const int lane = threadIdx.x % kWarpSize;
    const int warp = threadIdx.x / kWarpSize;
    const int num_warps = blockDim.x / kWarpSize;
    value = warp_sum(value);
    __syncthreads();  // scratch may still be read by a previous call
    if (lane == 0) {
        scratch[warp] = value;
    }
    __syncthreads();
    T total = 0;
    for (int w = 0; w < num_warps; ++w) {
        total += scratch[w];
    }
    return total;
}

__device__ __forceinline__ float block_max(float value, float* scratch) {
    const int lane = threadIdx.x % kWarpSize;
    const int warp = threadIdx.x / kWarpSize;
    const int num_warps = blockDim.x / kWarpSize;
    value = warp_max(value);
    __syncthreads();
    if (lane == 0) {
        scratch[warp] = value;
    }
    __syncthreads();
    float result = scratch[0];
    for (int w = 1; w < num_warps; ++w) {
        result = fmaxf(result, scratch[w]);
    }
    return result;
}

// 1 / sqrt(mean + eps) as the CPU reference computes it: the float sum of the mean plus eps, then the root and
// the reciprocal in double, rounded to float once.
__device__ __forceinline__ float inverse_rms(float sum_squares, int width, float eps) {
    const float mean = sum_squares / static_cast<float>(width);
    return static_cast<float>(1.0 / sqrt(static_cast<double>(mean + eps)));
}

}  // namespace flood
