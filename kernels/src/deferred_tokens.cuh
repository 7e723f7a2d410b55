// Deferred tokens: with steps in flight, a decoding request's next input is the token the previous step drew on
// the device. The step's token ids are patched in place from that step's drawn-token buffer before the embedding
// gathers them, so the token never makes a round trip through the host between steps.
#pragma once

#include "common.cuh"

namespace flood {

// token_ids [rows] int32, in place: row t with sources[t] >= 0 takes drawn[sources[t]]; other rows keep theirs.
// drawn: the previous step's drawn tokens (compact over its device-drawn rows). A drawn id outside [0, vocab)
// (the draw failed: -1) becomes 0, so the embedding never reads outside its table; the engine discards such rows
// with the failed step's requests. grid: [ceil(rows / blockDim.x)], block: any.
__device__ void resolve_tokens(int* token_ids, const int* sources, const int* drawn, int rows, int vocab) {
    const int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= rows || sources[t] < 0) {
        return;
    }
    const int id = drawn[sources[t]];
    token_ids[t] = id >= 0 && id < vocab ? id : 0;
}

}  // namespace flood
