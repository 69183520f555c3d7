// peers.cu — the peers' GPU pipelines, reimplemented on their formats:
//  - DFloat11: the two-phase Huffman decoder (each thread owns an 8-byte
//    chunk of the stream starting at its 5-bit gap; phase 1 counts its
//    symbols, a block-wide prefix sum turns counts into output positions,
//    phase 2 decodes again and writes bf16). One-level 12-bit table where
//    DFloat11 uses four byte-indexed tables for codes up to 32 bits.
//  - NeuZip layout: one warp per 64 K-symbol rANS chunk decodes exponent
//    bytes to a scratch buffer, then a merge kernel joins them with the raw
//    sign|mantissa plane (NeuZip's nvCOMP decompress-then-merge).
// Both write the whole bf16 matrix to HBM; the pipelines then call cuBLAS.
// CPU references: codecs/dfloat11/dfloat11.c, codecs/neuzip/neuzip.c.
#include <stdio.h>
#include <stdlib.h>
extern "C" {
#include "codecs/codecs.h"
#include "codecs/huffman/huffman.h"
#include "kernels/kernels.h"
}
#include "kernels/gpu_common.cuh"
#include "kernels/rans_warp.cuh"

// ---------------------------------------------------------------- DFloat11
struct wz_gpu_df {
    wz_df_view v;
    uint8_t *d_blob;
    size_t len;
    uint16_t *d_lut;
    int *d_err;
};

extern "C" wz_err wz_gpu_df_upload(const uint8_t *blob, size_t len, wz_gpu_df **out)
{
    *out = NULL;
    wz_df_view v;
    WZ_TRY(wz_df_parse(blob, len, &v)); // sizes, table and block index checked before any launch
    wz_huf_code hc;
    memcpy(hc.len, v.len, 256);
    WZ_TRY(wz_huf_assign(&hc));
    static uint16_t lut[1 << WZ_HUF_MAX_BITS];
    wz_huf_dtable(&hc, lut);
    wz_gpu_df *g = (wz_gpu_df *)calloc(1, sizeof *g);
    if (!g) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    cudaError_t e = wz_gpu_blob_upload(blob, len, 0, &g->d_blob);
    if (e == cudaSuccess) e = cudaMalloc(&g->d_lut, sizeof lut);
    if (e == cudaSuccess) e = cudaMemcpy(g->d_lut, lut, sizeof lut, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) e = cudaMalloc(&g->d_err, sizeof(int));
    if (e == cudaSuccess) e = cudaMemset(g->d_err, 0, sizeof(int));
    if (e != cudaSuccess) { cudaFree(g->d_blob); cudaFree(g->d_lut); cudaFree(g->d_err); free(g); return wz_cuda_fail(e, "upload"); }
    g->len = len;
    g->v = v;
    g->v.gaps = wz_dev_at(g->d_blob, blob, v.gaps);
    g->v.block_out = wz_dev_at(g->d_blob, blob, v.block_out);
    g->v.enc = wz_dev_at(g->d_blob, blob, v.enc);
    g->v.raw = wz_dev_at(g->d_blob, blob, v.raw);
    *out = g;
    return WZ_OK;
}

extern "C" void wz_gpu_df_free(wz_gpu_df *g) { if (g) { cudaFree(g->d_blob); cudaFree(g->d_lut); cudaFree(g->d_err); free(g); } }
extern "C" size_t wz_gpu_df_bytes(const wz_gpu_df *g) { return g->len; }

// 8 bytes of an MSB-first stream as a 64-bit word (first byte on top).
__device__ __forceinline__ uint64_t be64(const uint8_t *p)
{
    uint2 w = *(const uint2 *)p;
    return ((uint64_t)__byte_perm(w.x, 0u, 0x0123u) << 32) | __byte_perm(w.y, 0u, 0x0123u);
}

// Gap of thread t: 5 bits at bit 5t of the gap stream.
__device__ __forceinline__ uint32_t df_gap(const uint8_t *gaps, uint64_t nthreads, uint64_t t)
{
    uint64_t bit = 5 * t, byte = bit / 8, nbytes = (5 * nthreads + 7) / 8;
    uint32_t w = (uint32_t)gaps[byte] << 8 | (byte + 1 < nbytes ? gaps[byte + 1] : 0u);
    return (w >> (11 - bit % 8)) & 31u;
}

#define DF_THREADS WZ_DF_BLOCK_THREADS
#define DF_MAX_BLOCK_SYMS (DF_THREADS * 64) /* 1-bit codes at most */

