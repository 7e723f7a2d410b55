// Vector loads and stores for the row-wise kernels: kWidth consecutive values per access, 16-byte float loads
// (float4) and 8-byte bf16 stores when kWidth is 4, plain scalar accesses when it is 1. A kernel takes the
// 4-wide path only when every row starts 16-byte aligned: workspace and weight allocations are 256-byte
// aligned, so float32 rows of a width divisible by 4 are, and their bf16 counterparts are 8-byte aligned.
#pragma once

#include "common.cuh"

namespace flood {

template <int kWidth>
struct Floats {
    float v[kWidth];
};

template <int kWidth>
__device__ __forceinline__ Floats<kWidth> load_floats(const float* __restrict__ p) {
    Floats<kWidth> f;
    if constexpr (kWidth == 4) {
        const float4 x = *reinterpret_cast<const float4*>(p);
        f.v[0] = x.x;
        f.v[1] = x.y;
        f.v[2] = x.z;
        f.v[3] = x.w;
    } else {
#pragma unroll
        for (int i = 0; i < kWidth; ++i) {
            f.v[i] = p[i];
        }
    }
    return f;
}

// kWidth bf16 values widened to float32: one 8-byte load when kWidth is 4 (8-byte aligned, see above).
template <int kWidth>
__device__ __forceinline__ Floats<kWidth> load_bf16(const bf16* __restrict__ p) {
    Floats<kWidth> f;
    if constexpr (kWidth == 4) {
        const uint2 bits = *reinterpret_cast<const uint2*>(p);
        const float2 low = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&bits.x));
        const float2 high = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&bits.y));
        f.v[0] = low.x;
        f.v[1] = low.y;
        f.v[2] = high.x;
        f.v[3] = high.y;
    } else {
#pragma unroll
        for (int i = 0; i < kWidth; ++i) {
            f.v[i] = __bfloat162float(p[i]);
        }
    }
    return f;
}

// load_floats or load_bf16, by the pointer's type.
template <int kWidth>
__device__ __forceinline__ Floats<kWidth> load_values(const float* __restrict__ p) {
    return load_floats<kWidth>(p);
}

template <int kWidth>
__device__ __forceinline__ Floats<kWidth> load_values(const bf16* __restrict__ p) {
    return load_bf16<kWidth>(p);
}

template <int kWidth>
__device__ __forceinline__ void store_floats(float* __restrict__ p, const Floats<kWidth>& f) {
    if constexpr (kWidth == 4) {
        *reinterpret_cast<float4*>(p) = make_float4(f.v[0], f.v[1], f.v[2], f.v[3]);
    } else {
#pragma unroll
        for (int i = 0; i < kWidth; ++i) {
            p[i] = f.v[i];
        }
    }
}

// Rounds to bf16 (nearest even) and stores kWidth values.
template <int kWidth>
__device__ __forceinline__ void store_bf16(bf16* __restrict__ p, const Floats<kWidth>& f) {
    if constexpr (kWidth == 4) {
        const __nv_bfloat162 low = __floats2bfloat162_rn(f.v[0], f.v[1]);
        const __nv_bfloat162 high = __floats2bfloat162_rn(f.v[2], f.v[3]);
        uint2 bits;
        bits.x = *reinterpret_cast<const unsigned*>(&low);
        bits.y = *reinterpret_cast<const unsigned*>(&high);
        *reinterpret_cast<uint2*>(p) = bits;
    } else {
#pragma unroll
        for (int i = 0; i < kWidth; ++i) {
            p[i] = __float2bfloat16(f.v[i]);
        }
    }
}

}  // namespace flood
