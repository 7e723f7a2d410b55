// Token sampling and log-probabilities on the GPU, one block per logits row, reimplementing
// dev.flood.sampling.Sampler step by step (see LogitTransforms for the definitions):
//   greedy: the argmax of the logits, ties to the lowest id;
//   else:   s = logit / (float) temperature; top-k keeps s >= the k-th highest; top-p keeps the highest-ranked
//           tokens until the mass ranked above a token reaches top_p; min-p drops s - max < log(min_p); then the
//           inverse-CDF draw with u = CounterRng.uniform(seed, counter), first id (ascending) whose running sum
//           of exp(s - max) exceeds u * total.
// Scores are float32 and probabilities double, as on the CPU. Sums are formed in a different (fixed) order than
// the CPU's sequential loops, so a decision can differ only where a cumulative probability lands within double
// rounding (about 1e-16 relative) of a threshold or of the draw.
//
// A row may carry an allowed-token mask (a request's output constraint): tokens whose bit is clear score -inf
// before anything else, as the CPU sampler applies the mask before penalties. Penalties are not applied here;
// the host rejects rows that ask for them.
#pragma once

#include "block_select.cuh"
#include "counter_rng.cuh"
#include "vector_access.cuh"

namespace flood {

// One row's parameters: 48 bytes, little-endian, written by the host in this order.
struct SamplingRow {
    double top_p;        // 1 disables
    double min_p;        // 0 disables
    uint64_t seed;
    int64_t counter;     // the request's generation step (tokens generated so far)
    float temperature;   // the divisor, (float) temperature; ignored when greedy
    int top_k;           // 0, or >= vocab: disabled
    int greedy;          // 1: argmax of the logits (temperature 0)
    int mask_row;        // -1: no constraint; else the row of `masks` holding this row's allowed-token bits
};

enum SampleStatus : int {
    kSampleOk = 0,
    kSampleBadLogit = 1,    // a NaN or +inf logit
    kSampleAllMasked = 2,   // every logit is -inf (every allowed one, for a row with a mask)
    kSampleOverflow = 3,    // the top score is +inf after temperature
    kSampleBadToken = 4,    // token_logprobs: the chosen id is outside [0, vocab) (a failed draw's -1)
};

__device__ __forceinline__ float key_value(unsigned key) {
    return __uint_as_float((key & 0x80000000u) ? (key ^ 0x80000000u) : ~key);
}

// Status of a raw row: NaN or +inf anywhere, or nothing above -inf.
__device__ int check_row(const float* row, int vocab) {
    bool bad = false;
    bool finite = false;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        const float x = row[i];
        bad |= isnan(x) || x == INFINITY;
        finite |= x != -INFINITY;
    }
    if (block_count(bad) > 0) {
        return kSampleBadLogit;
    }
    return block_count(finite) > 0 ? kSampleOk : kSampleAllMasked;
}

// Sum over ids owned by this thread (strided) of exp(s - max) for scores whose key is above `key`.
__device__ double mass_above(const float* s, int vocab, float max_score, unsigned key) {
    double mass = 0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        if (s[i] != -INFINITY && order_key(s[i]) > key) {
            mass += exp(static_cast<double>(s[i]) - max_score);
        }
    }
    return mass;
}

// Top-k: removes scores below the k-th highest (ties with it stay). 0 < top_k < vocab.
__device__ void keep_top_k(float* s, int vocab, int top_k, SelectScratch& scratch) {
    // The largest key K with count(key >= K) >= top_k is the k-th highest score's key.
    unsigned long long low = 0;
    unsigned long long high = 0xffffffffull;
    while (low < high) {
        const unsigned long long mid = (low + high + 1) / 2;
        int count = 0;
        for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
            count += order_key(s[i]) >= mid;
        }
        if (block_sum(count, scratch.ids) >= top_k) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    const float kth = key_value(static_cast<unsigned>(low));
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        if (s[i] < kth) {
            s[i] = -INFINITY;
        }
    }
}

