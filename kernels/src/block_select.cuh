// Block-wide selections over one logits row, deterministic (fixed combination order): argmax with torch's tie
// rule, counts, minimum keys and exclusive prefix sums. Every thread of the block must call each of them (they
// contain __syncthreads); blockDim.x is a multiple of 32 and at most 1024.
#pragma once

#include "common.cuh"

namespace flood {

// Scratch shared by the helpers below; one per block.
struct SelectScratch {
    float values[32];
    int ids[32];
    double sums[32];
    unsigned keys[32];
};

// A token ranks above another with a higher value, or the same value and a lower id (torch.argmax, stable sorts).
__device__ __forceinline__ bool outranks(float value, int id, float other_value, int other_id) {
    return value > other_value || (value == other_value && id < other_id);
}

// The best (value, id) over the block; id INT_MAX with value -inf when no thread offers one.
__device__ void block_argmax(float& value, int& id, SelectScratch& scratch) {
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        const float other_value = __shfl_xor_sync(kFullMask, value, offset);
        const int other_id = __shfl_xor_sync(kFullMask, id, offset);
        if (outranks(other_value, other_id, value, id)) {
            value = other_value;
            id = other_id;
        }
    }
    __syncthreads();
    if (threadIdx.x % kWarpSize == 0) {
        scratch.values[threadIdx.x / kWarpSize] = value;
        scratch.ids[threadIdx.x / kWarpSize] = id;
    }
    __syncthreads();
    value = scratch.values[0];
    id = scratch.ids[0];
    for (int w = 1; w < static_cast<int>(blockDim.x / kWarpSize); ++w) {
        if (outranks(scratch.values[w], scratch.ids[w], value, id)) {
            value = scratch.values[w];
            id = scratch.ids[w];
        }
    }
}

__device__ unsigned block_min_key(unsigned key, SelectScratch& scratch) {
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        key = min(key, __shfl_xor_sync(kFullMask, key, offset));
    }
    __syncthreads();
    if (threadIdx.x % kWarpSize == 0) {
        scratch.keys[threadIdx.x / kWarpSize] = key;
    }
    __syncthreads();
    key = scratch.keys[0];
    for (int w = 1; w < static_cast<int>(blockDim.x / kWarpSize); ++w) {
        key = min(key, scratch.keys[w]);
    }
    return key;
}

__device__ __forceinline__ int block_count(bool flag) {
    return __syncthreads_count(flag);
}

__device__ double block_sum_double(double value, SelectScratch& scratch) {
    return block_sum(value, scratch.sums);
}

// Exclusive prefix sum over threads in thread order; `total` receives the block's sum.
__device__ double block_exclusive_sum(double value, double& total, SelectScratch& scratch) {
    const int lane = threadIdx.x % kWarpSize;
    const int warp = threadIdx.x / kWarpSize;
    double inclusive = value;
#pragma unroll
    for (int offset = 1; offset < kWarpSize; offset <<= 1) {
        const double other = __shfl_up_sync(kFullMask, inclusive, offset);
        if (lane >= offset) {
            inclusive += other;
        }
    }
    __syncthreads();
    if (lane == kWarpSize - 1) {
        scratch.sums[warp] = inclusive;
    }
    __syncthreads();
    double before = 0;
    total = 0;
    for (int w = 0; w < static_cast<int>(blockDim.x / kWarpSize); ++w) {
        if (w < warp) {
            before += scratch.sums[w];
        }
        total += scratch.sums[w];
    }
    const double in_warp_before = __shfl_up_sync(kFullMask, inclusive, 1);
    return lane == 0 ? before : before + in_warp_before;
}

// The float's position in the total order of floats as an unsigned key (-0 taken as +0; no NaN).
__device__ __forceinline__ unsigned order_key(float value) {
    const unsigned bits = __float_as_uint(value + 0.f);
    return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

}  // namespace flood
