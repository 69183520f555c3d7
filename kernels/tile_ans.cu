// tile_ans.cu — GPU decode of tile-ans blobs: standalone and fused GEMV.
//
// One warp owns one tile: 32 rANS lanes, one per warp lane, one 16-bit
// word stream shared by the warp (see codecs/tile_ans/tile_ans.c for the
// element order). Per step and lane: one shared-memory table lookup, one
// multiply-add for the state, a ballot + popc to hand out the words the
// lanes that fell below 2^16 need. Words come from a 96-word register
// window (three 32-word slices, the next two already in flight), so the
// state chain never waits on a global load that was not issued ~6 steps
// earlier. Raw sign+mantissa bytes arrive 16 at a time as one 16-byte load.
// (v3: the register window was replaced by a shared-memory ring.)
//
// CPU reference: codecs/tile_ans/tile_ans.c (ta_decode). NOTES.md has the
// floors and each version's time.
#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
extern "C" {
#include "codecs/codecs.h"
#include "codecs/rans/rans.h"
#include "kernels/kernels.h"
}
#include "kernels/gpu_common.cuh"
#include "kernels/rans_warp.cuh"

struct wz_gpu_ta {
    wz_ta_header h;
    uint8_t *d_blob;
    size_t len;
    uint32_t *d_dtable;
    const uint32_t *d_word_off, *d_states;
    const uint16_t *d_words;
    const uint8_t *d_raw, *d_esc;
    const uint32_t *d_esc_off;
    uint32_t *d_lut;       /* PAIR16: symbol -> both exponents as bf16x2 bits + escape flags */
    uint64_t ntiles;
    int *d_err;
};


extern "C" int wz_gpu_available(const char **why)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0) {
        if (why) *why = e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device";
        return 0;
    }
    return 1;
}

extern "C" wz_err wz_gpu_ta_upload(const uint8_t *blob, size_t len, wz_gpu_ta **out)
{
    *out = NULL;
    wz_ta_view v;
    WZ_TRY(wz_ta_parse(blob, len, &v));
    if (v.h->model == WZ_TA_MODEL_CODES) return wz_fail(WZ_ERR_UNSUPPORTED, "GPU tile-ans: only 16-bit formats so far");
    wz_rans_table t;
    WZ_TRY(wz_rans_table_init(&t, v.h->freq, v.h->prob_bits));
    uint32_t dt[1 << WZ_RANS_MAX_BITS];
    wz_rans_dtable_build(&t, dt);
    wz_gpu_ta *g = (wz_gpu_ta *)calloc(1, sizeof *g);
    if (!g) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    g->h = *v.h;
    g->len = len;
    g->ntiles = v.ntiles;
    cudaError_t e = cudaMalloc(&g->d_blob, len);
    if (e == cudaSuccess) e = cudaMemcpy(g->d_blob, blob, len, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) e = cudaMalloc(&g->d_dtable, sizeof dt);
    if (e == cudaSuccess) e = cudaMemcpy(g->d_dtable, dt, sizeof(uint32_t) << v.h->prob_bits, cudaMemcpyHostToDevice);
    uint32_t lut[256];
    for (uint32_t sy = 0; sy < 256; sy++) {
        uint32_t c1 = sy & 15, c2 = sy >> 4;
        lut[sy] = (c1 == WZ_TA_ESC ? 1u : (v.h->ebase + c1) << 7) | (c2 == WZ_TA_ESC ? 0x10000u : (v.h->ebase + c2) << 23);
    }
    if (e == cudaSuccess) e = cudaMalloc(&g->d_lut, sizeof lut);
    if (e == cudaSuccess) e = cudaMemcpy(g->d_lut, lut, sizeof lut, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) e = cudaMalloc(&g->d_err, sizeof(int));
    if (e == cudaSuccess) e = cudaMemset(g->d_err, 0, sizeof(int));
    if (e != cudaSuccess) { wz_gpu_ta_free(g); return wz_cuda_fail(e, "upload"); }
    g->d_word_off = (const uint32_t *)(g->d_blob + ((const uint8_t *)v.word_off - blob));
    g->d_states = (const uint32_t *)(g->d_blob + ((const uint8_t *)v.states - blob));
    g->d_words = (const uint16_t *)(g->d_blob + ((const uint8_t *)v.words - blob));
    g->d_raw = g->d_blob + (v.raw - blob);
    g->d_esc = g->d_blob + (v.esc - blob);
    g->d_esc_off = v.esc_off ? (const uint32_t *)(g->d_blob + ((const uint8_t *)v.esc_off - blob)) : NULL;
    *out = g;
    return WZ_OK;
}