__global__ void __launch_bounds__(DF_THREADS) df_decode_kernel(wz_df_view v, const uint16_t *lut_g, uint16_t *out, int *err)
{
    __shared__ uint16_t lut[1 << WZ_HUF_MAX_BITS];
    __shared__ uint32_t wsum[DF_THREADS / 32];
    __shared__ uint8_t exps[DF_MAX_BLOCK_SYMS];
    for (uint32_t i = threadIdx.x; i < (1u << WZ_HUF_MAX_BITS); i += blockDim.x) lut[i] = lut_g[i];
    __syncthreads();
    int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    for (uint64_t b = blockIdx.x; b < v.nblocks; b += gridDim.x) {
        uint64_t t = b * DF_THREADS + threadIdx.x;
        bool have = t < v.nthreads;
        uint32_t gap = have ? df_gap(v.gaps, v.nthreads, t) : WZ_DF_NO_START;
        uint32_t next = have && t + 1 < v.nthreads ? df_gap(v.gaps, v.nthreads, t + 1) : WZ_DF_NO_START;
        uint64_t hi = have ? be64(v.enc + 8 * t) : 0, lo = have && t + 1 < v.nthreads ? be64(v.enc + 8 * (t + 1)) : 0;
        uint64_t left = have ? v.enc_bits - 64 * t : 0;
        uint32_t end = left < 64 ? (uint32_t)left : 64u;                     // codes must start before this
        uint32_t want = next != WZ_DF_NO_START ? 64 + next : (uint32_t)(left < 128 ? left : 128); // where the next starts
        // Phase 1: count this thread's symbols.
        uint32_t cnt = 0, pos = gap;
        bool bad = false;
        if (have && gap != WZ_DF_NO_START) {
            while (pos < end) {
                uint32_t code = (uint32_t)((pos ? (hi << pos) | (lo >> (64 - pos)) : hi) >> (64 - WZ_HUF_MAX_BITS));
                uint32_t l = lut[code] >> 8;
                if (!l) { bad = true; break; }
                pos += l;
                cnt++;
            }
            if (pos != want && !(next == WZ_DF_NO_START && pos == left)) bad = true;
        }
        // Block-wide exclusive prefix sum of the counts: output positions.
        uint32_t incl = cnt;
#pragma unroll
        for (int d = 1; d < 32; d <<= 1) { uint32_t x = __shfl_up_sync(0xffffffffu, incl, d); if (lane >= d) incl += x; }
        if (lane == 31) wsum[warp] = incl;
        __syncthreads();
        uint32_t before = 0, total = 0;
        for (int w = 0; w < DF_THREADS / 32; w++) { if (w < warp) before += wsum[w]; total += wsum[w]; }
        uint64_t o = v.block_out[b] + before + incl - cnt, oend = v.block_out[b + 1];
        if (threadIdx.x == 0 && v.block_out[b] + total != oend) bad = true;
        if (bad) atomicOr(err, 1);
        // Phase 2: decode again into shared memory (exponent bytes at their
        // block-relative positions), then the whole block merges with the raw
        // plane and writes bf16 coalesced — DFloat11 also stages output in
        // shared memory. A block holds at most 256 x 64 one-bit codes.
        pos = gap;
        uint64_t base = v.block_out[b], span = oend - base;
        if (have && gap != WZ_DF_NO_START && !bad)
            for (uint32_t k = 0; k < cnt; k++) {
                uint32_t code = (uint32_t)((pos ? (hi << pos) | (lo >> (64 - pos)) : hi) >> (64 - WZ_HUF_MAX_BITS));
                uint32_t e = lut[code];
                pos += e >> 8;
                if (o - base < DF_MAX_BLOCK_SYMS) exps[o - base] = (uint8_t)e;
                o++;
            }
        if (threadIdx.x == 0 && span > DF_MAX_BLOCK_SYMS) atomicOr(err, 1);
        __syncthreads();
        for (uint64_t i = threadIdx.x; i < span && i < DF_MAX_BLOCK_SYMS; i += blockDim.x) {
            uint32_t r = v.raw[base + i], e = exps[i];
            out[base + i] = (uint16_t)(((r & 0x80u) << 8) | (e << 7) | (r & 0x7fu));
        }
        __syncthreads(); // wsum reused next iteration
    }
}

extern "C" wz_err wz_gpu_df_decode(const wz_gpu_df *g, uint16_t *d_out, void *stream)
{
    uint64_t blocks = g->v.nblocks, cap = (uint64_t)wz_sm_count() * 8;
    df_decode_kernel<<<(int)(blocks < cap ? blocks : cap), DF_THREADS, 0, (cudaStream_t)stream>>>(g->v, g->d_lut, d_out, g->d_err);
    CU(cudaGetLastError(), "df_decode_kernel launch");
    return WZ_OK;
}

extern "C" wz_err wz_gpu_df_check(const wz_gpu_df *g)
{
    return wz_gpu_read_flag(g->d_err, "dfloat11: a thread's chunk failed its framing check");
}

// ---------------------------------------------------------------- NeuZip layout
struct NzArgs {
    const uint32_t *word_off, *states, *dtable;
    const uint16_t *words;
    uint64_t nwords, n, nchunks;
    uint32_t prob_bits;
    int *err;
};

struct wz_gpu_nz {
    wz_nz_view v;
    uint8_t *d_blob, *d_exps;
    size_t len;
    uint32_t *d_dtable;
    int *d_err;
};

