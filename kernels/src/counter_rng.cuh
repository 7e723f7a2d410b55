// The counter-based draw of dev.flood.sampling.CounterRng, bit for bit: SplitMix64 read at a random-access
// position, so a request's draw at generation step n is a pure function of (seed, n) on any backend.
#pragma once

#include <stdint.h>

namespace flood {

__device__ __forceinline__ uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// uniform(seed, counter) in [0, 1): the top 53 bits of the counter-th SplitMix64 output from mix64(seed).
__device__ __forceinline__ double counter_uniform(uint64_t seed, uint64_t counter) {
    const uint64_t state = mix64(seed);
    const uint64_t bits = mix64(state + (counter + 1) * 0x9E3779B97F4A7C15ull);
    return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

}  // namespace flood