extern "C" void wz_gpu_ta_free(wz_gpu_ta *g)
{
    if (!g) return;
    cudaFree(g->d_blob); cudaFree(g->d_dtable); cudaFree(g->d_lut); cudaFree(g->d_err);
    free(g);
}
extern "C" void wz_gpu_ta_shape(const wz_gpu_ta *g, uint64_t *r, uint64_t *c) { *r = g->h.rows; *c = g->h.cols; }
extern "C" size_t wz_gpu_ta_bytes(const wz_gpu_ta *g) { return g->len; }

struct TaArgs {
    const uint32_t *word_off, *states, *dtable, *esc_off, *lut;
    const uint16_t *words;
    const uint8_t *raw, *esc;
    uint64_t rows, cols, ntiles, nwords;
    uint32_t T, K, tiles_c, prob_bits, bf16, pair;
    int *err;
};

__device__ __forceinline__ uint32_t byte_of(uint4 v, int s)
{
    uint32_t w = s < 4 ? v.x : s < 8 ? v.y : s < 12 ? v.z : v.w;
    return (w >> (8 * (s & 3))) & 0xffu;
}

// bf16 bits from exponent symbol and raw sign|mantissa byte (fp16: high|low byte).
__device__ __forceinline__ uint32_t merge16(uint32_t sym, uint32_t r, uint32_t bf16)
{
    return bf16 ? ((r & 0x80u) << 8) | (sym << 7) | (r & 0x7fu) : (sym << 8) | r;
}


#define WARPS 8

// Standalone decode: warp w of block b takes tiles b*WARPS+w, +grid*WARPS...
// Each 16-step group gives each lane 16 consecutive weights of its row:
// two 16-byte stores when aligned and in bounds, else element stores.
__global__ void __launch_bounds__(WARPS * 32) ta_decode_kernel(TaArgs a, uint16_t *out)
{
    __shared__ uint32_t tab[1 << WZ_RANS_MAX_BITS];
    __shared__ __align__(16) uint16_t rings[WARPS][RING_WORDS];
    load_table(tab, a.dtable, a.prob_bits);
    int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    uint32_t lt = (1u << lane) - 1;
    uint32_t steps = a.T * a.K / 32, groups_per_rg = a.K / 16;
    for (uint64_t k = (uint64_t)blockIdx.x * WARPS + warp; k < a.ntiles; k += (uint64_t)gridDim.x * WARPS) {
        WarpDec d;
        dec_begin(d, a, k, lane, rings[warp]);
        uint64_t ti = k / a.tiles_c, tj = k % a.tiles_c;
        const uint4 *raw = (const uint4 *)(a.raw + k * (uint64_t)a.T * a.K);
        uint4 rv = __ldg(raw + lane);
        for (uint32_t q = 0; q < steps / 16; q++) {
            uint4 rn = q + 1 < steps / 16 ? __ldg(raw + (q + 1) * 32 + lane) : rv;
            uint32_t v[16];
#pragma unroll
            for (int s = 0; s < 16; s++) v[s] = merge16(dec_step(d, a, tab, lt, lane), byte_of(rv, s), a.bf16);
            uint64_t row = ti * a.T + (q / groups_per_rg) * 32 + lane, col = tj * a.K + (q % groups_per_rg) * 16;
            if (row < a.rows) {
                uint16_t *o = out + row * a.cols + col;
                if (col + 16 <= a.cols && ((uintptr_t)o & 15) == 0) {
                    ((uint4 *)o)[0] = make_uint4(v[0] | v[1] << 16, v[2] | v[3] << 16, v[4] | v[5] << 16, v[6] | v[7] << 16);
                    ((uint4 *)o)[1] = make_uint4(v[8] | v[9] << 16, v[10] | v[11] << 16, v[12] | v[13] << 16, v[14] | v[15] << 16);
                } else {
                    for (int s = 0; s < 16; s++) if (col + s < a.cols) o[s] = (uint16_t)v[s];
                }
            }
            rv = rn;
        }
        dec_end(d, a);
    }
}

