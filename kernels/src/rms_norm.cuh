// RMSNorm, alone, fused with the residual add, and per attention head (Qwen3's q/k norm).
// out = weight * (x / sqrt(mean(x^2) + eps)), the mean over one row (or one head).
//
// The row kernels read a row in two passes (sum of squares, then scale): the second pass finds the row in L1 or
// L2. Each thread keeps kBatch vector loads in flight per pass (4 x 16 bytes per array with 4-wide access), enough
// bytes in flight for the memory system at a few hundred rows; a row's reduction order depends only on its width
// and the block size, so results do not depend on the batch.
#pragma once

#include "vector_access.cuh"

namespace flood {

constexpr int kNormBatch = 4;

// Sum of squares of row [width] (width a multiple of kWidth), this thread's share, in a fixed order.
template <int kWidth>
__device__ __forceinline__ float row_sum_squares(const float* __restrict__ row, int width) {
    const int chunks = width / kWidth;
    float sum_squares = 0.f;
    for (int base = threadIdx.x; base < chunks; base += kNormBatch * blockDim.x) {
        Floats<kWidth> x[kNormBatch];
#pragma unroll
        for (int b = 0; b < kNormBatch; ++b) {
            const int chunk = base + b * blockDim.x;
            x[b] = chunk < chunks ? load_floats<kWidth>(row + chunk * kWidth) : Floats<kWidth>{};
        }
#pragma unroll
        for (int b = 0; b < kNormBatch; ++b) {
#pragma unroll
            for (int i = 0; i < kWidth; ++i) {
                sum_squares += x[b].v[i] * x[b].v[i];
            }
        }
    }
    return sum_squares;
}

// dst = bf16(weight * (row * inv)), this thread's chunks.
template <int kWidth>
__device__ __forceinline__ void scale_row(const float* __restrict__ row, const float* __restrict__ weight, float inv,
                                          bf16* __restrict__ dst, int width) {
    const int chunks = width / kWidth;
    for (int base = threadIdx.x; base < chunks; base += kNormBatch * blockDim.x) {
        Floats<kWidth> x[kNormBatch];
        Floats<kWidth> w[kNormBatch];
#pragma unroll
        for (int b = 0; b < kNormBatch; ++b) {
            const int chunk = base + b * blockDim.x;
            if (chunk < chunks) {
                x[b] = load_floats<kWidth>(row + chunk * kWidth);
                w[b] = load_floats<kWidth>(weight + chunk * kWidth);
            }
        }
#pragma unroll
        for (int b = 0; b < kNormBatch; ++b) {
            const int chunk = base + b * blockDim.x;
            if (chunk < chunks) {
                Floats<kWidth> y;
#pragma unroll
                for (int i = 0; i < kWidth; ++i) {
                    y.v[i] = w[b].v[i] * (x[b].v[i] * inv);
                }
                store_bf16<kWidth>(dst + chunk * kWidth, y);
            }
        }
    }
}

// row += add, this thread's chunks; returns this thread's sum of squares of the new row.
template <int kWidth>
__device__ __forceinline__ float add_rows(float* __restrict__ row, const float* __restrict__ add, int width) {
    const int chunks = width / kWidth;
    float sum_squares = 0.f;
    for (int base = threadIdx.x; base < chunks; base += kNormBatch * blockDim.x) {
        Floats<kWidth> r[kNormBatch];
        Floats<kWidth> a[kNormBatch];
#pragma unroll
        for (int b = 0; b < kNormBatch; ++b) {
            const int chunk = base + b * blockDim.x;
            if (chunk < chunks) {
                r[b] = load_floats<kWidth>(row + chunk * kWidth);
                a[b] = load_floats<kWidth>(add + chunk * kWidth);
            }
        }
#pragma unroll
        for (int b = 0; b < kNormBatch; ++b) {
            const int chunk = base + b * blockDim.x;
            if (chunk < chunks) {
#pragma unroll
                for (int i = 0; i < kWidth; ++i) {
                    r[b].v[i] += a[b].v[i];
                    sum_squares += r[b].v[i] * r[b].v[i];
                }
                store_floats<kWidth>(row + chunk * kWidth, r[b]);
            }
        }
    }
    return sum_squares;
}

// grid: [rows], block: a multiple of 32, at most 1024.
// x [rows, width] float32; weight [width] float32; out [rows, width] bf16.
__device__ void rms_norm(const float* __restrict__ x, const float* __restrict__ weight, float eps,
                         bf16* __restrict__ out, int width) {
    __shared__ float scratch[32];
    const float* row = x + static_cast<size_t>(blockIdx.x) * width;
    bf16* dst = out + static_cast<size_t>(blockIdx.x) * width;
    if (width % 4 == 0) {
        const float inv = inverse_rms(block_sum(row_sum_squares<4>(row, width), scratch), width, eps);
        scale_row<4>(row, weight, inv, dst, width);
    } else {
        const float inv = inverse_rms(block_sum(row_sum_squares<1>(row, width), scratch), width, eps);
        scale_row<1>(row, weight, inv, dst, width);
    }
}

// residual += x, then out = rms_norm(residual). Each thread reads back only the elements it wrote.
// residual [rows, width] float32 (in place); x [rows, width] float32; weight [width] float32; out bf16.
__device__ void add_rms_norm(float* __restrict__ residual, const float* __restrict__ x,
                             const float* __restrict__ weight, float eps, bf16* __restrict__ out, int width) {
    __shared__ float scratch[32];
    float* row = residual + static_cast<size_t>(blockIdx.x) * width;
    const float* add = x + static_cast<size_t>(blockIdx.x) * width;
    bf16* dst = out + static_cast<size_t>(blockIdx.x) * width;
    if (width % 4 == 0) {
        const float inv = inverse_rms(block_sum(add_rows<4>(row, add, width), scratch), width, eps);
        scale_row<4>(row, weight, inv, dst, width);
    } else {
        const float inv = inverse_rms(block_sum(add_rows<1>(row, add, width), scratch), width, eps);
        scale_row<1>(row, weight, inv, dst, width);
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
