// Flood's kernels: thin extern "C" entry points over the device code in the headers, one per launchable kernel.
// The Java side (dev.flood.backend.cuda.Kernels) is the one place that knows these names, their parameters and
// their launch shapes; keep the two in step.
#include "attention_merge.cuh"
#include "decode_attention.cuh"
#include "cache_write.cuh"
#include "deferred_tokens.cuh"
#include "elementwise.cuh"
#include "embedding.cuh"
#include "log_softmax_gather.cuh"
#include "moe_combine.cuh"
#include "moe_group.cuh"
#include "moe_grouped_gemm.cuh"
#include "moe_route.cuh"
#include "quantize_fp8.cuh"
#include "rms_norm.cuh"
#include "rotary.cuh"
#include "rotary_cache.cuh"
#include "sampling.cuh"
#include "segment_attention.cuh"
#include "segment_attention_sm90.cuh"
#include "silu_mul.cuh"

using flood::bf16;

extern "C" __global__ void flood_embedding(const bf16* table, const int* token_ids, float* out, int width) {
    flood::embedding(table, token_ids, out, width);
}

extern "C" __global__ void flood_resolve_tokens(int* token_ids, const int* sources, const int* drawn, int rows,
                                                int vocab) {
    flood::resolve_tokens(token_ids, sources, drawn, rows, vocab);
}

extern "C" __global__ void flood_rms_norm(const float* x, const float* weight, float eps, bf16* out, int width) {
    flood::rms_norm(x, weight, eps, out, width);
}

extern "C" __global__ void flood_add_rms_norm(float* residual, const float* x, const float* weight, float eps,
                                              bf16* out, int width) {
    flood::add_rms_norm(residual, x, weight, eps, out, width);
}

extern "C" __global__ void flood_head_rms_norm(float* x, int stride, int first_column, int num_heads, int head_dim,
                                               const float* weight, float eps, int rows) {
    flood::head_rms_norm(x, stride, first_column, num_heads, head_dim, weight, eps, rows);
}

extern "C" __global__ void flood_rotary(float* qkv, int stride, int num_rotated_heads, int head_dim,
                                        const int* positions, const float* cos_table, const float* sin_table) {
    flood::rotary(qkv, stride, num_rotated_heads, head_dim, positions, cos_table, sin_table);
}

extern "C" __global__ void flood_cache_write(const float* qkv, int stride, int k_column, int v_column, int kv_size,
                                             const int* slot_mapping, bf16* key_cache, bf16* value_cache) {
    flood::cache_write(qkv, stride, k_column, v_column, kv_size, slot_mapping, key_cache, value_cache);
}

extern "C" __global__ void flood_rotary_cache_write(float* qkv, int stride, int num_heads, int num_kv_heads,
                                                    int head_dim, const int* positions, const float* cos_table,
                                                    const float* sin_table, const int* slot_mapping, bf16* key_cache,
                                                    bf16* value_cache) {
    flood::rotary_cache_write(qkv, stride, num_heads, num_kv_heads, head_dim, positions, cos_table, sin_table,
                              slot_mapping, key_cache, value_cache);
}

extern "C" __global__ void flood_silu_mul(const float* gate_up, bf16* out, int rows, int width) {
    flood::silu_mul(gate_up, out, rows, width);
}

extern "C" __global__ void flood_silu_mul_bf16(const bf16* gate_up, bf16* out, int rows, int width) {
    flood::silu_mul(gate_up, out, rows, width);
}

extern "C" __global__ void flood_add_bias(float* out, const float* bias, int cols) {
    flood::add_bias(out, bias, cols);
}

extern "C" __global__ void flood_add_f32(float* out, const float* in, long long count) {
    flood::add_f32(out, in, count);
}

extern "C" __global__ void flood_to_bf16(const float* in, bf16* out, long long count) {
    flood::to_bf16(in, out, count);
}

extern "C" __global__ void flood_quantize_fp8_rows(const bf16* x, int cols, uint8_t* codes, float* scales) {
    flood::quantize_fp8_rows(x, cols, codes, scales);
}

extern "C" __global__ void flood_quantize_fp8_groups(const bf16* x, int rows, int cols, uint8_t* codes,
                                                     float* scales) {
    flood::quantize_fp8_groups(x, rows, cols, codes, scales);
}

extern "C" __global__ void flood_quantize_fp8_blocks(const bf16* w, int cols, uint8_t* codes, float* scales,
                                                     int scale_stride) {
    flood::quantize_fp8_blocks(w, cols, codes, scales, scale_stride);
}