// Fused GEMV: the same decode, each weight multiplied by the M activations
// of its column (broadcast through a shuffle from the 16 values the warp
// loaded one group ahead), one fp32 partial sum per lane (= row) and m;
// flushed with one atomicAdd per row group and m (split-K over tiles).
template <int M>
__global__ void __launch_bounds__(WARPS * 32) ta_gemv_kernel(TaArgs a, const uint16_t *__restrict__ X, float *acc)
{
    __shared__ uint32_t tab[1 << WZ_RANS_MAX_BITS];
    __shared__ __align__(16) uint16_t rings[WARPS][RING_WORDS];
    load_table(tab, a.dtable, a.prob_bits);
    int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    uint32_t lt = (1u << lane) - 1;
    uint32_t steps = a.T * a.K / 32, groups_per_rg = a.K / 16;
    for (uint64_t k = (uint64_t)blockIdx.x * WARPS + warp; k < a.ntiles; k += (uint64_t)gridDim.x * WARPS) {
        WarpDec d;
        dec_begin(d, a, k, lane, rings[warp]);
        uint64_t ti = k / a.tiles_c, tj = k % a.tiles_c;
        const uint4 *raw = (const uint4 *)(a.raw + k * (uint64_t)a.T * a.K);
        uint4 rv = __ldg(raw + lane);
        // Activations travel as raw bf16 bits until used: converting at load
        // time would make the prefetch wait for its own load.
        float s[M];
        uint32_t xv[M], xn[M];
        auto load_x = [&](uint32_t q, uint32_t (&dst)[M]) {
            uint64_t c = tj * a.K + (q % groups_per_rg) * 16 + (lane & 15);
#pragma unroll
            for (int m = 0; m < M; m++) dst[m] = c < a.cols && q < steps / 16 ? (uint32_t)__ldg(X + (uint64_t)m * a.cols + c) : 0u;
        };
#pragma unroll
        for (int m = 0; m < M; m++) s[m] = 0.f;
        load_x(0, xv);
        for (uint32_t q = 0; q < steps / 16; q++) {
            uint4 rn = q + 1 < steps / 16 ? __ldg(raw + (q + 1) * 32 + lane) : rv;
            load_x(q + 1, xn);
#pragma unroll
            for (int st = 0; st < 16; st++) {
                float w = __uint_as_float(merge16(dec_step(d, a, tab, lt, lane), byte_of(rv, st), 1) << 16);
#pragma unroll
                for (int m = 0; m < M; m++) s[m] = fmaf(w, __uint_as_float(__shfl_sync(0xffffffffu, xv[m], st) << 16), s[m]);
            }
            rv = rn;
#pragma unroll
            for (int m = 0; m < M; m++) xv[m] = xn[m];
            if ((q + 1) % groups_per_rg == 0) { // row group done
                uint64_t row = ti * a.T + (q / groups_per_rg) * 32 + lane;
                if (row < a.rows)
#pragma unroll
                    for (int m = 0; m < M; m++) atomicAdd(acc + (uint64_t)m * a.rows + row, s[m]);
#pragma unroll
                for (int m = 0; m < M; m++) s[m] = 0.f;
            }
        }
        dec_end(d, a);
    }
}

// ---- PAIR16 (v15): one rANS step decodes the exponents of two weights ----
//
// The step's symbol indexes a 256-entry shared-memory LUT holding both
// exponents already in place as bf16x2 bits (first weight in the low half),
// with bit 0 / bit 16 set for an escaped exponent. The raw sign|mantissa
// bytes r0 r1 of the pair are spread to [r0 r0 r1 r1] by one PRMT and the
// exponents muxed in by one LOP3 (mask 0x7f807f80 keeps only exponent bits
// of the LUT word, so the flags vanish): the result is the two weights'
// bf16 bits, the 32-bit word the standalone decoder stores.

#define PAIR_MUX 0x7f807f80u
// Resident blocks per SM asked of ptxas for the decode and M <= 2 GEMV (v16):
// the step is a ~100-cycle dependent chain, so warps per scheduler decide.
#ifndef PAIR_MINB
#define PAIR_MINB 5
#endif
#ifndef PAIR_DEC_MINB // the decoder also holds two groups for the store transpose
#define PAIR_DEC_MINB 4
#endif