// Top-p (0 < top_p < 1): with w = exp(s - max) and total = sum(w), a token is removed when the mass ranked above
// it is >= top_p * total. The kept tokens are a prefix of the ranking; the last kept score v is the smallest
// candidate score whose strictly-higher mass is below the threshold, found by bisection over score keys.
// Tokens above v stay, below v go, and ties at v stay in id order while the running mass is below the threshold.
__device__ void keep_top_p(float* s, int vocab, double top_p, float max_score, SelectScratch& scratch) {
    double total = 0;
    int kept = 0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        total += exp(static_cast<double>(s[i]) - max_score);
        kept += s[i] != -INFINITY;
    }
    total = block_sum(total, scratch.sums);
    kept = block_sum(kept, scratch.ids);
    // The CPU's shortcut, kept for identical results: a token below the floor cannot survive.
    const double log_floor = log((1 - top_p) * total / kept);
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        if (static_cast<double>(s[i]) - max_score < log_floor) {
            s[i] = -INFINITY;
        }
    }
    const double threshold = top_p * total;
    unsigned long long low = 0;
    unsigned long long high = 0xffffffffull;
    while (low < high) {  // smallest key k with mass_above(k) < threshold
        const unsigned long long mid = (low + high) / 2;
        if (block_sum(mass_above(s, vocab, max_score, static_cast<unsigned>(mid)), scratch.sums) < threshold) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    unsigned candidate = 0xffffffffu;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        if (s[i] != -INFINITY && order_key(s[i]) >= low) {
            candidate = min(candidate, order_key(s[i]));
        }
    }
    const unsigned last_key = block_min_key(candidate, scratch);
    const double above = block_sum(mass_above(s, vocab, max_score, last_key), scratch.sums);
    int ties = 0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        ties += s[i] != -INFINITY && order_key(s[i]) == last_key;
    }
    ties = block_sum(ties, scratch.ids);
    const double tie_weight = exp(static_cast<double>(key_value(last_key)) - max_score);
    int keep_ties = 0;
    for (double running = above; keep_ties < ties && running < threshold; running += tie_weight) {
        ++keep_ties;
    }
    // Ties ranked past keep_ties (in id order) go. Rounds of blockDim.x ids give each tie its id-order rank.
    int tie_rank = 0;
    for (int base = 0; base < vocab; base += blockDim.x) {
        const int i = base + threadIdx.x;
        const bool tie = i < vocab && s[i] != -INFINITY && order_key(s[i]) == last_key;
        const unsigned ballot = __ballot_sync(kFullMask, tie);
        __syncthreads();
        if (threadIdx.x % kWarpSize == 0) {
            scratch.ids[threadIdx.x / kWarpSize] = __popc(ballot);
        }
        __syncthreads();
        int rank = tie_rank + __popc(ballot & ((1u << (threadIdx.x % kWarpSize)) - 1u));
        for (int w = 0; w < static_cast<int>(threadIdx.x / kWarpSize); ++w) {
            rank += scratch.ids[w];
        }
        for (int w = 0; w < static_cast<int>(blockDim.x / kWarpSize); ++w) {
            tie_rank += scratch.ids[w];
        }
        if (i < vocab && s[i] != -INFINITY) {
            const unsigned key = order_key(s[i]);
            if (key < last_key || (tie && rank >= keep_ties)) {
                s[i] = -INFINITY;
            }
        }
    }
}

