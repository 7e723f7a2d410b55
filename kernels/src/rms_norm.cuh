// RMSNorm, alone, fused with the residual add, and per attention head (Qwen3's q/k norm).
// out = weight * (x / sqrt(mean(x^2) + eps)), the mean over one row (or one head).
#pragma once

#include "common.cuh"

namespace flood {

// grid: [rows], block: a multiple of 32, at most 1024.
// x [rows, width] float32; weight [width] float32; out [rows, width] bf16.
__device__ void rms_norm(const float* x, const float* weight, float eps, bf16* out, int width) {
    __shared__ float scratch[32];
    const float* row = x + static_cast<size_t>(blockIdx.x) * width;
    float sum_squares = 0.f;
    for (int i = threadIdx.x; i < width; i += blockDim.x) {
        sum_squares += row[i] * row[i];
    }
    const float inv = inverse_rms(block_sum(sum_squares, scratch), width, eps);
    bf16* dst = out + static_cast<size_t>(blockIdx.x) * width;
    for (int i = threadIdx.x; i < width; i += blockDim.x) {
        dst[i] = __float2bfloat16(weight[i] * (row[i] * inv));
    }
}

// residual += x, then out = rms_norm(residual). Each thread reads back only the elements it wrote.
// residual [rows, width] float32 (in place); x [rows, width] float32; weight [width] float32; out bf16.
__device__ void add_rms_norm(float* residual, const float* x, const float* weight, float eps, bf16* out,
                             int width) {
    __shared__ float scratch[32];
    float* row = residual + static_cast<size_t>(blockIdx.x) * width;
    const float* add = x + static_cast<size_t>(blockIdx.x) * width;
    float sum_squares = 0.f;
    for (int i = threadIdx.x; i < width; i += blockDim.x) {
        const float value = row[i] + add[i];
        row[i] = value;
        sum_squares += value * value;
    }
    const float inv = inverse_rms(block_sum(sum_squares, scratch), width, eps);
    bf16* dst = out + static_cast<size_t>(blockIdx.x) * width;
    for (int i = threadIdx.x; i < width; i += blockDim.x) {
        dst[i] = __float2bfloat16(weight[i] * (row[i] * inv));
    }
}

// In place, RMSNorm over each of `num_heads` heads of `head_dim` columns starting at `first_column`, one warp
// per (token, head); the heads share weight [head_dim].
// grid: [ceil(rows * num_heads / warps_per_block)], block: warps_per_block * 32.
// x [rows, stride] float32.
__device__ void head_rms_norm(float* x, int stride, int first_column, int num_heads, int head_dim,
                              const float* weight, float eps, int rows) {
    const int item = blockIdx.x * (blockDim.x / kWarpSize) + threadIdx.x / kWarpSize;
    if (item >= rows * num_heads) {
        return;
    }
    const int lane = threadIdx.x % kWarpSize;
    float* head = x + static_cast<size_t>(item / num_heads) * stride + first_column + (item % num_heads) * head_dim;
    float sum_squares = 0.f;
    for (int i = lane; i < head_dim; i += kWarpSize) {
        sum_squares += head[i] * head[i];
    }
    const float inv = inverse_rms(warp_sum(sum_squares), head_dim, eps);
    for (int i = lane; i < head_dim; i += kWarpSize) {
        head[i] = weight[i] * (head[i] * inv);
    }
}

}  // namespace flood