// Escape fix-up for a pair step (warp-uniform entry: some lane escaped).
// Escapes are consumed in decode order: lane by lane, first then second.
__device__ __forceinline__ uint32_t pair_escape(uint32_t hi, const TaArgs &a, uint32_t &epos, uint32_t eend, uint32_t lt)
{
    uint32_t f1 = hi & 1u, f2 = (hi >> 16) & 1u;
    uint32_t b1 = __ballot_sync(0xffffffffu, f1), b2 = __ballot_sync(0xffffffffu, f2);
    uint32_t idx = epos + __popc(b1 & lt) + __popc(b2 & lt);
    if (f1) { hi |= (idx < eend ? (uint32_t)__ldg(a.esc + idx) : 0u) << 7; idx++; }
    if (f2) hi |= (idx < eend ? (uint32_t)__ldg(a.esc + idx) : 0u) << 23;
    epos += __popc(b1) + __popc(b2);
    return hi;
}

// Eight pair steps = 16 weights of each lane's row: out[i] holds weights
// 2i, 2i+1 (bf16x2). rv: the lane's 16 raw bytes of this group.
template <bool ESC, class A>
__device__ __forceinline__ void pair_group(WarpDec &d, const A &a, const uint32_t *tab, const uint32_t *lut, uint32_t lt, int lane,
                                           uint4 rv, uint32_t &epos, uint32_t eend, uint32_t (&out)[8])
{
#pragma unroll
    for (int i = 0; i < 8; i++) {
        uint32_t hi = lut[dec_step(d, a, tab, lt, lane)];
        if (ESC && __any_sync(0xffffffffu, hi & 0x10001u)) hi = pair_escape(hi, a, epos, eend, lt);
        uint32_t w = i < 2 ? rv.x : i < 4 ? rv.y : i < 6 ? rv.z : rv.w;
        uint32_t p = __byte_perm(w, 0, (i & 1) ? 0x3322 : 0x1100);
        out[i] = (hi & PAIR_MUX) | (p & ~PAIR_MUX);
    }
}

__device__ __forceinline__ void load_lut(uint32_t *lut, const uint32_t *g)
{
    for (uint32_t i = threadIdx.x; i < 256; i += blockDim.x) lut[i] = g[i];
}

// Direct store of one group: each lane writes 32 B of its own row.
__device__ __forceinline__ void store_group(const TaArgs &a, uint16_t *out, uint64_t row, uint64_t col, const uint32_t (&v)[8])
{
    if (row >= a.rows) return;
    uint16_t *o = out + row * a.cols + col;
    if (col + 16 <= a.cols && ((uintptr_t)o & 15) == 0) {
        ((uint4 *)o)[0] = make_uint4(v[0], v[1], v[2], v[3]);
        ((uint4 *)o)[1] = make_uint4(v[4], v[5], v[6], v[7]);
    } else {
        for (int s = 0; s < 16; s++) if (col + s < a.cols) o[s] = (uint16_t)(v[s / 2] >> (16 * (s & 1)));
    }
}

// Two groups (32 columns) of the warp's 32 rows go out through a 2 KB
// shared-memory transpose: each store instruction then writes 8 rows x 64 B
// (full 32-byte sectors) instead of 32 rows x 16 B (v16; bitmap4's v7 fix).
// Chunk c of row l sits in slot c ^ ((l >> 1) & 3) so both the row-wise
// writes and the column-wise reads hit all 32 banks.
__device__ __forceinline__ void store_pair_of_groups(const TaArgs &a, uint16_t *out, uint4 *st, int lane, uint64_t row0, uint64_t col,
                                                     const uint32_t (&va)[8], const uint32_t (&vb)[8])
{
    int sw = (lane >> 1) & 3;
    st[lane * 4 + (0 ^ sw)] = make_uint4(va[0], va[1], va[2], va[3]);
    st[lane * 4 + (1 ^ sw)] = make_uint4(va[4], va[5], va[6], va[7]);
    st[lane * 4 + (2 ^ sw)] = make_uint4(vb[0], vb[1], vb[2], vb[3]);
    st[lane * 4 + (3 ^ sw)] = make_uint4(vb[4], vb[5], vb[6], vb[7]);
    __syncwarp();
#pragma unroll
    for (int t = 0; t < 4; t++) {
        int rl = t * 8 + lane / 4, ch = lane & 3;
        uint4 val = st[rl * 4 + (ch ^ ((rl >> 1) & 3))];
        uint64_t row = row0 + rl;
        if (row < a.rows) *(uint4 *)(out + row * a.cols + col + ch * 8) = val;
    }
    __syncwarp();
}