extern "C" __global__ void flood_widen_bf16(const bf16* in, float* out, long long count) {
    flood::widen_bf16(in, out, count);
}

extern "C" __global__ void flood_gather_rows(const uint16_t* in, const int* rows, uint16_t* out, int row_units) {
    flood::gather_rows(in, rows, out, row_units);
}

extern "C" __global__ void flood_fill_uniform_bf16(bf16* out, long long count, unsigned long long seed, float low,
                                                   float high) {
    flood::fill_uniform(out, count, seed, low, high);
}

extern "C" __global__ void flood_fill_uniform_f32(float* out, long long count, unsigned long long seed, float low,
                                                  float high) {
    flood::fill_uniform(out, count, seed, low, high);
}

// Segment attention, one entry point per (variant, head dim). "prefill": 4 warps, 64 packed rows, 64-token K/V
// tiles in two stages (segment_attention.cuh); "decode": 2 warps, up to 16 packed rows, 32-token tiles in two
// stages (decode_attention.cuh), at most 170 registers so that six blocks fit an SM. Parameters as AttentionArgs,
// in order (the sliding window last).
#define FLOOD_ATTENTION_ENTRY(NAME, BOUNDS, BODY)                                                                   \
    extern "C" __global__ void BOUNDS NAME(                                                                         \
        const float* qkv, int qkv_stride, const bf16* key_cache, const bf16* value_cache, int kv_size, int group,  \
        float scale_log2, const int* cu_seqlens_q, const int* context_lens, const int* cu_extents,                 \
        const int* extent_starts, const int* extent_lengths, const flood::AttentionWork* work, bf16* out,          \
        int out_stride, float* partial_out, float* partial_max_sum, int window) {                                   \
        const flood::AttentionArgs args{qkv, qkv_stride, key_cache, value_cache, kv_size, group, scale_log2,        \
                                        cu_seqlens_q, context_lens, cu_extents, extent_starts, extent_lengths,     \
                                        work, out, out_stride, partial_out, partial_max_sum, window};              \
        BODY(args);                                                                                                 \
    }
#define FLOOD_ATTENTION(NAME, HEAD_DIM) \
    FLOOD_ATTENTION_ENTRY(NAME, __launch_bounds__(128), (flood::segment_attention<HEAD_DIM, 4, 64, 2>))
#define FLOOD_DECODE_ATTENTION(NAME, HEAD_DIM) \
    FLOOD_ATTENTION_ENTRY(NAME, __launch_bounds__(64, 6), flood::decode_attention<HEAD_DIM>)

FLOOD_ATTENTION(flood_attention_prefill_d16, 16)
FLOOD_ATTENTION(flood_attention_prefill_d32, 32)
FLOOD_ATTENTION(flood_attention_prefill_d64, 64)
FLOOD_ATTENTION(flood_attention_prefill_d128, 128)
FLOOD_DECODE_ATTENTION(flood_attention_decode_d16, 16)
FLOOD_DECODE_ATTENTION(flood_attention_decode_d32, 32)
FLOOD_DECODE_ATTENTION(flood_attention_decode_d64, 64)
FLOOD_DECODE_ATTENTION(flood_attention_decode_d128, 128)

// Hopper prefill (segment_attention_sm90.cuh): a persistent, warp-specialized wgmma kernel (a producer and 2 consumer
// warpgroups, 384 threads, 128 packed rows, 128-token K/V tiles, one block per SM for its registers and 225 KB of
// shared memory) on a 1-D grid of at most one block per SM that loops over num_work x num_kv_heads items;
// parameters as AttentionArgs, then num_work and num_kv_heads. Its wgmma code exists only in the sm_90a build; the
// host launches it only on compute capability 9.x, and elsewhere the entry point traps.
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define FLOOD_ATTENTION_SM90_BODY(HEAD_DIM) flood::segment_attention_sm90<HEAD_DIM>(args, num_work, num_kv_heads);
#else
#define FLOOD_ATTENTION_SM90_BODY(HEAD_DIM) \
    (void)args;                              \
    (void)num_work;                          \
    (void)num_kv_heads;                      \
    __trap();