// The inverse-CDF draw over the remaining scores. Thread t owns the contiguous ids [t * chunk, (t + 1) * chunk)
// so that a prefix sum over threads is a prefix sum over ids.
__device__ int draw_inverse_cdf(const float* s, int vocab, float max_score, double u, SelectScratch& scratch) {
    const int chunk = (vocab + blockDim.x - 1) / blockDim.x;
    const int begin = min(vocab, static_cast<int>(threadIdx.x) * chunk);
    const int end = min(vocab, begin + chunk);
    double local = 0;
    for (int i = begin; i < end; ++i) {
        local += exp(static_cast<double>(s[i]) - max_score);
    }
    double total;
    double running = block_exclusive_sum(local, total, scratch);
    const double target = u * total;
    int found = INT_MAX;
    int last_positive = -1;
    for (int i = begin; i < end; ++i) {
        const double weight = exp(static_cast<double>(s[i]) - max_score);
        if (weight > 0) {
            running += weight;
            last_positive = i;
            if (found == INT_MAX && target < running) {
                found = i;
            }
        }
    }
    const unsigned first = block_min_key(static_cast<unsigned>(found), scratch);
    if (first != static_cast<unsigned>(INT_MAX)) {
        return static_cast<int>(first);
    }
    // Rounding left the running sum at or below the target: the last token with weight > 0 (CPU rule); the
    // maximum id is found as the minimum of INT_MAX - id. The top token has weight 1, so one exists.
    const unsigned reversed = last_positive < 0 ? 0xffffffffu : static_cast<unsigned>(INT_MAX - last_positive);
    return INT_MAX - static_cast<int>(block_min_key(reversed, scratch));
}

// Whether token i is allowed by the mask row (words of 32 tokens, token i at bit i % 32 of word i / 32).
__device__ __forceinline__ bool allowed(const unsigned* mask, int i) {
    return mask == nullptr || ((mask[i >> 5] >> (i & 31)) & 1u) != 0;
}

// A greedy row without a mask, in one pass: check_row's statuses and the argmax (ties to the lowest id) together,
// kWidth values per load, and no working scores written. The general path below reads such a row twice and writes
// it once (its scores are the logits divided by 1), which made sampling about 9x its memory floor in the engine's
// decode steps (docs/performance.md, "Where a step's time goes"). Same statuses and token: +inf is a bad logit here
// as in check_row, so the argmax is never +inf. Every thread calls it (block-wide reductions inside).
template <int kWidth>
__device__ void greedy_row(const float* in, int vocab, int* token, int* status, SelectScratch& select) {
    bool bad = false;
    bool finite = false;
    float best = -INFINITY;
    int best_id = INT_MAX;
    auto visit = [&](float x, int i) {
        bad |= isnan(x) || x == INFINITY;
        finite |= x != -INFINITY;
        if (outranks(x, i, best, best_id)) {
            best = x;
            best_id = i;
        }
    };
    const int groups = vocab / kWidth;
    for (int g = threadIdx.x; g < groups; g += blockDim.x) {
        const Floats<kWidth> f = load_floats<kWidth>(in + static_cast<size_t>(g) * kWidth);
#pragma unroll
        for (int j = 0; j < kWidth; ++j) {
            visit(f.v[j], g * kWidth + j);
        }
    }
    for (int i = groups * kWidth + threadIdx.x; i < vocab; i += blockDim.x) {
        visit(in[i], i);
    }
    const int bad_count = block_count(bad);
    const int finite_count = block_count(finite);
    block_argmax(best, best_id, select);
    if (threadIdx.x == 0) {
        const int row_status = bad_count > 0 ? kSampleBadLogit : finite_count > 0 ? kSampleOk : kSampleAllMasked;
        *status = row_status;
        *token = row_status == kSampleOk ? best_id : -1;
    }
}