template <bool ESC>
__device__ __forceinline__ void pair_decode_tile(const TaArgs &a, uint64_t k, WarpDec &d, const uint32_t *tab, const uint32_t *lut,
                                                 uint32_t lt, int lane, uint16_t *out, uint4 *stage)
{
    uint32_t steps = a.T * a.K / 32, groups_per_rg = a.K / 16;
    uint32_t epos = ESC ? a.esc_off[k] : 0, eend = ESC ? a.esc_off[k + 1] : 0;
    uint64_t ti = k / a.tiles_c, tj = k % a.tiles_c;
    const uint4 *raw = (const uint4 *)(a.raw + k * (uint64_t)a.T * a.K);
    const bool pairable = a.cols % 8 == 0 && groups_per_rg % 2 == 0;
    uint4 rv = __ldg(raw + lane);
    uint32_t va[8];
    for (uint32_t q = 0; q < steps / 16; q++) {
        uint4 rn = q + 1 < steps / 16 ? __ldg(raw + (q + 1) * 32 + lane) : rv;
        uint32_t v[8];
        pair_group<ESC>(d, a, tab, lut, lt, lane, rv, epos, eend, v);
        uint64_t row0 = ti * a.T + (q / groups_per_rg) * 32, col = tj * a.K + (q % groups_per_rg) * 16;
        uint64_t cola = col - (q & 1) * 16; // first column of this pair of groups
        if (pairable && cola + 32 <= a.cols) { // warp-uniform
            if (q & 1) store_pair_of_groups(a, out, stage, lane, row0, cola, va, v);
            else
#pragma unroll
                for (int i = 0; i < 8; i++) va[i] = v[i];
        } else {
            store_group(a, out, row0 + lane, col, v);
        }
        rv = rn;
    }
    if (ESC && epos != eend && lane == 0) atomicOr(a.err, 1);
}

__global__ void __launch_bounds__(WARPS * 32, PAIR_DEC_MINB) ta_pair_decode_kernel(TaArgs a, uint16_t *out)
{
    __shared__ uint32_t tab[1 << WZ_RANS_MAX_BITS];
    __shared__ uint32_t lut[256];
    __shared__ __align__(16) uint16_t rings[WARPS][RING_WORDS];
    __shared__ uint4 stage[WARPS][128];
    load_lut(lut, a.lut);
    load_table(tab, a.dtable, a.prob_bits);
    int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    uint32_t lt = (1u << lane) - 1;
    for (uint64_t k = (uint64_t)blockIdx.x * WARPS + warp; k < a.ntiles; k += (uint64_t)gridDim.x * WARPS) {
        WarpDec d;
        dec_begin(d, a, k, lane, rings[warp]);
        if (a.esc_off[k + 1] != a.esc_off[k]) pair_decode_tile<true>(a, k, d, tab, lut, lt, lane, out, stage[warp]);
        else pair_decode_tile<false>(a, k, d, tab, lut, lt, lane, out, stage[warp]);
        dec_end(d, a);
    }
}