extern "C" wz_err wz_gpu_nz_upload(const uint8_t *blob, size_t len, wz_gpu_nz **out)
{
    *out = NULL;
    wz_nz_view v;
    WZ_TRY(wz_nz_parse(blob, len, &v));
    wz_rans_table t;
    WZ_TRY(wz_rans_table_init(&t, v.freq, v.prob_bits));
    if (v.prob_bits > WZ_RANS_GPU_MAX_BITS) return wz_fail(WZ_ERR_UNSUPPORTED, "GPU neuzip: prob_bits %d > %d", v.prob_bits, WZ_RANS_GPU_MAX_BITS);
    uint32_t dt[1 << WZ_RANS_GPU_MAX_BITS];
    wz_rans_dtable_build(&t, dt);
    wz_gpu_nz *g = (wz_gpu_nz *)calloc(1, sizeof *g);
    if (!g) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    uint64_t n = v.rows * v.cols;
    cudaError_t e = wz_gpu_blob_upload(blob, len, 0, &g->d_blob);
    if (e == cudaSuccess) e = cudaMalloc(&g->d_exps, n + 16);
    if (e == cudaSuccess) e = cudaMalloc(&g->d_dtable, sizeof(uint32_t) << v.prob_bits);
    if (e == cudaSuccess) e = cudaMemcpy(g->d_dtable, dt, sizeof(uint32_t) << v.prob_bits, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) e = cudaMalloc(&g->d_err, sizeof(int));
    if (e == cudaSuccess) e = cudaMemset(g->d_err, 0, sizeof(int));
    if (e != cudaSuccess) { cudaFree(g->d_blob); cudaFree(g->d_exps); cudaFree(g->d_dtable); cudaFree(g->d_err); free(g); return wz_cuda_fail(e, "upload"); }
    g->len = len;
    g->v = v;
    g->v.off = wz_dev_at(g->d_blob, blob, v.off);
    g->v.states = wz_dev_at(g->d_blob, blob, v.states);
    g->v.words = wz_dev_at(g->d_blob, blob, v.words);
    g->v.raw = wz_dev_at(g->d_blob, blob, v.raw);
    *out = g;
    return WZ_OK;
}

extern "C" void wz_gpu_nz_free(wz_gpu_nz *g) { if (g) { cudaFree(g->d_blob); cudaFree(g->d_exps); cudaFree(g->d_dtable); cudaFree(g->d_err); free(g); } }
extern "C" size_t wz_gpu_nz_bytes(const wz_gpu_nz *g) { return g->len; }

#define NZ_WARPS 8
__global__ void __launch_bounds__(NZ_WARPS * 32) nz_exps_kernel(NzArgs a, uint8_t *exps)
{
    __shared__ uint32_t tab[1 << WZ_RANS_GPU_MAX_BITS];
    __shared__ __align__(16) uint16_t rings[NZ_WARPS][RING_WORDS];
    load_table(tab, a.dtable, a.prob_bits);
    int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    uint32_t lt = (1u << lane) - 1;
    for (uint64_t k = (uint64_t)blockIdx.x * NZ_WARPS + warp; k < a.nchunks; k += (uint64_t)gridDim.x * NZ_WARPS) {
        uint64_t left = a.n - k * WZ_NZ_CHUNK;
        uint32_t steps = (uint32_t)(((left < WZ_NZ_CHUNK ? left : WZ_NZ_CHUNK) + 31) / 32);
        WarpDec d;
        dec_begin(d, a, k, lane, rings[warp]);
        for (uint32_t j = 0; j < steps; j++) {
            uint32_t s = dec_step(d, a, tab, lt, lane);
            uint64_t i = k * WZ_NZ_CHUNK + (uint64_t)j * 32 + lane;
            if (i < a.n) exps[i] = (uint8_t)s;
        }
        dec_end(d, a);
    }
}

__global__ void nz_merge_kernel(const uint8_t *exps, const uint8_t *raw, uint16_t *out, uint64_t n)
{
    for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x) {
        uint32_t e = exps[i], r = raw[i];
        out[i] = (uint16_t)(((r & 0x80u) << 8) | (e << 7) | (r & 0x7fu));
    }
}

extern "C" wz_err wz_gpu_nz_decode(const wz_gpu_nz *g, uint16_t *d_out, void *stream)
{
    cudaStream_t s = (cudaStream_t)stream;
    NzArgs a = {g->v.off, g->v.states, g->d_dtable, g->v.words, g->v.nwords, g->v.rows * g->v.cols, g->v.nchunks, (uint32_t)g->v.prob_bits, g->d_err};
    uint64_t blocks = (a.nchunks + NZ_WARPS - 1) / NZ_WARPS, cap = (uint64_t)wz_sm_count() * 8;
    nz_exps_kernel<<<(int)(blocks < cap ? blocks : cap), NZ_WARPS * 32, 0, s>>>(a, g->d_exps);
    CU(cudaGetLastError(), "nz_exps_kernel launch");
    nz_merge_kernel<<<wz_sm_count() * 8, 256, 0, s>>>(g->d_exps, g->v.raw, d_out, a.n);
    CU(cudaGetLastError(), "nz_merge_kernel launch");
    return WZ_OK;
}

extern "C" wz_err wz_gpu_nz_check(const wz_gpu_nz *g)
{
    return wz_gpu_read_flag(g->d_err, "neuzip: a chunk's stream failed its end-of-stream check");
}