#endif
#define FLOOD_ATTENTION_SM90(NAME, HEAD_DIM)                                                                         \
    extern "C" __global__ void __launch_bounds__(384, 1) NAME(                                                      \
        const float* qkv, int qkv_stride, const bf16* key_cache, const bf16* value_cache, int kv_size, int group,  \
        float scale_log2, const int* cu_seqlens_q, const int* context_lens, const int* cu_extents,                 \
        const int* extent_starts, const int* extent_lengths, const flood::AttentionWork* work, bf16* out,          \
        int out_stride, float* partial_out, float* partial_max_sum, int window, int num_work, int num_kv_heads) {  \
        const flood::AttentionArgs args{qkv, qkv_stride, key_cache, value_cache, kv_size, group, scale_log2,        \
                                        cu_seqlens_q, context_lens, cu_extents, extent_starts, extent_lengths,     \
                                        work, out, out_stride, partial_out, partial_max_sum, window};              \
        FLOOD_ATTENTION_SM90_BODY(HEAD_DIM)                                                                         \
    }

FLOOD_ATTENTION_SM90(flood_attention_prefill_sm90_d64, 64)
FLOOD_ATTENTION_SM90(flood_attention_prefill_sm90_d128, 128)

extern "C" __global__ void flood_attention_merge(const flood::AttentionMerge* merges, const int* cu_seqlens_q,
                                                 int group, int head_dim, const float* partial_out,
                                                 const float* partial_max_sum, bf16* out, int out_stride) {
    flood::attention_merge(merges, cu_seqlens_q, group, head_dim, partial_out, partial_max_sum, out, out_stride);
}

extern "C" __global__ void __launch_bounds__(512) flood_sample_rows(const float* logits, int vocab,
                                                                     const flood::SamplingRow* params,
                                                                     const unsigned* masks, int mask_words,
                                                                     float* scratch, int* tokens, int* status) {
    flood::sample_rows(logits, vocab, params, masks, mask_words, scratch, tokens, status);
}

extern "C" __global__ void __launch_bounds__(512) flood_token_logprobs(const float* logits, int vocab,
                                                                        const int* chosen, int top_n,
                                                                        double* chosen_logprob, int* top_ids,
                                                                        double* top_logprobs, int* status) {
    flood::token_logprobs(logits, vocab, chosen, top_n, chosen_logprob, top_ids, top_logprobs, status);
}

extern "C" __global__ void __launch_bounds__(512) flood_log_softmax_gather(const float* logits, int vocab,
                                                                            const int* targets, int top_n,
                                                                            double* logprob, int* top_ids,
                                                                            double* top_logprobs, int* status) {
    flood::log_softmax_gather(logits, vocab, targets, top_n, logprob, top_ids, top_logprobs, status);
}

// Mixture-of-experts layers (moe_*.cuh; the Java side is MoeKernels): routing, grouping the pairs by expert, the
// grouped expert GEMM in 64- or 128-row tiles, and the weighted combine.
extern "C" __global__ void flood_moe_route(const float* logits, int num_tokens, int num_experts, int top_k,
                                           int renormalize, int* experts, float* weights) {
    flood::moe_route(logits, num_tokens, num_experts, top_k, renormalize, experts, weights);
}

extern "C" __global__ void __launch_bounds__(1024) flood_moe_group(const int* experts, int num_pairs, int num_experts,
                                                                    int tile_rows, int* expert_offsets,
                                                                    int* tile_offsets, int* sorted_pairs) {
    flood::moe_group(experts, num_pairs, num_experts, tile_rows, expert_offsets, tile_offsets, sorted_pairs);
}

#define FLOOD_MOE_GEMM(NAME, ROWS)                                                                                  \
    extern "C" __global__ void __launch_bounds__(128, 2) NAME(                                                     \
        const bf16* a, int a_divisor, const bf16* weight, int n, int k, float* c, const int* sorted_pairs,         \
        const int* expert_offsets, const int* tile_offsets, int num_experts) {                                     \
        const flood::ExpertGemmArgs args{a, a_divisor, weight, n, k, c, sorted_pairs, expert_offsets, tile_offsets, \
                                         num_experts};                                                             \
        flood::expert_gemm<ROWS>(args);                                                                            \
    }

FLOOD_MOE_GEMM(flood_moe_gemm_m64, 64)
FLOOD_MOE_GEMM(flood_moe_gemm_m128, 128)

extern "C" __global__ void flood_moe_combine(const float* expert_out, const int* experts, const float* weights,
                                             int top_k, int width, float* out) {
    flood::moe_combine(expert_out, experts, weights, top_k, width, out);
}