// Fused GEMV on PAIR16: activations travel as bf16 pairs (lane i&7 of a
// group holds columns 2i, 2i+1 as one 32-bit word), one shuffle per pair
// step and m; two FMAs per pair in column order.
template <int M, bool ESC>
__device__ __forceinline__ void pair_gemv_tile(const TaArgs &a, uint64_t k, WarpDec &d, const uint32_t *tab, const uint32_t *lut,
                                               uint32_t lt, int lane, const uint16_t *__restrict__ X, float *acc)
{
    uint32_t steps = a.T * a.K / 32, groups_per_rg = a.K / 16;
    uint32_t epos = ESC ? a.esc_off[k] : 0, eend = ESC ? a.esc_off[k + 1] : 0;
    uint64_t ti = k / a.tiles_c, tj = k % a.tiles_c;
    const uint4 *raw = (const uint4 *)(a.raw + k * (uint64_t)a.T * a.K);
    uint4 rv = __ldg(raw + lane);
    float s[M];
    uint32_t xv[M], xn[M];
    auto load_x = [&](uint32_t q, uint32_t (&dst)[M]) {
        uint64_t c = tj * a.K + (q % groups_per_rg) * 16 + 2 * (lane & 7);
#pragma unroll
        for (int m = 0; m < M; m++) {
            const uint16_t *xm = X + (uint64_t)m * a.cols;
            uint32_t lo = c < a.cols && q < steps / 16 ? (uint32_t)__ldg(xm + c) : 0u;
            uint32_t hi = c + 1 < a.cols && q < steps / 16 ? (uint32_t)__ldg(xm + c + 1) : 0u;
            dst[m] = lo | hi << 16;
        }
    };
#pragma unroll
    for (int m = 0; m < M; m++) s[m] = 0.f;
    load_x(0, xv);
    for (uint32_t q = 0; q < steps / 16; q++) {
        uint4 rn = q + 1 < steps / 16 ? __ldg(raw + (q + 1) * 32 + lane) : rv;
        load_x(q + 1, xn);
#pragma unroll
        for (int i = 0; i < 8; i++) {
            uint32_t hi = lut[dec_step(d, a, tab, lt, lane)];
            if (ESC && __any_sync(0xffffffffu, hi & 0x10001u)) hi = pair_escape(hi, a, epos, eend, lt);
            uint32_t w = i < 2 ? rv.x : i < 4 ? rv.y : i < 6 ? rv.z : rv.w;
            uint32_t v = (hi & PAIR_MUX) | (__byte_perm(w, 0, (i & 1) ? 0x3322 : 0x1100) & ~PAIR_MUX);
            float w0 = __uint_as_float(v << 16), w1 = __uint_as_float(v & 0xffff0000u);
#pragma unroll
            for (int m = 0; m < M; m++) {
                uint32_t xp = __shfl_sync(0xffffffffu, xv[m], i);
                s[m] = fmaf(w0, __uint_as_float(xp << 16), s[m]);
                s[m] = fmaf(w1, __uint_as_float(xp & 0xffff0000u), s[m]);
            }
        }
        rv = rn;
#pragma unroll
        for (int m = 0; m < M; m++) xv[m] = xn[m];
        if ((q + 1) % groups_per_rg == 0) { // row group done
            uint64_t row = ti * a.T + (q / groups_per_rg) * 32 + lane;
            if (row < a.rows)
#pragma unroll
                for (int m = 0; m < M; m++) atomicAdd(acc + (uint64_t)m * a.rows + row, s[m]);
#pragma unroll
            for (int m = 0; m < M; m++) s[m] = 0.f;
        }
    }
    if (ESC && epos != eend && lane == 0) atomicOr(a.err, 1);
}

template <int M>
__global__ void __launch_bounds__(WARPS * 32, M <= 2 ? PAIR_MINB : 0) ta_pair_gemv_kernel(TaArgs a, const uint16_t *__restrict__ X, float *acc)
{
    __shared__ uint32_t tab[1 << WZ_RANS_MAX_BITS];
    __shared__ uint32_t lut[256];
    __shared__ __align__(16) uint16_t rings[WARPS][RING_WORDS];
    load_lut(lut, a.lut);
    load_table(tab, a.dtable, a.prob_bits);
    int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    uint32_t lt = (1u << lane) - 1;
    for (uint64_t k = (uint64_t)blockIdx.x * WARPS + warp; k < a.ntiles; k += (uint64_t)gridDim.x * WARPS) {
        WarpDec d;
        dec_begin(d, a, k, lane, rings[warp]);
        if (a.esc_off[k + 1] != a.esc_off[k]) pair_gemv_tile<M, true>(a, k, d, tab, lut, lt, lane, X, acc);
        else pair_gemv_tile<M, false>(a, k, d, tab, lut, lt, lane, X, acc);
        dec_end(d, a);
    }
}

__global__ void wz_f32_to_bf16_kernel(const float *in, uint16_t *out, uint64_t n)
{
    for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x) {
        __nv_bfloat16 b = __float2bfloat16_rn(in[i]);
        out[i] = *(uint16_t *)&b;
    }
}

