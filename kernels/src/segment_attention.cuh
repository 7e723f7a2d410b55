// Causal attention over the segment KV cache on tensor cores (mma.sync): the portable prefill and long-append
// kernel, and the pieces decode_attention.cuh shares (work items, arguments, extents, K/V tile copies).
//
// Packed rows: for one request and one KV head, the G = num_heads / num_kv_heads query heads that share it are
// packed into rows, row = token * G + head_in_group (token = the request's query token, 0-based). A request
// with q query tokens has q * G rows per KV head; its token i sits at position context_len - q + i and attends
// to context tokens 0 .. position (causal, aligned bottom-right), or with a sliding window of W tokens to
// position - W + 1 .. position only (window 0: none). Packing the group into rows reads each K/V
// tile once for all G heads.
//
// A block runs one work item (grid.x) for one KV head (grid.y): 16 * kWarps packed rows of one request against
// the context tokens [kv_begin, kv_end). Each warp owns 16 rows. K/V tiles of kBlockN tokens stream through
// kStages shared-memory stages (cp.async; tiles t+1 .. t+kStages-1 in flight while tile t is computed) while the
// warps compute S = Q Kᵀ and O += P V with mma.sync and an online softmax in float32 (scores in log2 units:
// s * scale * log2(e), so exp2 replaces exp). The prefill variant takes two stages. (Until version 9 of
// kernels/NOTES.md this kernel also ran decode with one warp; four stages there read 25-40% slower, version 7.)
//
// Context token j of a request lives at the slot found by walking its extents in order; a K/V row is then
// key_cache[slot * kv_size + kv_head * kHeadDim .. + kHeadDim).
//
// A work item's keys [kv_begin, kv_end) start at its first row's window start (the plan's); a warp skips the K/V
// tiles that lie wholly before its own first row's window, and masks keys outside each row's window.
//
// Output: a work item that covers its rows' whole context (partial_row < 0) writes normalized rows to `out`;
// one KV split of several writes its unnormalized accumulator and (max, sum) to the partial buffers, which
// attention_merge combines.
#pragma once

#include <climits>

#include "mma.cuh"

namespace flood {

// Most extents one request may have; the host checks it (the engine uses at most 8).
constexpr int kMaxExtents = 16;

// One block's work: int[8] on the device.
struct AttentionWork {
    int seq;          // request index
    int row_start;    // first packed row
    int num_rows;     // packed rows, at most 16 * kWarps
    int kv_begin;     // first context token of this split
    int kv_end;       // one past the last context token of this split (<= the rows' last position + 1)
    int partial_row;  // -1: write `out`; else the split's first row in the partial buffers
    int q_start;      // cu_seqlens_q[seq]: the request's first query token in qkv / out
    int first_position;  // context_lens[seq] - query length: the position of that token
};

// The step's layout and buffers; a kernel parameter (by value).
struct AttentionArgs {
    const float* qkv;         // [num_tokens, qkv_stride] float32, queries at column 0, head-major
    int qkv_stride;
    const bf16* key_cache;    // [capacity_tokens, kv_size]
    const bf16* value_cache;  // [capacity_tokens, kv_size]
    int kv_size;              // num_kv_heads * head_dim
    int group;                // G, query heads per KV head
    float scale_log2;         // softmax scale * log2(e)
    const int* cu_seqlens_q;  // [num_seqs + 1]
    const int* context_lens;  // [num_seqs]
    const int* cu_extents;    // [num_seqs + 1]
    const int* extent_starts; // [num_extents]
    const int* extent_lengths;// [num_extents]
    const AttentionWork* work;
    bf16* out;                // [num_tokens, out_stride], head h at column h * head_dim
    int out_stride;
    float* partial_out;       // [partial_rows, num_kv_heads, head_dim]
    float* partial_max_sum;   // [partial_rows, num_kv_heads, 2]: running max (log2 units), sum of exp2
    int window;               // sliding window in tokens: a key is masked when position - key >= window; 0: none
};

// Whether key `key` lies outside the sliding window of a row at `position` (never without a window).
__device__ __forceinline__ bool outside_window(int position, int key, int window) {
    return window > 0 && position - key >= window;
}

template <int kHeadDim, int kWarps, int kBlockN, int kStages>
struct AttentionTile {
    static_assert(kHeadDim % 16 == 0 && kBlockN % 16 == 0, "mma tiles are 16 wide");
    static_assert(kStages >= 2, "a tile in flight while one is computed");
    static constexpr int kRows = 16 * kWarps;
    static constexpr int kThreads = 32 * kWarps;
    // Shared-memory row stride in bf16: 16 bytes of padding put the 8 rows one ldmatrix reads in 8 different
    // 16-byte bank groups.
    static constexpr int kStride = kHeadDim + 8;
    static constexpr int kSharedBytes = (kRows + 2 * kStages * kBlockN) * kStride * 2;  // Q, then K and V stages
};

__device__ __forceinline__ int extent_slot(int token, int num_extents, const int* starts, const int* first_tokens) {
    int e = 0;
    while (e + 1 < num_extents && token >= first_tokens[e + 1]) {
        ++e;
    }
    return starts[e] + (token - first_tokens[e]);
}

// The slots of a tile's tokens: most tiles lie in one extent, where token t sits at slot base + t for t < end;
// past end, slot() walks the extents.
struct ExtentRun {
    int end;
    int base;

