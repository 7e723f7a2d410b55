// Combines the KV splits of segment_attention: out = sum_s w_s O_s / sum_s w_s l_s with w_s = exp2(m_s - max_s m_s),
// where split s left its unnormalized accumulator O_s, running max m_s (log2 units) and sum l_s. A split that saw
// no unmasked key has m_s = -inf and weight 0; the split that holds a row's own position always has keys for it (with
// or without a sliding window), so max_s m_s is finite.
#pragma once

#include "segment_attention.cuh"

namespace flood {

// One tile whose KV range was split: int[8] on the device. Split s of packed row r is partial row
// first_partial_row + s * num_rows + r.
struct AttentionMerge {
    int seq;
    int row_start;
    int num_rows;
    int first_partial_row;
    int num_splits;
    int unused0;
    int unused1;
    int unused2;
};

// grid: [num_merges, num_kv_heads], block: any multiple of 32. A thread combines 4 adjacent dims of a row (head_dim
// is a multiple of 4), so each split's weight is computed once per 4 outputs and the partials are read 16 bytes at a
// time.
__device__ void attention_merge(const AttentionMerge* merges, const int* cu_seqlens_q, int group, int head_dim,
                                const float* partial_out, const float* partial_max_sum, bf16* out, int out_stride) {
    const AttentionMerge merge = merges[blockIdx.x];
    const int kv_head = blockIdx.y;
    const int num_kv_heads = gridDim.y;
    const int q_start = cu_seqlens_q[merge.seq];
    const int quads = head_dim / 4;
    for (int item = threadIdx.x; item < merge.num_rows * quads; item += blockDim.x) {
        const int r = item / quads;
        const int d = (item % quads) * 4;
        float max_all = -INFINITY;
        for (int s = 0; s < merge.num_splits; ++s) {
            const size_t partial = static_cast<size_t>(merge.first_partial_row + s * merge.num_rows + r) * num_kv_heads
                                   + kv_head;
            max_all = fmaxf(max_all, partial_max_sum[2 * partial]);
        }
        float4 numerator = make_float4(0.f, 0.f, 0.f, 0.f);
        float denominator = 0.f;
        for (int s = 0; s < merge.num_splits; ++s) {
            const size_t partial = static_cast<size_t>(merge.first_partial_row + s * merge.num_rows + r) * num_kv_heads
                                   + kv_head;
            const float weight = exp2f(partial_max_sum[2 * partial] - max_all);
            const float4 o = *reinterpret_cast<const float4*>(partial_out + partial * head_dim + d);
            numerator.x += weight * o.x;
            numerator.y += weight * o.y;
            numerator.z += weight * o.z;
            numerator.w += weight * o.w;
            denominator += weight * partial_max_sum[2 * partial + 1];
        }
        const int packed = merge.row_start + r;
        const int head = kv_head * group + packed % group;
        uint2 values;
        values.x = pack_bf16x2(numerator.x / denominator, numerator.y / denominator);
        values.y = pack_bf16x2(numerator.z / denominator, numerator.w / denominator);
        *reinterpret_cast<uint2*>(out + static_cast<size_t>(q_start + packed / group) * out_stride + head * head_dim + d) =
            values;
    }
}

}  // namespace flood