wz_err wz_launch_f32_to_bf16(const float *in, uint16_t *out, uint64_t n, cudaStream_t s)
{
    wz_f32_to_bf16_kernel<<<(int)((n + 255) / 256 < 4096 ? (n + 255) / 256 : 4096), 256, 0, s>>>(in, out, n);
    CU(cudaGetLastError(), "convert launch");
    return WZ_OK;
}

static TaArgs args_of(const wz_gpu_ta *g)
{
    TaArgs a;
    a.word_off = g->d_word_off; a.states = g->d_states; a.dtable = g->d_dtable;
    a.words = g->d_words; a.raw = g->d_raw;
    a.esc = g->d_esc; a.esc_off = g->d_esc_off; a.lut = g->d_lut;
    a.pair = g->h.model == WZ_TA_MODEL_PAIR16;
    a.rows = g->h.rows; a.cols = g->h.cols; a.ntiles = g->ntiles; a.nwords = g->h.nwords;
    a.T = g->h.tile_rows; a.K = g->h.tile_cols; a.tiles_c = g->h.tiles_c; a.prob_bits = g->h.prob_bits;
    a.bf16 = g->h.dtype == WZ_DT_BF16;
    a.err = g->d_err;
    return a;
}

static int grid_for(uint64_t ntiles)
{
    int sms = wz_sm_count();
    uint64_t blocks = (ntiles + WARPS - 1) / WARPS, cap = (uint64_t)sms * 8; // 8 blocks x 8 warps = 64 warps/SM max
    return (int)(blocks < cap ? blocks : cap);
}

extern "C" wz_err wz_gpu_ta_decode(const wz_gpu_ta *g, uint16_t *d_out, void *stream)
{
    TaArgs a = args_of(g);
    int grid = grid_for(a.ntiles);
    cudaStream_t s = (cudaStream_t)stream;
    if (a.pair) ta_pair_decode_kernel<<<grid, WARPS * 32, 0, s>>>(a, d_out);
    else ta_decode_kernel<<<grid, WARPS * 32, 0, s>>>(a, d_out);
    CU(cudaGetLastError(), "ta_decode_kernel launch");
    return WZ_OK;
}

extern "C" wz_err wz_gpu_ta_gemv(const wz_gpu_ta *g, const uint16_t *d_x, int M, uint16_t *d_y, float *d_acc, void *stream)
{
    if (g->h.dtype != WZ_DT_BF16) return wz_fail(WZ_ERR_UNSUPPORTED, "fused GEMV: bf16 only");
    cudaStream_t s = (cudaStream_t)stream;
    TaArgs a = args_of(g);
    CU(cudaMemsetAsync(d_acc, 0, sizeof(float) * (size_t)M * a.rows, s), "memset");
    int grid = grid_for(a.ntiles);
#define GEMV(MM) do { if (a.pair) ta_pair_gemv_kernel<MM><<<grid, WARPS * 32, 0, s>>>(a, d_x, d_acc); \
                      else ta_gemv_kernel<MM><<<grid, WARPS * 32, 0, s>>>(a, d_x, d_acc); } while (0)
    switch (M) {
    case 1: GEMV(1); break;
    case 2: GEMV(2); break;
    case 4: GEMV(4); break;
    case 8: GEMV(8); break;
    default: return wz_fail(WZ_ERR_ARG, "fused GEMV: M=%d not in {1,2,4,8}", M);
    }
#undef GEMV
    CU(cudaGetLastError(), "ta_gemv_kernel launch");
    return wz_launch_f32_to_bf16(d_acc, d_y, (uint64_t)M * a.rows, s);
}

wz_err wz_gpu_read_flag(int *d_err, const char *what)
{
    int err = 0;
    CU(cudaDeviceSynchronize(), "sync");
    CU(cudaMemcpy(&err, d_err, sizeof err, cudaMemcpyDeviceToHost), "read error flag");
    if (err) {
        cudaMemset(d_err, 0, sizeof(int)); // re-arm for the next launch
        return wz_fail(WZ_ERR_CORRUPT, "GPU %s", what);
    }
    return WZ_OK;
}

extern "C" wz_err wz_gpu_ta_check(const wz_gpu_ta *g)
{
    return wz_gpu_read_flag(g->d_err, "tile-ans: a tile's stream failed its end-of-stream check");
}