    __device__ __forceinline__ int slot(int token, int num_extents, const int* starts, const int* first_tokens) const {
        return token < end ? base + token : extent_slot(token, num_extents, starts, first_tokens);
    }
};

// The run of the extent holding context token tile_start.
__device__ __forceinline__ ExtentRun extent_run(int tile_start, int num_extents, const int* starts,
                                                const int* first_tokens) {
    int extent = 0;
    while (extent + 1 < num_extents && tile_start >= first_tokens[extent + 1]) {
        ++extent;
    }
    return ExtentRun{extent + 1 < num_extents ? first_tokens[extent + 1] : INT_MAX,
                     starts[extent] - first_tokens[extent]};
}

// The first warp reads a request's extents into shared memory, a lane each (one round trip, not one per extent),
// and scans their lengths into each extent's first context index. The caller synchronizes the block after.
__device__ __forceinline__ void read_extents(const AttentionArgs& a, int first_extent, int num_extents,
                                             int* extent_starts, int* extent_first_tokens) {
    static_assert(kMaxExtents <= kWarpSize, "a lane per extent");
    if (threadIdx.x < kWarpSize) {
        const int e = threadIdx.x;
        const int length = e < num_extents ? a.extent_lengths[first_extent + e] : 0;
        int end = length;  // inclusive scan: the context index one past extent e
#pragma unroll
        for (int offset = 1; offset < kWarpSize; offset *= 2) {
            const int before = __shfl_up_sync(kFullMask, end, offset);
            end += e >= offset ? before : 0;
        }
        if (e < num_extents) {
            extent_starts[e] = a.extent_starts[first_extent + e];
            extent_first_tokens[e] = end - length;
        }
    }
}

// Copies the K and V rows of context tokens [tile_start, tile_start + kBlockN) of one KV head (head_offset =
// kv_head * kHeadDim) into shared rows of kStride bf16, zeros for tokens at or past kv_end, as one committed
// cp.async group per thread.
template <int kHeadDim, int kBlockN, int kStride, int kThreads>
__device__ __forceinline__ void copy_kv_tile(const AttentionArgs& a, size_t head_offset, int tile_start, int kv_end,
                                             int num_extents, const int* extent_starts,
                                             const int* extent_first_tokens, bf16* k_dst, bf16* v_dst) {
    constexpr int kChunks = kHeadDim / 8;  // 16-byte chunks per K/V row
    const ExtentRun run = extent_run(tile_start, num_extents, extent_starts, extent_first_tokens);
    for (int c = threadIdx.x; c < kBlockN * kChunks; c += kThreads) {
        const int row = c / kChunks;
        const int column = (c % kChunks) * 8;
        const int token = tile_start + row;
        const bool valid = token < kv_end;
        const int slot = run.slot(token, num_extents, extent_starts, extent_first_tokens);
        const size_t source = valid ? static_cast<size_t>(slot) * a.kv_size + head_offset + column : 0;
        cp_async_16(k_dst + row * kStride + column, a.key_cache + source, valid);
        cp_async_16(v_dst + row * kStride + column, a.value_cache + source, valid);
    }
    cp_async_commit();
}

template <int kHeadDim, int kWarps, int kBlockN, int kStages>
__device__ void segment_attention(const AttentionArgs& a) {
    using Tile = AttentionTile<kHeadDim, kWarps, kBlockN, kStages>;
    constexpr int kStride = Tile::kStride;
    constexpr int kKSteps = kHeadDim / 16;   // k-steps of Q Kᵀ
    constexpr int kDTiles = kHeadDim / 8;    // n-tiles of O
    constexpr int kNTiles = kBlockN / 8;     // n-tiles of S

    extern __shared__ __align__(16) unsigned char shared_raw[];
    bf16* q_s = reinterpret_cast<bf16*>(shared_raw);   // [kRows][kStride]
    bf16* k_s = q_s + Tile::kRows * kStride;           // [kStages][kBlockN][kStride]
    bf16* v_s = k_s + kStages * kBlockN * kStride;     // [kStages][kBlockN][kStride]
    __shared__ int extent_starts[kMaxExtents];
    __shared__ int extent_first_tokens[kMaxExtents];   // context index of each extent's first slot

    const AttentionWork work = a.work[blockIdx.x];
    const int kv_head = blockIdx.y;
    const int q_start = a.cu_seqlens_q[work.seq];
    const int q_len = a.cu_seqlens_q[work.seq + 1] - q_start;
    const int first_position = a.context_lens[work.seq] - q_len;  // position of query token 0
    const int first_extent = a.cu_extents[work.seq];
    const int num_extents = a.cu_extents[work.seq + 1] - first_extent;

    read_extents(a, first_extent, num_extents, extent_starts, extent_first_tokens);
    // Q tile: packed row r is query token (row_start + r) / G, head kv_head * G + (row_start + r) % G.
    for (int c = threadIdx.x; c < Tile::kRows * (kHeadDim / 4); c += Tile::kThreads) {
        const int r = c / (kHeadDim / 4);
        const int column = (c % (kHeadDim / 4)) * 4;
        float4 q = make_float4(0.f, 0.f, 0.f, 0.f);
        if (r < work.num_rows) {
            const int packed = work.row_start + r;
            const int head = kv_head * a.group + packed % a.group;
            q = *reinterpret_cast<const float4*>(
                a.qkv + static_cast<size_t>(q_start + packed / a.group) * a.qkv_stride + head * kHeadDim + column);
        }
        uint32_t* dst = reinterpret_cast<uint32_t*>(q_s + r * kStride + column);
        dst[0] = pack_bf16x2(q.x, q.y);
        dst[1] = pack_bf16x2(q.z, q.w);
    }
    __syncthreads();

    const int kv_begin = work.kv_begin;
    const int kv_end = work.kv_end;
    const size_t head_offset = static_cast<size_t>(kv_head) * kHeadDim;
    auto load_tile = [&](int stage, int tile_start) {
        copy_kv_tile<kHeadDim, kBlockN, kStride, Tile::kThreads>(a, head_offset, tile_start, kv_end, num_extents,
                                                                  extent_starts, extent_first_tokens,
                                                                  k_s + stage * kBlockN * kStride,
                                                                  v_s + stage * kBlockN * kStride);
    };
    const int num_tiles = (kv_end - kv_begin + kBlockN - 1) / kBlockN;
    // Tiles 0 .. kStages-2 in flight before the loop; every iteration commits one group (empty past the last
    // tile), so "all but the newest kStages-1 groups landed" always means tile t landed.
#pragma unroll
    for (int stage = 0; stage < kStages - 1; ++stage) {
        if (stage < num_tiles) {
            load_tile(stage, kv_begin + stage * kBlockN);
        } else {
            cp_async_commit();
        }
    }

    const int warp = threadIdx.x / kWarpSize;
    const int lane = threadIdx.x % kWarpSize;
    const int group_row = lane >> 2;  // g: this thread's rows are g and g + 8 of the warp's 16
    const int pair = lane & 3;        // t: this thread's columns are 2t and 2t + 1 of each 8-wide n-tile
    const int warp_row = warp * 16;
    const bool warp_active = warp_row < work.num_rows;
    const int last_row = min(warp_row + 15, work.num_rows - 1);
    // Padding rows (past num_rows) get position -1: every key is masked for them.
    int position[2];
    for (int i = 0; i < 2; ++i) {
        const int r = warp_row + group_row + 8 * i;
        position[i] = r < work.num_rows ? first_position + (work.row_start + r) / a.group : -1;
    }
    const int warp_max_position = warp_active ? first_position + (work.row_start + last_row) / a.group : -1;
    const int warp_min_position = warp_row + 16 <= work.num_rows
        ? first_position + (work.row_start + warp_row) / a.group : -1;
    // The warp's first row has the earliest window: a tile ending before it has no key any row of the warp sees.
    const int warp_window_start = warp_active && a.window > 0
        ? first_position + (work.row_start + warp_row) / a.group - a.window + 1 : INT_MIN;

    uint32_t q_frag[kKSteps][4];
    if (warp_active) {
        for (int kk = 0; kk < kKSteps; ++kk) {
            ldmatrix_x4(q_frag[kk], q_s + (warp_row + (lane & 7) + ((lane >> 3) & 1) * 8) * kStride
                                        + kk * 16 + ((lane >> 4) & 1) * 8);
        }
    }

    float acc[kDTiles][4];
#pragma unroll
    for (int dt = 0; dt < kDTiles; ++dt) {
        acc[dt][0] = acc[dt][1] = acc[dt][2] = acc[dt][3] = 0.f;
    }
    float row_max[2] = {-INFINITY, -INFINITY};
    float row_sum[2] = {0.f, 0.f};  // this thread's columns only; summed over the quad at the end

    for (int t = 0; t < num_tiles; ++t) {
        const int tile_start = kv_begin + t * kBlockN;
        if (t + kStages - 1 < num_tiles) {
            load_tile((t + kStages - 1) % kStages, tile_start + (kStages - 1) * kBlockN);
        } else {
            cp_async_commit();
        }
        cp_async_wait<kStages - 1>();
        __syncthreads();
        if (warp_active && tile_start <= warp_max_position && tile_start + kBlockN - 1 >= warp_window_start) {
            const bf16* k_tile = k_s + (t % kStages) * kBlockN * kStride;
            const bf16* v_tile = v_s + (t % kStages) * kBlockN * kStride;
            float s[kNTiles][4];
#pragma unroll
            for (int nt = 0; nt < kNTiles; ++nt) {
                s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.f;
            }
#pragma unroll
            for (int kk = 0; kk < kKSteps; ++kk) {
#pragma unroll
                for (int np = 0; np < kNTiles / 2; ++np) {
                    // matrices: (tokens np*16 + 0..7, dims kk*16 + 0..7), (same tokens, dims + 8),
                    //           (tokens + 8, dims), (tokens + 8, dims + 8)
                    uint32_t b[4];
                    ldmatrix_x4(b, k_tile + (np * 16 + (lane & 7) + ((lane >> 4) & 1) * 8) * kStride
                                       + kk * 16 + ((lane >> 3) & 1) * 8);
                    mma_bf16_16816(s[2 * np], q_frag[kk], b[0], b[1]);
                    mma_bf16_16816(s[2 * np + 1], q_frag[kk], b[2], b[3]);
                }
            }
            const bool needs_mask = tile_start + kBlockN - 1 > warp_min_position || tile_start + kBlockN > kv_end
                                    || outside_window(warp_max_position, tile_start, a.window);
#pragma unroll
            for (int nt = 0; nt < kNTiles; ++nt) {
#pragma unroll
                for (int c = 0; c < 4; ++c) {
                    s[nt][c] *= a.scale_log2;
                    if (needs_mask) {
                        const int key = tile_start + nt * 8 + pair * 2 + (c & 1);
                        if (key > position[c >> 1] || key >= kv_end
                            || outside_window(position[c >> 1], key, a.window)) {
                            s[nt][c] = -INFINITY;
                        }
                    }
                }
            }
#pragma unroll
            for (int i = 0; i < 2; ++i) {
                float tile_max = -INFINITY;
#pragma unroll
                for (int nt = 0; nt < kNTiles; ++nt) {
                    tile_max = fmaxf(tile_max, fmaxf(s[nt][2 * i], s[nt][2 * i + 1]));
                }
                tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullMask, tile_max, 1));
                tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullMask, tile_max, 2));
                const float new_max = fmaxf(row_max[i], tile_max);
                // A row with every key so far masked keeps max -inf; subtracting 0 instead keeps exp2 at 0, not NaN.
                const float base = new_max == -INFINITY ? 0.f : new_max;
                const float correction = exp2f(row_max[i] - base);
                row_max[i] = new_max;
                row_sum[i] *= correction;
#pragma unroll
                for (int dt = 0; dt < kDTiles; ++dt) {
                    acc[dt][2 * i] *= correction;
                    acc[dt][2 * i + 1] *= correction;
                }
#pragma unroll
                for (int nt = 0; nt < kNTiles; ++nt) {
                    s[nt][2 * i] = exp2f(s[nt][2 * i] - base);
                    s[nt][2 * i + 1] = exp2f(s[nt][2 * i + 1] - base);
                    row_sum[i] += s[nt][2 * i] + s[nt][2 * i + 1];
                }
            }
