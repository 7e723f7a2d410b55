// Block-level synchronization for warp-specialized kernels (sm_90): shared-memory mbarriers that producers and
// consumers signal per pipeline stage, named barriers between subsets of warps, and register reallocation between
// warpgroups.
//
// An mbarrier counts arrivals towards a phase: initialized with `count`, its current phase completes when `count`
// threads have arrived, and the next phase begins. Phases alternate parity 0, 1, 0, ...; a waiter names the parity
// of the phase it waits for (phase k of a stage's barrier has parity k % 2).
#pragma once

#include "mma.cuh"

namespace flood {

__device__ __forceinline__ void mbarrier_init(uint64_t* barrier, int count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" :: "r"(shared_address(barrier)), "r"(count) : "memory");
}

// One arrival, with release semantics: this thread's earlier memory operations are visible to a thread that
// observes the phase complete.
__device__ __forceinline__ void mbarrier_arrive(uint64_t* barrier) {
    asm volatile("mbarrier.arrive.release.cta.shared::cta.b64 _, [%0];\n" :: "r"(shared_address(barrier)) : "memory");
}

// One arrival that the hardware makes once every cp.async this thread has issued so far has landed (.noinc: the
// arrival is one of the `count` the phase expects, not an extra one). The thread goes on at once. Its writes are in
// the generic proxy: a waiter that reads them with wgmma must fence_proxy_async() after its wait.
__device__ __forceinline__ void cp_async_mbarrier_arrive(uint64_t* barrier) {
    asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" :: "r"(shared_address(barrier)) : "memory");
}

// Spins until the phase of parity `parity` has completed (acquire semantics).
__device__ __forceinline__ void mbarrier_wait(uint64_t* barrier, int parity) {
    asm volatile(
        "{\n.reg .pred done;\nwait_loop:\n"
        "mbarrier.try_wait.parity.acquire.cta.shared::cta.b64 done, [%0], %1;\n"
        "@!done bra wait_loop;\n}\n"
        :: "r"(shared_address(barrier)), "r"(parity) : "memory");
}

// Named barrier `id` (1..15; 0 is __syncthreads) over `threads` threads, a multiple of 32: bar.sync waits until
// that many have arrived (itself included); bar.arrive counts this warp and goes on.
__device__ __forceinline__ void named_barrier_sync(int id, int threads) {
    asm volatile("bar.sync %0, %1;\n" :: "r"(id), "r"(threads) : "memory");
}

__device__ __forceinline__ void named_barrier_arrive(int id, int threads) {
    asm volatile("bar.arrive %0, %1;\n" :: "r"(id), "r"(threads) : "memory");
}

// Lowers (producer) or raises (consumer) this warpgroup's registers per thread; every thread of the warpgroup
// executes it. The kernel must be launched with __launch_bounds__(threads, 1) and the totals must fit 64 K.
template <int kRegisters>
__device__ __forceinline__ void release_registers() {
    asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" :: "n"(kRegisters));
}

template <int kRegisters>
__device__ __forceinline__ void claim_registers() {
    asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" :: "n"(kRegisters));
}

}  // namespace flood
