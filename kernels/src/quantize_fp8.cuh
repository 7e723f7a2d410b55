// FP8 (E4M3) quantization of bf16 rows, for FP8 matrix products: activations per token before each FP8 GEMM, and
// bf16 weights per output channel when they are loaded. One scale per row, or per 128-column group of a row:
//   absmax = max |x| over the row (group), 1 where that is 0;
//   scale  = absmax / 448 (stored, float32);   code = e4m3(x * (448 / absmax)), nearest even, saturating.
// Division and products are single float32 operations, so the host reference (Fp8Reference in the tests)
// reproduces the codes and scales bit for bit.
#pragma once

#include <cuda_fp8.h>

#include "common.cuh"

namespace flood {

constexpr float kFp8Max = 448.f;

__device__ __forceinline__ uint8_t to_e4m3(float x) {
    return static_cast<uint8_t>(__nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3));
}

__device__ __forceinline__ float absmax_or_one(float absmax) {
    return absmax > 0.f ? absmax : 1.f;
}

// 8 bf16 values (16 bytes) widened to float.
__device__ __forceinline__ void load_bf16x8(const bf16* __restrict__ p, float* out) {
    const uint4 bits = *reinterpret_cast<const uint4*>(p);
    const unsigned words[4] = {bits.x, bits.y, bits.z, bits.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        out[2 * i] = __uint_as_float(words[i] << 16);
        out[2 * i + 1] = __uint_as_float(words[i] & 0xffff0000u);
    }
}

// One row per block: grid [rows], block a multiple of 32. x [rows, cols] bf16; codes [rows, cols] e4m3;
// scales [rows] float32. 16-byte loads and 8-byte stores when cols % 8 == 0 (rows then start 16-byte aligned).
__device__ void quantize_fp8_rows(const bf16* __restrict__ x, int cols, uint8_t* __restrict__ codes,
                                  float* __restrict__ scales) {
    __shared__ float scratch[32];
    const bf16* row = x + static_cast<size_t>(blockIdx.x) * cols;
    uint8_t* dst = codes + static_cast<size_t>(blockIdx.x) * cols;
    const bool wide = cols % 8 == 0;
    float absmax = 0.f;
    if (wide) {
        for (int c = threadIdx.x * 8; c < cols; c += blockDim.x * 8) {
            float v[8];
            load_bf16x8(row + c, v);
#pragma unroll
            for (int i = 0; i < 8; ++i) {
                absmax = fmaxf(absmax, fabsf(v[i]));
            }
        }
    } else {
        for (int c = threadIdx.x; c < cols; c += blockDim.x) {
            absmax = fmaxf(absmax, fabsf(__bfloat162float(row[c])));
        }
    }
    absmax = absmax_or_one(block_max(absmax, scratch));
    const float inv = kFp8Max / absmax;
    if (threadIdx.x == 0) {
        scales[blockIdx.x] = absmax / kFp8Max;
    }
    if (wide) {
        for (int c = threadIdx.x * 8; c < cols; c += blockDim.x * 8) {
            float v[8];
            load_bf16x8(row + c, v);
            uint2 packed;
            packed.x = 0;
            packed.y = 0;
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                packed.x |= static_cast<unsigned>(to_e4m3(v[i] * inv)) << (8 * i);
                packed.y |= static_cast<unsigned>(to_e4m3(v[4 + i] * inv)) << (8 * i);
            }
            *reinterpret_cast<uint2*>(dst + c) = packed;
        }
    } else {
        for (int c = threadIdx.x; c < cols; c += blockDim.x) {
            dst[c] = to_e4m3(__bfloat162float(row[c]) * inv);
        }
    }
}