#pragma unroll
            for (int kk = 0; kk < kBlockN / 16; ++kk) {
                // The C fragments of S n-tiles 2kk and 2kk+1 are the A fragment of P for tokens kk*16 .. +15.
                const uint32_t p[4] = {pack_bf16x2(s[2 * kk][0], s[2 * kk][1]),
                                       pack_bf16x2(s[2 * kk][2], s[2 * kk][3]),
                                       pack_bf16x2(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                       pack_bf16x2(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
                for (int dp = 0; dp < kDTiles / 2; ++dp) {
                    // transposed matrices: (tokens kk*16 + 0..7, dims dp*16 + 0..7), (tokens + 8, dims),
                    //                      (tokens, dims + 8), (tokens + 8, dims + 8)
                    uint32_t b[4];
                    ldmatrix_x4_trans(b, v_tile + (kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * kStride
                                             + dp * 16 + ((lane >> 4) & 1) * 8);
                    mma_bf16_16816(acc[2 * dp], p, b[0], b[1]);
                    mma_bf16_16816(acc[2 * dp + 1], p, b[2], b[3]);
                }
            }
        }
        __syncthreads();  // every warp is done with this stage before a later iteration refills it
    }

    if (!warp_active) {
        return;
    }
    for (int i = 0; i < 2; ++i) {
        row_sum[i] += __shfl_xor_sync(kFullMask, row_sum[i], 1);
        row_sum[i] += __shfl_xor_sync(kFullMask, row_sum[i], 2);
    }
    for (int i = 0; i < 2; ++i) {
        const int r = warp_row + group_row + 8 * i;
        if (r >= work.num_rows) {
            continue;
        }
        const int packed = work.row_start + r;
        const int head = kv_head * a.group + packed % a.group;
        if (work.partial_row < 0) {
            const float inverse_sum = 1.f / row_sum[i];
            uint32_t* dst = reinterpret_cast<uint32_t*>(
                a.out + static_cast<size_t>(q_start + packed / a.group) * a.out_stride + head * kHeadDim + pair * 2);
#pragma unroll
            for (int dt = 0; dt < kDTiles; ++dt) {
                dst[dt * 4] = pack_bf16x2(acc[dt][2 * i] * inverse_sum, acc[dt][2 * i + 1] * inverse_sum);
            }
        } else {
            const size_t partial = static_cast<size_t>(work.partial_row + r) * gridDim.y + kv_head;
            float2* dst = reinterpret_cast<float2*>(a.partial_out + partial * kHeadDim + pair * 2);
#pragma unroll
            for (int dt = 0; dt < kDTiles; ++dt) {
                dst[dt * 4] = make_float2(acc[dt][2 * i], acc[dt][2 * i + 1]);
            }
            if (pair == 0) {
                a.partial_max_sum[2 * partial] = row_max[i];
                a.partial_max_sum[2 * partial + 1] = row_sum[i];
            }
        }
    }
}

}  // namespace flood
