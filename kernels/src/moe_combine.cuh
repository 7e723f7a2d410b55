// The weighted sum of each token's expert outputs: out[t] = sum over token t's pairs, in ascending expert order (as
// transformers adds each expert's output in turn), of weight * expert_out[pair], each product and sum rounded to
// float32 (no fused multiply-add), as the float32 reference computes it.
#pragma once

#include "moe_route.cuh"

namespace flood {

// grid: [num_tokens], block: any multiple of 32.
// expert_out [num_tokens * top_k, width] float32, row p = pair p; experts, weights [num_tokens * top_k] (moe_route);
// out [num_tokens, width] float32.
__device__ void moe_combine(const float* expert_out, const int* experts, const float* weights, int top_k, int width,
                            float* out) {
    __shared__ int order[kMoeMaxTopK];  // this token's pairs, by ascending expert
    __shared__ float order_weight[kMoeMaxTopK];
    const int token = blockIdx.x;
    if (threadIdx.x == 0) {
        for (int j = 0; j < top_k; ++j) {
            const int pair = token * top_k + j;
            int at = j;
            while (at > 0 && experts[order[at - 1]] > experts[pair]) {
                order[at] = order[at - 1];
                --at;
            }
            order[at] = pair;
        }
        for (int j = 0; j < top_k; ++j) {
            order_weight[j] = weights[order[j]];
        }
    }
    __syncthreads();
    for (int i = threadIdx.x; i < width; i += blockDim.x) {
        float sum = 0.f;
        for (int j = 0; j < top_k; ++j) {
            sum = __fadd_rn(sum, __fmul_rn(order_weight[j], expert_out[static_cast<size_t>(order[j]) * width + i]));
        }
        out[static_cast<size_t>(token) * width + i] = sum;
    }
}

}  // namespace flood