// grid: [rows], block: 512. logits [rows, vocab] float32; params [rows]; masks [numMasks, mask_words] uint32
// (null when no row has one); scratch [rows, vocab] float32 (the working scores); tokens [rows] and status [rows]
// out.
__device__ void sample_rows(const float* logits, int vocab, const SamplingRow* params, const unsigned* masks,
                            int mask_words, float* scratch, int* tokens, int* status) {
    __shared__ SelectScratch select;
    const int row = blockIdx.x;
    const float* in = logits + static_cast<size_t>(row) * vocab;
    float* s = scratch + static_cast<size_t>(row) * vocab;
    const SamplingRow p = params[row];
    if (p.greedy && p.mask_row < 0) {
        // 16-byte loads when every row starts 16-byte aligned (vector_access.cuh)
        if (vocab % 4 == 0 && (reinterpret_cast<uintptr_t>(logits) & 15) == 0) {
            greedy_row<4>(in, vocab, tokens + row, status + row, select);
        } else {
            greedy_row<1>(in, vocab, tokens + row, status + row, select);
        }
        return;
    }
    const int check = check_row(in, vocab);
    if (check != kSampleOk) {
        if (threadIdx.x == 0) {
            status[row] = check;
            tokens[row] = -1;
        }
        return;
    }
    const unsigned* mask = p.mask_row < 0 ? nullptr : masks + static_cast<size_t>(p.mask_row) * mask_words;
    float best = -INFINITY;
    int best_id = INT_MAX;
    bool finite_allowed = false;
    const float divisor = p.greedy ? 1.f : p.temperature;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        const bool ok = allowed(mask, i);
        finite_allowed |= ok && in[i] != -INFINITY;
        const float score = ok ? in[i] / divisor : -INFINITY;
        s[i] = score;
        if (outranks(score, i, best, best_id)) {
            best = score;
            best_id = i;
        }
    }
    // With a mask, the CPU's rule: some allowed raw logit must be finite (check_row saw a finite one, maybe masked).
    if (mask != nullptr && block_count(finite_allowed) == 0) {
        if (threadIdx.x == 0) {
            status[row] = kSampleAllMasked;
            tokens[row] = -1;
        }
        return;
    }
    block_argmax(best, best_id, select);
    if (p.greedy || best == INFINITY) {
        if (threadIdx.x == 0) {
            status[row] = best == INFINITY ? kSampleOverflow : kSampleOk;
            tokens[row] = best == INFINITY ? -1 : best_id;
        }
        return;
    }
    const float max_score = best;
    if (p.top_k > 0 && p.top_k < vocab) {
        keep_top_k(s, vocab, p.top_k, select);
    }
    if (p.top_p < 1.0) {
        keep_top_p(s, vocab, p.top_p, max_score, select);
    }
    if (p.min_p > 0.0) {
        const double log_min_p = log(p.min_p);
        for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
            if (static_cast<double>(s[i]) - max_score < log_min_p) {
                s[i] = -INFINITY;
            }
        }
    }
    __syncthreads();  // the draw reads ids other threads wrote
    const int token = draw_inverse_cdf(s, vocab, max_score,
                                       counter_uniform(p.seed, static_cast<uint64_t>(p.counter)), select);
    if (threadIdx.x == 0) {
        status[row] = kSampleOk;
        tokens[row] = token;
    }
}

// Log-probabilities under the log-softmax of the raw logits: normalizer = max + log(sum(exp(x - max))) in double;
// chosen_logprob[row] = logits[row, chosen[row]] - normalizer; the top_n best tokens (ties: lower id first) with
// their log-probabilities, best first. top_n may be 0 (scoring: the chosen token is the next prompt token).
// grid: [rows], block: 512. top_ids, top_logprobs [rows, top_n].
__device__ void token_logprobs(const float* logits, int vocab, const int* chosen, int top_n, double* chosen_logprob,
                               int* top_ids, double* top_logprobs, int* status) {
    __shared__ SelectScratch select;
    const int row = blockIdx.x;
    const float* in = logits + static_cast<size_t>(row) * vocab;
    // The chosen ids may come straight from sample_rows on the device (steps in flight): a failed draw left -1.
    const int chosen_id = chosen[row];
    const int check = chosen_id < 0 || chosen_id >= vocab ? kSampleBadToken : check_row(in, vocab);
    if (threadIdx.x == 0) {
        status[row] = check;
    }
    if (check != kSampleOk) {
        return;
    }
    float max_value = -INFINITY;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        max_value = fmaxf(max_value, in[i]);
    }
    max_value = block_max(max_value, select.values);
    double sum = 0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        sum += exp(static_cast<double>(in[i]) - max_value);
    }
    const double normalizer = max_value + log(block_sum(sum, select.sums));
    if (threadIdx.x == 0) {
        chosen_logprob[row] = static_cast<double>(in[chosen_id]) - normalizer;
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