// One row per block, one warp per 128-column group (4 values per lane): the activations of a product whose
// weight has 128 x 128 block scales. grid [rows], block a multiple of 32; cols % 128 == 0.
// x [rows, cols] bf16; codes [rows, cols] e4m3; scales [cols / 128, rows] float32 (group-major: each group's
// scales of all rows are contiguous, as cuBLASLt's 128-element vector scaling reads them).
__device__ void quantize_fp8_groups(const bf16* __restrict__ x, int rows, int cols, uint8_t* __restrict__ codes,
                                    float* __restrict__ scales) {
    const int lane = threadIdx.x % kWarpSize;
    const int warp = threadIdx.x / kWarpSize;
    const int warps = blockDim.x / kWarpSize;
    const bf16* row = x + static_cast<size_t>(blockIdx.x) * cols;
    uint8_t* dst = codes + static_cast<size_t>(blockIdx.x) * cols;
    for (int group = warp; group < cols / 128; group += warps) {
        const int c = group * 128 + lane * 4;
        const uint2 bits = *reinterpret_cast<const uint2*>(row + c);
        const float v[4] = {__uint_as_float(bits.x << 16), __uint_as_float(bits.x & 0xffff0000u),
                            __uint_as_float(bits.y << 16), __uint_as_float(bits.y & 0xffff0000u)};
        float absmax = fmaxf(fmaxf(fabsf(v[0]), fabsf(v[1])), fmaxf(fabsf(v[2]), fabsf(v[3])));
        absmax = absmax_or_one(warp_max(absmax));
        const float inv = kFp8Max / absmax;
        if (lane == 0) {
            scales[static_cast<size_t>(group) * rows + blockIdx.x] = absmax / kFp8Max;
        }
        unsigned packed = 0;
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            packed |= static_cast<unsigned>(to_e4m3(v[i] * inv)) << (8 * i);
        }
        *reinterpret_cast<unsigned*>(dst + c) = packed;
    }
}

// One 128 x 128 block of a bf16 weight per block of threads: grid [cols / 128, rows / 128], block 256 threads
// (each thread 16 rows x 4 columns of the block, 8-byte loads). w [rows, cols] bf16 with rows and cols multiples
// of 128; codes [rows, cols] e4m3; scales [rows / 128, scale_stride] float32 (column blocks contiguous; cuBLASLt's
// 128 x 128 block scaling pads scale_stride to a multiple of 4).
__device__ void quantize_fp8_blocks(const bf16* __restrict__ w, int cols, uint8_t* __restrict__ codes,
                                    float* __restrict__ scales, int scale_stride) {
    __shared__ float scratch[32];
    const int column = blockIdx.x * 128 + (threadIdx.x % 32) * 4;
    const int first_row = blockIdx.y * 128 + threadIdx.x / 32;
    float absmax = 0.f;
    for (int i = 0; i < 128 / 8; ++i) {
        const size_t at = static_cast<size_t>(first_row + 8 * i) * cols + column;
        const uint2 bits = *reinterpret_cast<const uint2*>(w + at);
        absmax = fmaxf(absmax, fmaxf(fmaxf(fabsf(__uint_as_float(bits.x << 16)),
                                           fabsf(__uint_as_float(bits.x & 0xffff0000u))),
                                     fmaxf(fabsf(__uint_as_float(bits.y << 16)),
                                           fabsf(__uint_as_float(bits.y & 0xffff0000u)))));
    }
    absmax = absmax_or_one(block_max(absmax, scratch));
    const float inv = kFp8Max / absmax;
    if (threadIdx.x == 0) {
        scales[static_cast<size_t>(blockIdx.y) * scale_stride + blockIdx.x] = absmax / kFp8Max;
    }
    for (int i = 0; i < 128 / 8; ++i) {
        const size_t at = static_cast<size_t>(first_row + 8 * i) * cols + column;
        const uint2 bits = *reinterpret_cast<const uint2*>(w + at);
        const float v[4] = {__uint_as_float(bits.x << 16), __uint_as_float(bits.x & 0xffff0000u),
                            __uint_as_float(bits.y << 16), __uint_as_float(bits.y & 0xffff0000u)};
        unsigned packed = 0;
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            packed |= static_cast<unsigned>(to_e4m3(v[k] * inv)) << (8 * k);
        }
        *reinterpret_cast<unsigned*>(codes + at) = packed;
    }
}

// out = float(in): a product's bf16 output widened where cuBLASLt writes no float32. grid-stride.
__device__ void widen_bf16(const bf16* __restrict__ in, float* __restrict__ out, long long count) {
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
         i += static_cast<long long>(gridDim.x) * blockDim.x) {
        out[i] = __bfloat162float(in[i]);
    }
}

}  // namespace flood
