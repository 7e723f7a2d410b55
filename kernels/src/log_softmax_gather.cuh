// Scoring's log-probabilities over a chunk of float32 logits rows (what the lm_head GEMM just wrote), reading
// each row once: every thread keeps an online (max, sum of exp(x - max)) over its strided values, rescaling its
// sum when its max grows; the block then combines the threads' pairs in a fixed order, so results are
// deterministic. normalizer = max + log(sum); logprob[row] = logits[row, target[row]] - normalizer.
//
// Precision: the exponentials and sums are float32 (each thread adds about vocab / blockDim.x terms no larger
// than 1, then 16 warps' partials), so the normalizer is within about 1e-6 of the exact log-sum-exp of the
// given logits: far below the error the bf16 GEMM inputs put into the logits themselves. The subtraction and
// the outputs are double.
//
// Top-N (top_n > 0, rare: a second pass per token) follows token_logprobs in sampling.cuh: best first, ties to
// the lower id.
#pragma once

#include "block_select.cuh"

namespace flood {

enum LogprobStatus : int {
    kLogprobOk = 0,
    kLogprobBadLogit = 1,    // a NaN or +inf logit
    kLogprobAllMasked = 2,   // every logit is -inf
};

// Adds x to a running (max_value, sum of exp(value - max_value)); -inf adds nothing. A NaN or +inf poisons
// the pair, and the caller flags the row.
__device__ __forceinline__ void add_log_sum_exp(float x, float& max_value, float& sum) {
    if (x > max_value) {
        sum = sum * expf(max_value - x) + 1.f;  // from max_value -inf: expf(-inf) is 0
        max_value = x;
    } else if (x != -INFINITY) {
        sum += expf(x - max_value);
    }
}

// grid: [rows], block: a multiple of 32 up to 1024 (512 from the host). logits [rows, vocab] float32, row-major,
// 16-byte aligned when vocab % 4 == 0; targets [rows] in [0, vocab); logprob [rows]; top_ids, top_logprobs
// [rows, top_n]; status [rows] (LogprobStatus: a row that is not Ok has no other output).
__device__ void log_softmax_gather(const float* logits, int vocab, const int* targets, int top_n, double* logprob,
                                   int* top_ids, double* top_logprobs, int* status) {
    __shared__ SelectScratch select;
    const int row = blockIdx.x;
    const float* in = logits + static_cast<size_t>(row) * vocab;
    float max_value = -INFINITY;
    float sum = 0.f;
    bool bad = false;
    bool finite = false;
    const auto take = [&](float x) {
        bad |= isnan(x) || x == INFINITY;
        finite |= x != -INFINITY;
        add_log_sum_exp(x, max_value, sum);
    };
    if (vocab % 4 == 0) {
        const float4* in4 = reinterpret_cast<const float4*>(in);
        for (int i = threadIdx.x; i < vocab / 4; i += blockDim.x) {
            const float4 v = in4[i];
            take(v.x);
            take(v.y);
            take(v.z);
            take(v.w);
        }
    } else {
        for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
            take(in[i]);
        }
    }
    if (block_count(bad) > 0) {
        if (threadIdx.x == 0) {
            status[row] = kLogprobBadLogit;
        }
        return;
    }
    if (block_count(finite) == 0) {
        if (threadIdx.x == 0) {
            status[row] = kLogprobAllMasked;
        }
        return;
    }
    const float row_max = block_max(max_value, select.values);
    const float rescaled = max_value == -INFINITY ? 0.f : sum * expf(max_value - row_max);
    const float total = block_sum(rescaled, select.values);
    const double normalizer = static_cast<double>(row_max) + log(static_cast<double>(total));
    if (threadIdx.x == 0) {
        status[row] = kLogprobOk;
        logprob[row] = static_cast<double>(in[targets[row]]) - normalizer;
    }
    float previous = INFINITY;
    int previous_id = -1;
    for (int n = 0; n < top_n; ++n) {
        float best = -INFINITY;
        int best_id = INT_MAX;
        for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
            if (outranks(previous, previous_id, in[i], i) && outranks(in[i], i, best, best_id)) {
                best = in[i];
                best_id = i;
            }
        }
        block_argmax(best, best_id, select);
        if (threadIdx.x == 0) {
            top_ids[static_cast<size_t>(row) * top_n + n] = best_id;
            top_logprobs[static_cast<size_t>(row) * top_n + n] = static_cast<double>(best) - normalizer;
        }
        previous = best;
        previous_id = best_id;
    }
}

}  // namespace flood
