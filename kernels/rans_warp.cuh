// rans_warp.cuh — one warp decodes one 32-lane rANS stream (codecs/rans):
// shared by the tile-ans and NeuZip-layout decoders. The args type A must
// have word_off[], states[], words, nwords, prob_bits and err (stream k's
// words are word_off[k]..word_off[k+1], its initial states states[32k..]).
#pragma once
#include <cuda_runtime.h>
extern "C" {
#include "codecs/rans/rans.h"
}

// Per-warp decoder state. The tile's word stream is staged through a
// 512-word ring in shared memory (4 chunks of 128 words), filled by
// cp.async three chunks ahead of the read position: no register ever waits
// on a global load inside the step loop (v2's register window made the
// slide MOV wait on a load issued only one slide earlier; see NOTES.md).
#define RING_WORDS 512
#define CHUNK_WORDS 128
struct WarpDec {
    uint32_t x;        // this lane's rANS state
    uint32_t abase;    // tile's first word, rounded down to 4 words (8-byte cp.async)
    uint32_t rel;      // words consumed, counted from abase
    uint32_t chunk;    // next chunk to fetch
    uint32_t end;      // tile's end word (absolute)
    uint16_t *ring;    // this warp's ring
};

__device__ __forceinline__ void ring_fetch(WarpDec &d, const uint16_t *words, uint64_t nwords, int lane)
{
    uint64_t gi = (uint64_t)d.abase + (uint64_t)d.chunk * CHUNK_WORDS + 4 * lane; // 4 words per lane
    int bytes = gi >= nwords ? 0 : (int)(nwords - gi >= 4 ? 8 : 2 * (nwords - gi));
    const uint16_t *src = words + (bytes ? gi : 0);
    uint32_t dst = (uint32_t)__cvta_generic_to_shared(d.ring + (d.chunk % 4) * CHUNK_WORDS + 4 * lane);
    asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" ::"r"(dst), "l"(src), "r"(bytes));
    asm volatile("cp.async.commit_group;\n" ::);
    d.chunk++;
}

template <class A>
__device__ __forceinline__ void dec_begin(WarpDec &d, const A &a, uint64_t k, int lane, uint16_t *ring)
{
    uint32_t base = a.word_off[k];
    d.end = a.word_off[k + 1];
    d.x = a.states[k * 32 + lane];
    d.abase = base & ~3u;
    d.rel = base - d.abase;
    d.chunk = 0;
    d.ring = ring;
    __syncwarp(); // previous tile's reads of the ring are done before we refill it
    for (int c = 0; c < 4; c++) ring_fetch(d, a.words, a.nwords, lane);
    asm volatile("cp.async.wait_group 3;\n" ::);
    __syncwarp();
}

// One rANS step for the whole warp; returns this lane's symbol.
template <class A>
__device__ __forceinline__ uint32_t dec_step(WarpDec &d, const A &a, const uint32_t *tab, uint32_t lt, int lane)
{
    const uint32_t b = a.prob_bits;
    uint32_t e = tab[d.x & ((1u << b) - 1)];
    d.x = ((e >> 8) & 0xfffu) * (d.x >> b) + (e >> 20);
    bool need = d.x < WZ_RANS_L;
    uint32_t ball = __ballot_sync(0xffffffffu, need);
    if (need) d.x = (d.x << 16) | d.ring[(d.rel + __popc(ball & lt)) % RING_WORDS];
    uint32_t before = d.rel / CHUNK_WORDS;
    d.rel += __popc(ball);
    if (d.rel / CHUNK_WORDS != before) { // warp-uniform: chunk `before` is consumed
        ring_fetch(d, a.words, a.nwords, lane);
        asm volatile("cp.async.wait_group 3;\n" ::); // the chunk we now read has landed
        __syncwarp();
    }
    return e & 0xffu;
}

// A tile's stream must end exactly at its last word with every lane at L.
template <class A>
__device__ __forceinline__ void dec_end(const WarpDec &d, const A &a)
{
    bool bad = d.x != WZ_RANS_L || d.abase + d.rel != d.end;
    if (__any_sync(0xffffffffu, bad) && (threadIdx.x & 31) == 0) atomicOr(a.err, 1);
    asm volatile("cp.async.wait_group 0;\n" ::); // no copy may outlive the tile
}

__device__ __forceinline__ void load_table(uint32_t *tab, const uint32_t *g, uint32_t b)
{
    for (uint32_t i = threadIdx.x; i < (1u << b); i += blockDim.x) tab[i] = g[i];
    __syncthreads();
}
