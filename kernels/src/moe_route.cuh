// Mixture-of-experts routing, as transformers' Qwen3-MoE and Mixtral routers compute it: per token, a float32
// softmax over the router logits of all experts, the top-k probabilities (ties to the lower expert index), and,
// when asked, those probabilities divided by their sum.
#pragma once

#include "common.cuh"

namespace flood {

// Most experts one token is routed to: choice j is held by lane j of the token's warp.
constexpr int kMoeMaxTopK = 32;

// One warp per token. grid: [ceil(num_tokens / warps per block)], block: a multiple of 32; dynamic shared memory:
// (warps per block) x num_experts floats, each warp's probabilities.
// logits [num_tokens, num_experts] float32; experts [num_tokens, top_k] int and weights [num_tokens, top_k] float32:
// token t's choice j at t * top_k + j, in descending probability. top_k <= min(num_experts, kMoeMaxTopK).
__device__ void moe_route(const float* logits, int num_tokens, int num_experts, int top_k, int renormalize,
                          int* experts, float* weights) {
    extern __shared__ float moe_probabilities[];
    const int warp = threadIdx.x / kWarpSize;
    const int lane = threadIdx.x % kWarpSize;
    const int token = blockIdx.x * (blockDim.x / kWarpSize) + warp;
    if (token >= num_tokens) {
        return;
    }
    float* probability = moe_probabilities + warp * num_experts;
    const float* row = logits + static_cast<size_t>(token) * num_experts;
    float max = -INFINITY;
    for (int e = lane; e < num_experts; e += kWarpSize) {
        max = fmaxf(max, row[e]);
    }
    max = warp_max(max);
    float sum = 0.f;
    for (int e = lane; e < num_experts; e += kWarpSize) {
        const float p = expf(row[e] - max);
        probability[e] = p;
        sum += p;
    }
    const float inverse_sum = 1.f / warp_sum(sum);
    for (int e = lane; e < num_experts; e += kWarpSize) {
        probability[e] *= inverse_sum;
    }
    // Each lane reads and marks only its own experts (e % 32 == lane): no other lane touches them.
    float chosen = 0.f;
    int chosen_expert = 0;
    for (int j = 0; j < top_k; ++j) {
        float best = -1.f;  // probabilities are >= 0; a taken expert is marked -1
        int best_expert = num_experts;
        for (int e = lane; e < num_experts; e += kWarpSize) {
            if (probability[e] > best) {  // ascending e: a tie keeps the lower index
                best = probability[e];
                best_expert = e;
            }
        }
#pragma unroll
        for (int offset = 16; offset > 0; offset >>= 1) {
            const float other = __shfl_xor_sync(kFullMask, best, offset);
            const int other_expert = __shfl_xor_sync(kFullMask, best_expert, offset);
            if (other > best || (other == best && other_expert < best_expert)) {
                best = other;
                best_expert = other_expert;
            }
        }
        if (best_expert == num_experts) {
            best_expert = 0;  // only when the logits hold NaN (no probability compares): keep every index in range
        }
        if (lane == j) {
            chosen = best;
            chosen_expert = best_expert;
        }
        if (lane == best_expert % kWarpSize) {
            probability[best_expert] = -1.f;
        }
    }
    const float chosen_sum = warp_sum(lane < top_k ? chosen : 0.f);
    if (lane < top_k) {
        const size_t at = static_cast<size_t>(token) * top_k + lane;
        experts[at] = chosen_expert;
        weights[at] = renormalize ? chosen / chosen_sum : chosen;
    }
}

}  // namespace flood
