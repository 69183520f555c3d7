// bitmap.cu — GPU decode of the bitmap (ZipServ-style) codec: standalone and
// fused GEMV. No serial dependency: each lane owns one row of a 32x32 block
// and rebuilds its 32 weights from three bit-planes, 32 raw bytes and (for
// code 7) an escape byte found by a warp prefix sum. A warp walks BM_CHUNK
// blocks along one block-row, loading block i+1 while it computes block i.
// (v3 prefetched escape bytes a block ahead: +30 registers, 1.5x slower;
// reverted, see NOTES.md.)
// CPU reference: codecs/bitmap/bitmap.c (bm_decode). Both code widths:
// 3 (ZipServ-style bit-planes) and 4 (bitmap4, nibbles + lookup table);
// bitmap4 in both element orders (rows; MMA: a lane's pairs are A fragments).
#include <stdio.h>
#include <stdlib.h>
#include <algorithm>
extern "C" {
#include "codecs/codecs.h"
#include "kernels/kernels.h"
}
#include "kernels/gpu_common.cuh"
#include "kernels/mma_rows32.cuh"
#include "kernels/bitmap4.cuh"

#define BM_WARPS 8
#define BM_CHUNK 8 /* blocks (of 32 columns) per warp unit: 256 columns */
#define BM_BLOCK_BYTES (3 * 128 + 1024)   /* width 3 */

struct wz_gpu_bm {
    wz_bm_header h;
    uint8_t *d_blob;
    size_t len;
    const uint32_t *d_esc_off;
    const uint8_t *d_blocks, *d_esc;
    uint64_t nblocks;
    // bitmap4 MMA, for the wgmma GEMM's escape patch (bm4_wgmma.cu, WZ_WG_EPV):
    // two slots a block, then every escape as (position | bf16 << 16) in the
    // list's order (codecs.h: wz_bm_escape_slots, wz_bm_escape_list).
    uint32_t *d_escx;
    size_t escx_bytes;
    uint64_t corr_off; // words into d_escx where the corrections (BmArgs::corr) start
    int order; // WZ_TA_ORDER_* (codecs.h: bitmap4 v2 blobs are MMA)
    SplitKBuf *sk; // the tensor-core GEMM's split-K sums and counters (zero between calls)
};

extern "C" wz_err wz_gpu_bm_upload(const uint8_t *blob, size_t len, wz_gpu_bm **out)
{
    *out = NULL;
    wz_bm_view v;
    WZ_TRY(wz_bm_parse(blob, len, &v)); // validates index, counts and sizes before any launch
    wz_gpu_bm *g = (wz_gpu_bm *)calloc(1, sizeof *g);
    if (!g || !(g->sk = (SplitKBuf *)calloc(1, sizeof *g->sk))) { free(g); return wz_fail(WZ_ERR_NOMEM, "out of memory"); }
    g->h = *v.h; g->len = len; g->nblocks = v.nblocks; g->order = v.order;
    cudaError_t e = wz_gpu_blob_upload(blob, len, 0, &g->d_blob);
    if (e != cudaSuccess) { cudaFree(g->d_blob); free(g->sk); free(g); return wz_cuda_fail(e, "upload"); }
    g->d_esc_off = wz_dev_at(g->d_blob, blob, v.esc_off);
    g->d_blocks = wz_dev_at(g->d_blob, blob, v.blocks);
    g->d_esc = wz_dev_at(g->d_blob, blob, v.esc);
    if (v.h->width == 4 && v.order == WZ_TA_ORDER_MMA) {
        // 8 bytes a block (+0.5% of bitmap4's bytes, read beside each block)
        // and 4 an escape (0.018 bits a weight on the synthetic layer); then,
        // 8-byte aligned, 8 an escape: the escapes again as the M <= 4
        // kernel's corrections (WZ_BM4_XCORR, wz_bm_escape_corrections).
        const uint64_t nw = (2 * v.nblocks + v.h->nesc + 1) & ~1ull;
        g->escx_bytes = 4 * (nw + 2 * v.h->nesc);
        uint32_t *h_escx = (uint32_t *)malloc(g->escx_bytes);
        if (!h_escx) { wz_gpu_bm_free(g); return wz_fail(WZ_ERR_NOMEM, "out of memory"); }
        uint32_t *const list = h_escx + 2 * v.nblocks;
        wz_bm_escape_list(&v, list);
        wz_bm_escape_slots(&v, list, h_escx);
        wz_bm_escape_corrections(&v, list, h_escx + nw);
        g->corr_off = nw;
        e = cudaMalloc(&g->d_escx, g->escx_bytes);
        if (e == cudaSuccess) e = cudaMemcpy(g->d_escx, h_escx, g->escx_bytes, cudaMemcpyHostToDevice);
        free(h_escx);
        if (e != cudaSuccess) { wz_gpu_bm_free(g); return wz_cuda_fail(e, "upload escapes"); }
    }
    *out = g;
    return WZ_OK;
}
extern "C" void wz_gpu_bm_free(wz_gpu_bm *g)
{
    if (!g) return;
    cudaFree(g->d_blob);
    cudaFree(g->d_escx);
    if (g->sk) { splitk_free(*g->sk); free(g->sk); }
    free(g);
}
extern "C" size_t wz_gpu_bm_bytes(const wz_gpu_bm *g) { return g->len + g->escx_bytes; }


struct BmBlock { uint32_t p0, p1, p2; uint4 r0, r1; };

__device__ __forceinline__ BmBlock bm_load(const BmArgs &a, uint64_t b, int lane)
{
    const uint8_t *blk = a.blocks + b * BM_BLOCK_BYTES;
    const uint32_t *pl = (const uint32_t *)blk;
    const uint4 *rw = (const uint4 *)(blk + 384);
    BmBlock k;
    k.p0 = __ldg(pl + lane); k.p1 = __ldg(pl + 32 + lane); k.p2 = __ldg(pl + 64 + lane);
    k.r0 = __ldg(rw + 2 * lane); k.r1 = __ldg(rw + 2 * lane + 1);
    return k;
}

// fp32 bits of weight s of this lane's row in block k.
__device__ __forceinline__ uint32_t bm_weight(const BmBlock &k, int s, uint32_t base, uint32_t esc, const uint8_t *myesc)
{
    uint32_t code = ((k.p0 >> s) & 1u) | (((k.p1 >> s) & 1u) << 1) | (((k.p2 >> s) & 1u) << 2);
    uint32_t ex = base + code;
    if (code == 7u) ex = __ldg(myesc + __popc(esc & ((1u << s) - 1u)));
    uint32_t w4 = s < 16 ? (s < 8 ? (s < 4 ? k.r0.x : k.r0.y) : (s < 12 ? k.r0.z : k.r0.w))
                         : (s < 24 ? (s < 20 ? k.r1.x : k.r1.y) : (s < 28 ? k.r1.z : k.r1.w));
    uint32_t r = (w4 >> (8 * (s & 3))) & 0xffu;
    return ((r & 0x80u) << 24) | (ex << 23) | ((r & 0x7fu) << 16);
}

// Escape list start for this lane: block start + exclusive warp prefix of popc(esc).
__device__ __forceinline__ const uint8_t *bm_esc_base(const BmArgs &a, uint64_t b, uint32_t esc, int lane)
{
    uint32_t c = __popc(esc), incl = c;
#pragma unroll
    for (int d = 1; d < 32; d <<= 1) { uint32_t t = __shfl_up_sync(0xffffffffu, incl, d); if (lane >= d) incl += t; }
    return a.esc + a.esc_off[b] + (incl - c);
}

__global__ void __launch_bounds__(BM_WARPS * 32) bm_decode_kernel(BmArgs a, uint16_t *out)
{
    int lane = threadIdx.x & 31;
    uint64_t units_c = (a.bc + BM_CHUNK - 1) / BM_CHUNK, nunits = (a.br1 - a.br0) * units_c;
    for (uint64_t u = (uint64_t)blockIdx.x * BM_WARPS + threadIdx.x / 32; u < nunits; u += (uint64_t)gridDim.x * BM_WARPS) {
        uint64_t br = a.br0 + u / units_c, bc0 = (u % units_c) * BM_CHUNK, bc1 = min(bc0 + BM_CHUNK, a.bc);
        uint64_t row = br * 32 + lane;
        BmBlock nx = bm_load(a, br * a.bc + bc0, lane);
        for (uint64_t bcx = bc0; bcx < bc1; bcx++) {
            uint64_t b = br * a.bc + bcx;
            BmBlock k = nx;
            if (bcx + 1 < bc1) nx = bm_load(a, b + 1, lane);
            uint32_t esc = k.p0 & k.p1 & k.p2;
            const uint8_t *myesc = __any_sync(0xffffffffu, esc) ? bm_esc_base(a, b, esc, lane) : a.esc;
            uint32_t v[32];
#pragma unroll
            for (int s = 0; s < 32; s++) v[s] = bm_weight(k, s, a.base, esc, myesc) >> 16;
            uint64_t col = bcx * 32;
            if (row < a.rows) {
                uint16_t *o = out + row * a.cols + col;
                if (col + 32 <= a.cols && ((uintptr_t)o & 15) == 0) {
#pragma unroll
                    for (int j = 0; j < 4; j++)
                        ((uint4 *)o)[j] = make_uint4(v[8 * j] | v[8 * j + 1] << 16, v[8 * j + 2] | v[8 * j + 3] << 16, v[8 * j + 4] | v[8 * j + 5] << 16,
                                                     v[8 * j + 6] | v[8 * j + 7] << 16);
                } else {
                    for (int s = 0; s < 32; s++) if (col + s < a.cols) o[s] = (uint16_t)v[s];
                }
            }
        }
    }
}

template <int M>
__global__ void __launch_bounds__(BM_WARPS * 32) bm_gemv_kernel(BmArgs a, const uint16_t *__restrict__ X, float *acc)
{
    int lane = threadIdx.x & 31;
    uint64_t units_c = (a.bc + BM_CHUNK - 1) / BM_CHUNK, nunits = ((a.rows + 31) / 32) * units_c;
    for (uint64_t u = (uint64_t)blockIdx.x * BM_WARPS + threadIdx.x / 32; u < nunits; u += (uint64_t)gridDim.x * BM_WARPS) {
        uint64_t br = u / units_c, bc0 = (u % units_c) * BM_CHUNK, bc1 = min(bc0 + BM_CHUNK, a.bc);
        // Activations stay raw bf16 bits until used (converting at load time
        // would make the prefetch wait for its own load).
        float s_[M];
        uint32_t xv[M], xn[M];
#pragma unroll
        for (int m = 0; m < M; m++) s_[m] = 0.f;
        auto load_x = [&](uint64_t bcx, uint32_t (&dst)[M]) {
            uint64_t c = bcx * 32 + lane;
#pragma unroll
            for (int m = 0; m < M; m++) dst[m] = c < a.cols ? (uint32_t)__ldg(X + (uint64_t)m * a.cols + c) : 0u;
        };
        BmBlock nx = bm_load(a, br * a.bc + bc0, lane);
        load_x(bc0, xn);
        for (uint64_t bcx = bc0; bcx < bc1; bcx++) {
            uint64_t b = br * a.bc + bcx;
            BmBlock k = nx;
#pragma unroll
            for (int m = 0; m < M; m++) xv[m] = xn[m];
            if (bcx + 1 < bc1) { nx = bm_load(a, b + 1, lane); load_x(bcx + 1, xn); }
            uint32_t esc = k.p0 & k.p1 & k.p2;
            const uint8_t *myesc = __any_sync(0xffffffffu, esc) ? bm_esc_base(a, b, esc, lane) : a.esc;
#pragma unroll
            for (int s = 0; s < 32; s++) {
                float w = __uint_as_float(bm_weight(k, s, a.base, esc, myesc));
#pragma unroll
                for (int m = 0; m < M; m++) s_[m] = fmaf(w, __uint_as_float(__shfl_sync(0xffffffffu, xv[m], s) << 16), s_[m]);
            }
        }
        uint64_t row = br * 32 + lane;
        if (row < a.rows)
#pragma unroll
            for (int m = 0; m < M; m++) atomicAdd(acc + (uint64_t)m * a.rows + row, s_[m]);
    }
}


// Standalone decode: each lane rebuilds 32 weights of its row; the warp
// then writes the 32x32 block through a shared-memory transpose so that
// each store instruction covers 8 rows x 64 contiguous bytes (whole
// sectors) instead of 32 rows x 16 bytes. ORD = WZ_TA_ORDER_MMA: a lane's
// pairs are A fragments (two 16-column halves), staged by stmatrix
// (kernels/mma_rows32.cuh, as tile-ans's MMA-order decoder).
template <int ORD, int NW = BM_WARPS>
__global__ void __launch_bounds__(NW * 32) bm4_decode_kernel(BmArgs a, uint16_t *out)
{
    __shared__ __align__(1024) uint32_t lut[256]; // aligned: bm4_lut_entry ORs its offset in
    __shared__ __align__(16) uint32_t stage[NW][32][ORD == WZ_TA_ORDER_MMA ? 16 : 17]; // rows: +1 word, conflict-free row writes
    bm4_lut(lut, a.base);
    const auto ex = bm4_src(lut, a.base);
    int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    uint64_t units_c = (a.bc + BM_CHUNK - 1) / BM_CHUNK, nunits = (a.br1 - a.br0) * units_c;
    for (uint64_t u = (uint64_t)blockIdx.x * NW + warp; u < nunits; u += (uint64_t)gridDim.x * NW) {
        uint64_t br = a.br0 + u / units_c, bc0 = (u % units_c) * BM_CHUNK, bc1 = min(bc0 + BM_CHUNK, a.bc), row = br * 32 + lane;
        Bm4Cursor<> cur(a, br * a.bc + bc0, lane);
        Bm4Block nx = cur.load();
        for (uint64_t bcx = bc0; bcx < bc1; bcx++) {
            Bm4Block k = nx;
            cur.next();
            if (bcx + 1 < bc1) nx = cur.load();
            if (WZ_BM4_L2PF && bcx + 1 + WZ_BM4_L2PF < bc1) cur.prefetch_l2<WZ_BM4_L2PF>();
            uint32_t fl[4];
            bool esc;
            const uint8_t *eb;
            bm4_escapes(a, k, lane, fl, esc, eb);
            uint32_t va[8], vb[8]; // pairs 0-7, 8-15
            bm4_half(k, 0, ex, esc, fl, eb, va);
            bm4_half(k, 1, ex, esc, fl, eb, vb);
            uint64_t col = bcx * 32;
            if (ORD == WZ_TA_ORDER_MMA) {
                if (col + 32 <= a.cols && (a.cols & 7) == 0) { // warp-uniform
                    const uint32_t st_s = (uint32_t)__cvta_generic_to_shared(&stage[warp][0][0]);
                    __syncwarp(); // the previous block's reads of the stage are done
                    stage_frag_group(st_s, lane, 0, va);
                    stage_frag_group(st_s, lane, 1, vb);
                    flush_stage32(out, a.rows, a.cols, (const uint4 *)&stage[warp][0][0], lane, br * 32, col);
                } else {
                    store_frag_group(out, a.rows, a.cols, br * 32, col, lane, va);
                    store_frag_group(out, a.rows, a.cols, br * 32, col + 16, lane, vb);
                }
                continue;
            }
            bool full = br * 32 + 32 <= a.rows && col + 32 <= a.cols && (a.cols & 7) == 0;
            if (full) {
                __syncwarp();
#pragma unroll
                for (int p = 0; p < 16; p++) stage[warp][lane][p] = p < 8 ? va[p] : vb[p - 8];
                __syncwarp();
#pragma unroll
                for (int j = 0; j < 4; j++) {
                    int r = j * 8 + lane / 4, seg = lane % 4;
                    const uint32_t *sr = &stage[warp][r][seg * 4];
                    *(uint4 *)(out + (br * 32 + r) * a.cols + col + seg * 8) = make_uint4(sr[0], sr[1], sr[2], sr[3]);
                }
            } else if (row < a.rows) {
                uint16_t *o = out + row * a.cols + col;
                for (int p = 0; p < 16; p++) {
                    const uint32_t w = p < 8 ? va[p] : vb[p - 8];
                    if (col + 2 * p < a.cols) o[2 * p] = (uint16_t)w;
                    if (col + 2 * p + 1 < a.cols) o[2 * p + 1] = (uint16_t)(w >> 16);
                }
            }
        }
    }
}

// bitmap4 GEMV (v2): the 8 warps of a block take 8 consecutive 32-row
// blocks of the same 256-column chunk, so the chunk's activations are staged
// once per block in shared memory as fp32 and each weight pair reads its two
// x values with one broadcast LDS.64 per m (v1 spent two shuffles and two
// shifts per pair per m).
// Two weights (a bf16x2 word) times their two activations, for every m:
// xp points at the pair's float2 in row m = 0 of the staged activations.
template <int M>
__device__ __forceinline__ void bm4_fma_pair(uint32_t w2, const float2 *xp, float (&s0)[M], float (&s1)[M])
{
    float lo = __uint_as_float(w2 << 16), hi = __uint_as_float(w2 & 0xffff0000u);
#pragma unroll
    for (int m = 0; m < M; m++) {
        float2 x2 = xp[m * (BM_CHUNK * 16)];
        s0[m] = fmaf(lo, x2.x, s0[m]);
        s1[m] = fmaf(hi, x2.y, s1[m]);
    }
}

template <int M>
__global__ void __launch_bounds__(BM_WARPS * 32) bm4_gemv_kernel(BmArgs a, const uint16_t *__restrict__ X, float *acc)
{
    __shared__ __align__(1024) uint32_t lut[256]; // aligned: bm4_lut_entry ORs its offset in
    __shared__ __align__(16) float xs[M][BM_CHUNK * 32];
    bm4_lut(lut, a.base);
    const auto ex = bm4_src(lut, a.base);
    int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    uint64_t units_c = (a.bc + BM_CHUNK - 1) / BM_CHUNK, rgroups = ((a.rows + 31) / 32 + BM_WARPS - 1) / BM_WARPS;
    for (uint64_t u = blockIdx.x; u < rgroups * units_c; u += gridDim.x) {
        uint64_t rg = u / units_c, bc0 = (u % units_c) * BM_CHUNK, bc1 = min(bc0 + BM_CHUNK, a.bc);
        uint64_t br = rg * BM_WARPS + warp;
        __syncthreads(); // previous unit's readers are done with xs
        for (uint32_t i = threadIdx.x; i < M * BM_CHUNK * 32; i += blockDim.x) {
            uint32_t m = i / (BM_CHUNK * 32), c = i % (BM_CHUNK * 32);
            uint64_t col = bc0 * 32 + c;
            xs[m][c] = col < a.cols ? __uint_as_float((uint32_t)__ldg(X + (uint64_t)m * a.cols + col) << 16) : 0.f;
        }
        __syncthreads();
        if (br * 32 >= a.rows) continue; // this warp has no rows here (after the barriers)
        float s0[M], s1[M];
#pragma unroll
        for (int m = 0; m < M; m++) s0[m] = s1[m] = 0.f;
        Bm4Cursor<> cur(a, br * a.bc + bc0, lane);
        Bm4Block nx = cur.load();
        for (uint64_t bcx = bc0; bcx < bc1; bcx++) {
            Bm4Block k = nx;
            cur.next();
            if (bcx + 1 < bc1) nx = cur.load();
            uint32_t fl[4] = {esc_flags(k.c.x), esc_flags(k.c.y), esc_flags(k.c.z), esc_flags(k.c.w)};
            const float2 *xp = (const float2 *)&xs[0][(bcx - bc0) * 32];
            if (!__any_sync(0xffffffffu, fl[0] | fl[1] | fl[2] | fl[3])) { // warp-uniform fast path
#pragma unroll
                for (int p = 0; p < 16; p++) bm4_fma_pair<M>(bm4_pair_fast(k, p, ex), xp + p, s0, s1);
                continue;
            }
            const uint8_t *eb = bm4_ebase(a, k, fl, lane);
#pragma unroll
            for (int p = 0; p < 16; p++) bm4_fma_pair<M>(bm4_pair(k, p, ex, fl, eb), xp + p, s0, s1);
        }
        uint64_t row = br * 32 + lane;
        if (row < a.rows)
#pragma unroll
            for (int m = 0; m < M; m++) atomicAdd(acc + (uint64_t)m * a.rows + row, s0[m] + s1[m]);
    }
}

// bitmap4 fused GEMM on tensor cores (v27, v32): a lane rebuilds 16 weight
// pairs per 32x32 block, in two halves of 16 columns, each fed to mma.sync
// (fp32 accumulators for NT n-tiles of 8 activation rows; M <= 8 NT, the
// last n-tile padded with zero rows). ORD = WZ_TA_ORDER_MMA (v32): the
// lane's pairs are its A fragments as decoded, so every M from 1 to 64 runs
// with no stage, no ldmatrix and no CUDA-core FMAs (tile-ans's MMA order,
// v30). ORD = ROWS (v27, lane = row; rows-order blobs at M > 8): each half
// goes through the 1 KB stage and ldmatrix of kernels/mma_rows32.cuh. A
// warp owns one unit of a.chunk blocks along a block-row (frag_grid picks
// the size; split-K over units: one atomicAdd per output element per
// unit); B fragments walk the unit by a running pointer (MmaB). ODD: odd
// row stride (16-bit activation loads).
#ifndef WZ_BM4_LA2
#define WZ_BM4_LA2 0 // 1: M <= 8 holds two blocks in flight a warp, not one (v41 A/B; with BM4_FRAG_NT1_BLOCKS=2, 128 registers)
#endif
#ifndef BM4_FRAG_PF
#define BM4_FRAG_PF 1 // NT = 1: B fragments a block ahead (v32 A/B)
#endif
#ifndef BM4_FRAG_NT1_BLOCKS
#define BM4_FRAG_NT1_BLOCKS 3 // NT = 1: blocks of 8 warps per SM the registers are fitted to (4: 64 registers, spills with PF)
#endif
#ifndef BM4_MMA_NT2_BLOCKS
#define BM4_MMA_NT2_BLOCKS 3 // NT = 2 (M = 9..16): 80 registers, 20-76 B of spills; 2 would fit without (v32 A/B)
#endif
// Diagnostic (v49; wrong products by design, never a default): 1 — the
// M <= 8 kernel multiplies the loaded code and raw words as they are: no
// escapes, no decode; what is left is the loads, the MMAs and the ends.
// 2 — it decodes every weight as if no block had escapes (the flags, vote,
// lane scan and escape-byte loads gone; escaped weights come out wrong).
#ifndef WZ_BM4_SOL
#define WZ_BM4_SOL 0
#endif
// Diagnostic (v49; wrong products by design): 1 — the escapes of every
// odd block are ignored (the block runs the escape-free path), so about
// half of the blocks that carry one (36% -> ~18%) pay for it: what a
// per-block exponent window (19% of blocks with an escape on the synthetic
// layer) would buy, in the M <= 8 kernel (with the escape path; XC off).
// (The same test in the wgmma GEMM's patch changed its code generation
// more than its work: +4% at M = 64, not a measurement; removed.)
#ifndef WZ_BM4_ESCHALF
#define WZ_BM4_ESCHALF 0
#endif
// XC (v49, WZ_BM4_XCORR): no escape reaches the decode. Every weight is
// decoded escape-free (code 15 gives exponent 0: a subnormal whose products
// vanish in the fp32 sums), and each escaped weight w at (row, column) adds
// x[column] * w to its row's split-K sum as one more contribution, from the
// corrections list (BmArgs::corr): a unit's entries are those of its blocks,
// contiguous, loaded at its start (one a lane) and added after its loop.
// The flags, the vote, the lane scan and the dependent escape-byte loads
// leave the block loop (v49e: 12 us of the layer's 180 at M = 1).
#ifndef WZ_BM4_XCORR
#define WZ_BM4_XCORR 1
#endif
// Same-call A/B on H100 (layer, two rounds, results/gpu-bench-v49-xcorr-*;
// gpu_test passed): M = 1 171.3 / 171.8 us against 177.8 / 179.2 (-3.9%),
// M = 4 183.2 / 181.7 against 187.6 / 186.2 (-2.4%), M = 8 198.0 / 198.0
// against 194.4 / 195.6 (+1.5%: a correction costs an activation load and
// an atomic a token). So the corrections run up to M = 4.
#ifndef WZ_BM4_XCORR_MAX_M
#define WZ_BM4_XCORR_MAX_M 4
#endif
// TM4 (v50, with XC at M <= 4): the split-K sums token-minor, 4 to a row,
// so a unit's flush and an escape's correction each add a row's tokens with
// one vector atomic (mma_flush_tm<1, 4>) instead of M scalar ones; the epilogue
// reads them back as one float4 a row (splitk_finish<true>). v50's
// WZ_BM4_RED_DIAG: the M > 1 atomics cost 3-5 us of the M = 4 layer.
// Same-call A/B on H100 (layer, two rounds, results/gpu-bench-v50-tm4-*;
// gpu_test passed): M = 4 176.9 / 177.1 us against 182.7 / 184.2 (-3.6%),
// M = 2 174.3 / 175.8 against 177.5 / 178.2 (-1.5%), but M = 1 174.4 /
// 175.4 against 172.5 / 172.1 (+1.5%: a vector atomic moves 16 bytes for
// the one token). So it runs from M = 2.
#ifndef WZ_BM4_TM4
#define WZ_BM4_TM4 1
#endif
// It needs the in-kernel epilogue (the conversion launch reads token-major
// sums) and at most 4 tokens where corrections run.
#define BM4_TM4_ON (WZ_BM4_TM4 && WZ_SPLITK_EPI)
static_assert(!BM4_TM4_ON || WZ_BM4_XCORR_MAX_M <= 4, "WZ_BM4_TM4 holds 4 tokens a row");
// Diagnostic (v50; wrong products by design, never a default): 1 — the
// M <= 8 kernel's split-K atomics (the unit's flush and the escapes'
// corrections) for token 0 only: what the reductions' atomics cost at
// M = 2..4, where a unit adds M x 32 sums and an escape M. (Dropping them
// all let ptxas remove the whole loop, whose sums went nowhere: no timing.)
#ifndef WZ_BM4_RED_DIAG
#define WZ_BM4_RED_DIAG 0
#endif
template <int NT, bool ODD, int ORD, bool XC = false, bool TM = false>
__global__ void __launch_bounds__(BM_WARPS * 32, NT == 1 ? BM4_FRAG_NT1_BLOCKS : NT == 2 ? BM4_MMA_NT2_BLOCKS : NT == 4 ? 2 : 1)
    bm4_mma_kernel(BmArgs a, const uint16_t *__restrict__ X, int M)
{
    __shared__ __align__(1024) uint32_t lut[256]; // aligned: bm4_lut_entry ORs its offset in
    __shared__ uint4 stage[ORD == WZ_TA_ORDER_ROWS ? BM_WARPS : 1][64];
    if (threadIdx.x == 0) WZ_TRACE_SET(0);
    bm4_lut(lut, a.base);
    const auto ex = bm4_src(lut, a.base);
    const int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    uint4 *st = stage[ORD == WZ_TA_ORDER_ROWS ? warp : 0];
    const uint32_t st_s = (uint32_t)__cvta_generic_to_shared(st);
    const uint64_t units_c = (a.bc + a.chunk - 1) / a.chunk, nunits = ((a.rows + 31) / 32) * units_c;
    for (uint64_t u = (uint64_t)blockIdx.x * BM_WARPS + warp; u < nunits; u += (uint64_t)gridDim.x * BM_WARPS) {
        const uint64_t br = u / units_c, bc0 = (u % units_c) * a.chunk, bc1 = min(bc0 + a.chunk, a.bc);
        float c[2][NT][4];
        mma_zero(c);
        MmaB<NT, ODD> xb(X, a.cols, M, bc0 * 32, a.chunk * 32, lane);
        Bm4Cursor<> cur(a, br * a.bc + bc0, lane);
        Bm4Block nx = cur.load();
        uint32_t ce0 = 0, ce1 = 0;
        uint2 ce = make_uint2(0, 0);
        if (XC) { // the unit's corrections: entries esc_off[first block] .. esc_off[block past the last]
            ce0 = __ldg(a.esc_off + br * a.bc + bc0), ce1 = __ldg(a.esc_off + br * a.bc + bc1);
            if (ce0 + lane < ce1) ce = __ldg(a.corr + ce0 + lane);
        }
        // LA2 (NT = 1): two blocks in flight a warp, nx2 the second; the
        // cursor then stays one block further on (it points at nx2's).
        constexpr bool LA2 = NT == 1 && WZ_BM4_LA2;
        Bm4Block nx2;
        if (LA2) { cur.next(); if (bc0 + 1 < bc1) nx2 = cur.load(); }
        // PF (NT = 1, M <= 8): a block's B fragments are loaded a block
        // ahead — the decode of 8 pairs (~50 instructions) does not cover an
        // L2 round trip, and 4 more registers fit; wider n-tiles load each
        // half's just before its decode.
        constexpr bool PF = NT == 1 && BM4_FRAG_PF;
        uint32_t bq[2][NT][2];
        if (PF)
#pragma unroll
            for (int h = 0; h < 2; h++) { xb.load(bq[h], a.cols); xb.next(false, 0); }
        for (uint64_t bcx = bc0; bcx < bc1; bcx++) {
            Bm4Block k = nx;
            cur.next();
            if (LA2) {
                nx = nx2;
                if (bcx + 2 < bc1) nx2 = cur.load();
            } else if (bcx + 1 < bc1) nx = cur.load();
            if (WZ_BM4_L2PF && bcx + 1 + WZ_BM4_L2PF < bc1) cur.prefetch_l2<WZ_BM4_L2PF>();
            uint32_t bn[2][NT][2];
            if (PF)
#pragma unroll
                for (int h = 0; h < 2; h++) { xb.load(bn[h], a.cols); xb.next(false, 0); } // past the unit: zeros, unused
            uint32_t fl[4] = {0, 0, 0, 0};
            bool esc = false;
            const uint8_t *eb = a.esc;
            if (!WZ_BM4_SOL && !XC) bm4_escapes(a, k, lane, fl, esc, eb);
            if (WZ_BM4_ESCHALF && (bcx & 1)) esc = false; // diagnostic: odd blocks' escapes ignored
#pragma unroll
            for (int h = 0; h < 2; h++) {
                if (!PF) { xb.load(bq[h], a.cols); xb.next(false, 0); } // issued before the half's decode, used after it
                uint32_t v[8];
                if (WZ_BM4_SOL == 1) { // the loaded words as the weights: no decode, no escapes
                    const uint4 q = h ? k.r1 : k.r0;
                    const uint32_t qw[8] = {q.x, q.y, q.z, q.w, q.x ^ k.c.x, q.y ^ k.c.y, q.z ^ k.c.z, q.w ^ k.c.w};
#pragma unroll
                    for (int j = 0; j < 8; j++) v[j] = qw[j];
                } else
                    bm4_half(k, h, ex, esc, fl, eb, v);
                if (ORD == WZ_TA_ORDER_MMA) mma_frags32_k16<NT>(v, bq[h], c);
                else mma_rows32_k16<NT>(st, st_s, lane, v, bq[h], c);
            }
            if (PF)
#pragma unroll
                for (int h = 0; h < 2; h++)
#pragma unroll
                    for (int n = 0; n < NT; n++) bq[h][n][0] = bn[h][n][0], bq[h][n][1] = bn[h][n][1];
        }
        if (lane == 0) WZ_TRACE_MAX(2);
        const int Mred = WZ_BM4_RED_DIAG ? min(M, 1) : M; // M but in the diagnostic
        constexpr bool TM4 = XC && TM && NT == 1 && BM4_TM4_ON; // (the launch asks for it at M = 2..4)
        if constexpr (TM4) mma_flush_tm<1, 4>(c, a.sk.acc, a.rows, br * 32, lane);
        else mma_flush<NT>(c, a.sk.acc, a.rows, Mred, br * 32, lane);
        if (XC) // the escaped weights' products, as more sums of their rows (before the count below)
            for (uint32_t e = ce0 + lane; e < ce1; e += 32) {
                if (e >= ce0 + 32) ce = __ldg(a.corr + e); // past the first 32: rare
                const float w = __uint_as_float(ce.y & 0xffff0000u);
                const uint64_t row = br * 32 + (ce.y & 31);
                if constexpr (TM4) {
                    float f[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
                    for (int m = 0; m < 4; m++)
                        if (m < M) f[m] = __uint_as_float((uint32_t)__ldg(X + (uint64_t)m * a.cols + ce.x) << 16) * w;
                    atomicAdd((float4 *)a.sk.acc + row, make_float4(f[0], f[1], f[2], f[3]));
                } else
                    for (int m = 0; m < Mred; m++) {
                        const uint16_t xb16 = __ldg(X + (uint64_t)m * a.cols + ce.x);
                        atomicAdd(a.sk.acc + (uint64_t)m * a.rows + row, __uint_as_float((uint32_t)xb16 << 16) * w);
                    }
            }
        if (lane == 0) WZ_TRACE_MAX(3);
        splitk_finish<TM4>(a.sk, a.rows, M, br * 32, lane); // the unit that completes the block-row writes Y (v35)
    }
    if (lane == 0) WZ_TRACE_MAX(7);
}

// bitmap4 in the MMA order, M = 9..64 (v38): activations staged in shared
// memory. bm4_mma_kernel's warps own independent units and read their B
// fragments from L2 (M/2 words a lane a block, issued before each half's
// decode, whose ~50 instructions do not cover an L2 round trip; v34: later
// loads are worse). Here the 8 warps of a block take 8 block-rows of the
// same K range (a unit: a.chunk block columns), the block copies the
// range's activations into shared memory once by cp.async (the next
// unit's while this one runs: two buffers, one barrier a unit), and B
// fragments come back by ldmatrix (~30 cycles): no L2 latency in the
// warp's loop, 8x less activation traffic, no B pointers in registers.
// (v37, a block sharing each decoded block among warps that split the
// tokens, needed a barrier a block and lost 8-35%: NOTES.md.)
// Activation rows are 64 chunk + 16 bytes apart: the 8 rows of an
// ldmatrix 8x8 matrix fall on distinct 16-byte bank groups.
#ifndef WZ_BM4_XS
#define WZ_BM4_XS 1 // 0: bm4_mma_kernel at M = 9..64 (before v38; the A/B)
#endif
#ifndef WZ_BM4_XS_MIN_M
#define WZ_BM4_XS_MIN_M 9 // M = 1..8 keep bm4_mma_kernel (B a block ahead, the in-kernel epilogue)
#endif
#define BM4_XS_MAX_CHUNK 16
#ifndef BM4_XS_NT8_BLOCKS
#define BM4_XS_NT8_BLOCKS 1 // M = 33..64: 185 registers (v39; 164 at v38) at 1 block an SM; 2 caps them at 128 and spills (v38a: 4% slower)
#endif
#ifndef BM4_XS_NT2_BLOCKS
#define BM4_XS_NT2_BLOCKS 3 // M = 9..16: 80 registers
#endif
#ifndef WZ_BM4_XS_PATCH_NT2
#define WZ_BM4_XS_PATCH_NT2 0 // M = 9..16 keeps the select per pair (v39b: 208 vs 221 us, the patch loop spills at 80 registers)
#endif
#ifndef WZ_BM4_XS_RS8
#define WZ_BM4_XS_RS8 0 // 1: M = 33..64 splits each block's rows between two warps (16 warps a block); an A/B for v40
#endif
#define BM4_XS_RS_NT8 (WZ_BM4_XS_RS8 ? 2 : 1)
#ifndef WZ_BM4_XS_RS2
#define WZ_BM4_XS_RS2 0 // 1: the row split at M = 9..16 too (16 warps a block, 2 blocks an SM at <= 64 registers); an A/B for v40
#endif
#define BM4_XS_RS_NT2 (WZ_BM4_XS_RS2 ? 2 : 1)
// Staged for the next device session (v50e: written and compiled, NOT YET
// RUN; both off). TM16: at M = 9..16 the split-K sums token-minor, 16 to
// a row, a unit's flush in vector atomics (mma_flush_tm: 128 a unit instead
// of 512) and a token-minor conversion launch (wz_launch_tm_to_bf16_zero).
// XCORR_XS: bm4_mma_kernel's escape corrections here (v49l's form, +5.5%
// with 16 scalar atomics an escape), the activations from the unit's
// staged buffer; with TM16 an escape's 16 products go as 4 vector atomics.
#ifndef WZ_BM4_TM16
#define WZ_BM4_TM16 0
#endif
#ifndef WZ_BM4_XCORR_XS
#define WZ_BM4_XCORR_XS 0
#endif
#define BM4_TM16_ON (WZ_BM4_TM16 && WZ_SPLITK_EPI && BM4_XS_RS_NT2 == 1)
template <int NT, int RS, bool XC = false, bool TM = false>
__global__ void __launch_bounds__(BM_WARPS * RS * 32, RS == 2 ? (NT <= 2 ? 2 : 1) : NT == 1 ? 3 : NT == 2 ? BM4_XS_NT2_BLOCKS : NT == 4 ? 2 : BM4_XS_NT8_BLOCKS)
    bm4_xs_kernel(BmArgs a, const uint16_t *__restrict__ X, int M)
{
    __shared__ __align__(1024) uint32_t lut[256]; // aligned: bm4_lut_entry ORs its offset in
    extern __shared__ __align__(16) uint4 xs[]; // [2][8 NT tokens][4 chunk + 1]
    if (threadIdx.x == 0) WZ_TRACE_SET(0);
    bm4_lut(lut, a.base);
    const auto ex = bm4_src(lut, a.base);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, wr = warp / RS, rb = warp % RS; // RS = 2: block-row wr, rows 16 rb ..
    const uint32_t rs = 4 * a.chunk + 1, bufsz = 8 * NT * rs; // row stride, buffer size (16-byte units)
    const uint32_t xs_s = (uint32_t)__cvta_generic_to_shared(xs);
    const uint64_t brows = (a.rows + 31) / 32, rgroups = (brows + BM_WARPS - 1) / BM_WARPS;
    const uint64_t units_c = (a.bc + a.chunk - 1) / a.chunk, nunits = rgroups * units_c;
    auto stage = [&](uint64_t u, int buf) {
        xs_stage(xs_s + 16 * buf * bufsz, rs, X, M, a.cols, (u % units_c) * a.chunk * 32, a.chunk * 32, 8 * NT);
        asm volatile("cp.async.commit_group;\n" ::);
    };
    int buf = 0;
    if (blockIdx.x < nunits) stage(blockIdx.x, 0);
    for (uint64_t u = blockIdx.x; u < nunits; u += gridDim.x, buf ^= 1) {
        // This unit's activations have landed and are visible to all; every
        // warp is done with the previous unit, so the other buffer is free.
        asm volatile("cp.async.wait_group 0;\n" ::);
        __syncthreads();
        if (u + gridDim.x < nunits) stage(u + gridDim.x, buf ^ 1);
        const uint64_t br = (u / units_c) * BM_WARPS + wr, bc0 = (u % units_c) * a.chunk, bc1 = min(bc0 + a.chunk, a.bc);
        if (br >= brows) continue; // warp-uniform; the barriers above are passed by all
        const uint32_t xl = xs_lane_addr(xs_s + 16 * buf * bufsz, rs, lane);
        if constexpr (RS == 2) {
            float c[NT][4] = {};
            Bm4Cursor<true> cur(a, br * a.bc + bc0, lane, rb);
            Bm4Block nx = cur.load();
            for (uint64_t bcx = bc0; bcx < bc1; bcx++) {
                const Bm4Block k = cur.step(nx, bcx + 1 < bc1);
                uint32_t fl[4];
                bool esc;
                const uint8_t *eb;
                bm4_escapes(a, k, lane, fl, esc, eb);
#pragma unroll
                for (int h = 0; h < 2; h++) {
                    uint32_t bq[NT][2], v[4];
                    xs_load_b<NT>(xl, rs, (uint32_t)(bcx - bc0) * 32 + 16 * h, bq);
                    bm4_quarter(k, h, rb, ex, esc, fl, eb, v);
#pragma unroll
                    for (int n = 0; n < NT; n++) mma_bf16(c[n], v, bq[n][0], bq[n][1]);
                }
            }
            mma_flush16<NT>(c, a.sk.acc, a.rows, M, br * 32 + 16 * rb, lane);
            continue;
        }
        float c[2][NT][4];
        mma_zero(c);
        Bm4Cursor<> cur(a, br * a.bc + bc0, lane);
        Bm4Block nx = cur.load(); // one block ahead (two measured no faster at M = 64, v38c)
        uint32_t ce0 = 0, ce1 = 0;
        uint2 ce = make_uint2(0, 0);
        if (XC) { // the unit's corrections (bm4_mma_kernel's XC)
            ce0 = __ldg(a.esc_off + br * a.bc + bc0), ce1 = __ldg(a.esc_off + br * a.bc + bc1);
            if (ce0 + lane < ce1) ce = __ldg(a.corr + ce0 + lane);
        }
        for (uint64_t bcx = bc0; bcx < bc1; bcx++) {
            Bm4Block k = nx;
            cur.next();
            if (bcx + 1 < bc1) nx = cur.load();
            if (WZ_BM4_L2PF && bcx + 1 + WZ_BM4_L2PF < bc1) cur.prefetch_l2<WZ_BM4_L2PF>();
            uint32_t fl[4] = {0, 0, 0, 0};
            bool esc = false;
            const uint8_t *eb = a.esc;
            if (!XC) bm4_escapes(a, k, lane, fl, esc, eb);
#pragma unroll
            for (int h = 0; h < 2; h++) {
                uint32_t bq[NT][2];
                xs_load_b<NT>(xl, rs, (uint32_t)(bcx - bc0) * 32 + 16 * h, bq);
                uint32_t v[8];
                bm4_half<WZ_BM4_PATCH && (NT != 2 || WZ_BM4_XS_PATCH_NT2)>(k, h, ex, esc, fl, eb, v);
                mma_frags32_k16<NT>(v, bq, c);
            }
        }
        if constexpr (TM) mma_flush_tm<NT>(c, a.sk.acc, a.rows, br * 32, lane);
        else mma_flush<NT>(c, a.sk.acc, a.rows, M, br * 32, lane);
        if (XC) // token m's column j of the unit sits at 16 rs m + 2 j of the staged buffer
            for (uint32_t e = ce0 + lane; e < ce1; e += 32) {
                if (e >= ce0 + 32) ce = __ldg(a.corr + e); // past the first 32: rare
                const float w = __uint_as_float(ce.y & 0xffff0000u);
                const uint64_t row = br * 32 + (ce.y & 31);
                const uint32_t xa = xs_s + 16 * buf * bufsz + 2 * (uint32_t)(ce.x - bc0 * 32);
                if constexpr (TM) {
                    constexpr int W = 8 * NT;
#pragma unroll
                    for (int q = 0; q < W / 4; q++) {
                        if (4 * q >= M) break;
                        float f[4];
#pragma unroll
                        for (int i = 0; i < 4; i++) {
                            uint16_t xb16 = 0;
                            if (4 * q + i < M) asm volatile("ld.shared.u16 %0, [%1];" : "=h"(xb16) : "r"(xa + 16 * rs * (uint32_t)(4 * q + i)));
                            f[i] = __uint_as_float((uint32_t)xb16 << 16) * w;
                        }
                        atomicAdd((float4 *)(a.sk.acc + row * W + 4 * q), make_float4(f[0], f[1], f[2], f[3]));
                    }
                } else
                    for (int m = 0; m < M; m++) {
                        uint16_t xb16;
                        asm volatile("ld.shared.u16 %0, [%1];" : "=h"(xb16) : "r"(xa + 16 * rs * (uint32_t)m));
                        atomicAdd(a.sk.acc + (uint64_t)m * a.rows + row, __uint_as_float((uint32_t)xb16 << 16) * w);
                    }
            }
    }
    asm volatile("cp.async.wait_group 0;\n" ::);
    if ((threadIdx.x & 31) == 0) WZ_TRACE_MAX(7);
}

// Blocks per warp unit and the grid: all blocks resident (occupancy from
// the runtime), and the unit size that minimises the slowest warp's work:
// waves of units x (blocks per unit + ~2 blocks' worth of unit start — the
// first block's load is not overlapped, the flush is atomics). A fixed
// 8-block unit left o (5120x5120: 3200 units) 32 units over one wave of
// 3168 warps, a second wave for 1% of the work (v32: o at 31 us against
// the rows GEMV's 26).
// The unit length ch in lo..hi (block columns) for `rowunits` rows of units
// over a.bc block columns that minimises waves x (ch + 2), given how many
// units can run at once for each ch (resident(ch)); sets a.chunk.
template <class F>
static void pick_chunk(BmArgs &a, uint64_t rowunits, uint32_t lo, uint32_t hi, F resident)
{
    uint64_t best = UINT64_MAX;
    for (uint32_t ch = lo; ch <= hi; ch++) {
        const uint64_t r = resident(ch), units = rowunits * ((a.bc + ch - 1) / ch), cost = (units + r - 1) / r * (ch + 2);
        if (cost < best) { best = cost; a.chunk = ch; }
    }
}

template <class K>
static int frag_grid(K kern, BmArgs &a)
{
    int per_sm = 1;
    if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kern, BM_WARPS * 32, 0) != cudaSuccess || per_sm < 1) per_sm = 1;
    const uint64_t resident = (uint64_t)wz_sm_count() * per_sm * BM_WARPS, brows = (a.rows + 31) / 32;
    pick_chunk(a, brows, 4, 32, [&](uint32_t) { return resident; }); // a unit is a warp's
    const uint64_t units = brows * ((a.bc + a.chunk - 1) / a.chunk), blocks = (units + BM_WARPS - 1) / BM_WARPS;
    return (int)std::min<uint64_t>(blocks, resident / BM_WARPS);
}

template <int NT>
static void bm4_mma_launch(BmArgs a, const uint16_t *X, int M, cudaStream_t s)
{
    const bool mma = a.order == WZ_TA_ORDER_MMA, odd = a.cols % 2;
    // the table gives code 15 exponent 0 (bm4_lut); the arithmetic does not
    const bool xc = WZ_BM4_XCORR && !WZ_BM4_ARITH && NT == 1 && M <= WZ_BM4_XCORR_MAX_M && mma && a.corr;
    const bool tm = xc && BM4_TM4_ON && M >= 2; // token-minor sums (TM4) from 2 tokens (wz_gpu_bm_gemm sized them: 4 a row)
    auto kern = tm ? (odd ? bm4_mma_kernel<NT, true, WZ_TA_ORDER_MMA, NT == 1, true> : bm4_mma_kernel<NT, false, WZ_TA_ORDER_MMA, NT == 1, true>)
              : xc ? (odd ? bm4_mma_kernel<NT, true, WZ_TA_ORDER_MMA, NT == 1> : bm4_mma_kernel<NT, false, WZ_TA_ORDER_MMA, NT == 1>)
              : mma ? (odd ? bm4_mma_kernel<NT, true, WZ_TA_ORDER_MMA> : bm4_mma_kernel<NT, false, WZ_TA_ORDER_MMA>)
                    : (odd ? bm4_mma_kernel<NT, true, WZ_TA_ORDER_ROWS> : bm4_mma_kernel<NT, false, WZ_TA_ORDER_ROWS>);
    const int grid = frag_grid(kern, a);
    a.sk.parts = (unsigned)((a.bc + a.chunk - 1) / a.chunk); // units per block-row
    kern<<<grid, BM_WARPS * 32, 0, s>>>(a, X, M);
    WZ_TRACE_DUMP("warp", a.rows, a.cols, M, (unsigned)grid);
}

// bm4_xs_kernel's grid: all blocks resident, the unit length (4..16 block
// columns; the activation buffers, and so the blocks an SM, depend on it)
// by frag_grid's measure (pick_chunk).
template <int NT, int RS = 1, bool XC = false, bool TM = false>
static wz_err bm4_xs_launch(BmArgs a, const uint16_t *X, int M, cudaStream_t s)
{
    auto kern = bm4_xs_kernel<NT, RS, XC, TM>;
    constexpr int threads = BM_WARPS * RS * 32;
    const uint64_t brows = (a.rows + 31) / 32, rgroups = (brows + BM_WARPS - 1) / BM_WARPS;
    // Blocks an SM per unit length: a property of the kernel and its shared
    // memory only, so asked of the runtime once (not on every call).
    static int per_sm[BM4_XS_MAX_CHUNK + 1];
    if (!per_sm[BM4_XS_MAX_CHUNK]) {
        CU(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, 2 * 8 * NT * (64 * BM4_XS_MAX_CHUNK + 16)), "xs smem");
        for (uint32_t ch = 4; ch <= BM4_XS_MAX_CHUNK; ch++)
            if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm[ch], kern, threads, 2 * 8 * NT * (64 * ch + 16)) != cudaSuccess ||
                per_sm[ch] < 1)
                per_sm[ch] = 1;
    }
    pick_chunk(a, rgroups, 4, BM4_XS_MAX_CHUNK, [&](uint32_t ch) { return (uint64_t)wz_sm_count() * per_sm[ch]; }); // a unit is a block's
    const uint64_t units = rgroups * ((a.bc + a.chunk - 1) / a.chunk);
    const int grid = (int)std::min<uint64_t>(units, (uint64_t)wz_sm_count() * per_sm[a.chunk]);
    kern<<<grid, threads, 2 * 8 * NT * (64 * a.chunk + 16), s>>>(a, X, M);
    WZ_TRACE_DUMP("xs", a.rows, a.cols, M, (unsigned)grid);
    return WZ_OK;
}

static int bm4_gemv_grid(const BmArgs &a)
{
    uint64_t units = (((a.rows + 31) / 32 + BM_WARPS - 1) / BM_WARPS) * ((a.bc + BM_CHUNK - 1) / BM_CHUNK);
    uint64_t cap = (uint64_t)wz_sm_count() * 16;
    return (int)(units < cap ? units : cap);
}

static BmArgs bm_args(const wz_gpu_bm *g)
{
    BmArgs a;
    a.esc_off = g->d_esc_off; a.blocks = g->d_blocks; a.esc = g->d_esc; a.eslot = g->d_escx; a.epv = g->d_escx ? g->d_escx + 2 * g->nblocks : NULL;
    a.corr = g->d_escx ? (const uint2 *)(g->d_escx + g->corr_off) : NULL;
    a.rows = g->h.rows; a.cols = g->h.cols; a.bc = (g->h.cols + 31) / 32; a.base = g->h.base; a.width = g->h.width; a.order = g->order;
    a.chunk = BM_CHUNK;
    a.br0 = 0; a.br1 = (g->h.rows + 31) / 32;
    a.sk = SplitK{};
    return a;
}

#ifndef BM4_PACK_WARPS
#define BM4_PACK_WARPS 20 // the confined decode's warps a block: 640 threads x 66 registers (ptxas) = 42 K of an SM's 64 K, so neither a GEMM block (it needs them all) nor a second decode block fits; 40 KB of stage
#endif
static int bm_grid(const BmArgs &a, int max_sms = 0)
{
    uint64_t units = (a.br1 - a.br0) * ((a.bc + BM_CHUNK - 1) / BM_CHUNK), blocks = (units + BM_WARPS - 1) / BM_WARPS;
    uint64_t cap = (uint64_t)(max_sms > 0 && max_sms < wz_sm_count() ? max_sms : wz_sm_count()) * 16;
    return (int)(blocks < cap ? blocks : cap);
}

// Rows r0..r1-1 into d_out, (r1 - r0) x cols (kernels.h). The kernels
// write row r at out + r * cols for the rows of their block-rows only, so
// they get d_out moved back by r0 rows: an address never dereferenced
// outside [d_out, d_out + (r1 - r0) * cols).
extern "C" wz_err wz_gpu_bm_decode_rows(const wz_gpu_bm *g, uint64_t r0, uint64_t r1, uint16_t *d_out, int max_sms, void *stream)
{
    BmArgs a = bm_args(g);
    if (r0 % 32 || r0 >= r1 || r1 > a.rows || (r1 % 32 && r1 != a.rows))
        return wz_fail(WZ_ERR_ARG, "bitmap decode: rows %llu..%llu of %llu (block-rows of 32)", (unsigned long long)r0, (unsigned long long)r1,
                       (unsigned long long)a.rows);
    a.br0 = r0 / 32; a.br1 = (r1 + 31) / 32;
    uint16_t *out = (uint16_t *)((uintptr_t)d_out - (uintptr_t)(r0 * a.cols * sizeof(uint16_t)));
    cudaStream_t s = (cudaStream_t)stream;
    const int grid = bm_grid(a, max_sms);
    if (max_sms > 0 && a.width == 4 && a.order == WZ_TA_ORDER_MMA) {
        // Confined (the pipelined path): one block of BM4_PACK_WARPS warps an
        // SM, whose registers leave no room for a GEMM block or a second
        // one, so the decode holds exactly max_sms SMs; blocks of
        // 8 warps would land one an SM on up to 16 max_sms SMs, each
        // keeping a GEMM block out (measured: the GEMM lost more than the
        // decode cost).
        const uint64_t units = (a.br1 - a.br0) * ((a.bc + BM_CHUNK - 1) / BM_CHUNK);
        const int pg = (int)std::min<uint64_t>((units + BM4_PACK_WARPS - 1) / BM4_PACK_WARPS, (uint64_t)std::min(max_sms, wz_sm_count()));
        bm4_decode_kernel<WZ_TA_ORDER_MMA, BM4_PACK_WARPS><<<pg, BM4_PACK_WARPS * 32, 0, s>>>(a, out);
    } else if (a.width == 4 && a.order == WZ_TA_ORDER_MMA) bm4_decode_kernel<WZ_TA_ORDER_MMA><<<grid, BM_WARPS * 32, 0, s>>>(a, out);
    else if (a.width == 4) bm4_decode_kernel<WZ_TA_ORDER_ROWS><<<grid, BM_WARPS * 32, 0, s>>>(a, out);
    else bm_decode_kernel<<<grid, BM_WARPS * 32, 0, s>>>(a, out);
    CU(cudaGetLastError(), "bm_decode_kernel launch");
    return WZ_OK;
}

extern "C" wz_err wz_gpu_bm_decode(const wz_gpu_bm *g, uint16_t *d_out, void *stream)
{
    return wz_gpu_bm_decode_rows(g, 0, g->h.rows, d_out, 0, stream);
}

static wz_err bm_rows(const void *g, uint64_t r0, uint64_t r1, uint16_t *d_out, int max_sms, void *stream)
{
    return wz_gpu_bm_decode_rows((const wz_gpu_bm *)g, r0, r1, d_out, max_sms, stream);
}

extern "C" wz_gpu_rows_src wz_gpu_bm_rows_src(const wz_gpu_bm *g)
{
    wz_gpu_rows_src r = {bm_rows, g, g->h.rows, g->h.cols, 32, g->h.dtype == WZ_DT_BF16};
    return r;
}

// The fused kernels this blob has for M: bitmap.cu's warp kernels, the
// wgmma GEMM (kernels.h: WZ_BM_WARP, WZ_BM_WGMMA).
static void bm_paths(const wz_gpu_bm *g, int M, bool &warp, bool &wg)
{
    warp = g->order == WZ_TA_ORDER_MMA ? M >= 1 && M <= WZ_GPU_BM4_GEMV_MAX_M
                                       : M == 1 || M == 2 || M == 4 || M == 8 || (g->h.width == 4 && M > 8 && M <= WZ_GPU_BM4_GEMV_MAX_M);
    wg = bm4_wg_fits(bm_args(g), M);
}

extern "C" int wz_gpu_bm_path_ok(const wz_gpu_bm *g, int M, int path)
{
    bool warp, wg;
    bm_paths(g, M, warp, wg);
    return path == WZ_BM_WARP ? warp : path == WZ_BM_WGMMA ? wg : path == WZ_BM_AUTO && (warp || wg);
}

extern "C" int wz_gpu_bm_fused_ok(const wz_gpu_bm *g, int M) { return wz_gpu_bm_path_ok(g, M, WZ_BM_AUTO); }

extern "C" wz_err wz_gpu_bm_gemv(const wz_gpu_bm *g, const uint16_t *d_x, int M, uint16_t *d_y, float *d_acc, void *stream)
{
    return wz_gpu_bm_gemm(g, d_x, M, d_y, d_acc, WZ_BM_AUTO, stream);
}

extern "C" wz_err wz_gpu_bm_gemm(const wz_gpu_bm *g, const uint16_t *d_x, int M, uint16_t *d_y, float *d_acc, int path, void *stream)
{
    cudaStream_t s = (cudaStream_t)stream;
    BmArgs a = bm_args(g);
    if (!wz_gpu_bm_path_ok(g, M, path))
        return wz_fail(WZ_ERR_ARG, "bitmap fused GEMM: M=%d has no %s path for this blob (wz_gpu_bm_path_ok)", M,
                       path == WZ_BM_WARP ? "warp" : path == WZ_BM_WGMMA ? "wgmma" : "fused");
    if (path == WZ_BM_AUTO) {
        bool warp, wg;
        bm_paths(g, M, warp, wg);
        path = wg && (M >= WZ_GPU_BM4_WG_MIN_M || !warp) ? WZ_BM_WGMMA : WZ_BM_WARP;
    }
    if (path == WZ_BM_WGMMA) return bm4_wg_launch(a, d_x, M, d_y, *g->sk, s);
    if (a.width == 4 && (a.order == WZ_TA_ORDER_MMA || M > 8)) { // tensor cores, n-tiles of 8
        // Activations staged in shared memory where rows are 16-byte aligned (v38).
        const bool xs = WZ_BM4_XS && a.order == WZ_TA_ORDER_MMA && M >= WZ_BM4_XS_MIN_M && a.cols % 8 == 0 && ((uintptr_t)d_x & 15) == 0;
        // The epilogue in the kernel where it won (bm4_mma_kernel at NT = 1: -5%), else the re-zeroing conversion (v35).
        const bool xs16 = xs && M > 8 && M <= 16, tm16 = xs16 && BM4_TM16_ON;
        const bool xc16 = xs16 && WZ_BM4_XCORR_XS && !WZ_BM4_ARITH && BM4_XS_RS_NT2 == 1 && a.corr;
        // (Token-minor sums take W rows' worth: 4 at M = 2..4 with TM4, 16 with TM16.)
        const int sum_rows = tm16 ? 16 : BM4_TM4_ON && M >= 2 && M <= 4 ? 4 : M;
        WZ_TRY(splitk_begin(*g->sk, a.sk, a.rows, sum_rows, M <= 8 && !xs, d_acc, d_y, s));
        if (tm16) { // v50e (not yet run): token-minor sums, 16 a row
            WZ_TRY(xc16 ? (bm4_xs_launch<2, 1, true, true>(a, d_x, M, s)) : (bm4_xs_launch<2, 1, false, true>(a, d_x, M, s)));
            CU(cudaGetLastError(), "bm4_xs_kernel launch");
            return splitk_end_tm(a.sk, a.rows, M, 16, s);
        }
        if (xs) WZ_TRY(M <= 8 ? bm4_xs_launch<1>(a, d_x, M, s) : M <= 16 ? (xc16 ? bm4_xs_launch<2, 1, true>(a, d_x, M, s) : bm4_xs_launch<2, BM4_XS_RS_NT2>(a, d_x, M, s))
                       : M <= 32 ? bm4_xs_launch<4>(a, d_x, M, s) : (bm4_xs_launch<8, BM4_XS_RS_NT8>(a, d_x, M, s)));
        else if (M <= 8) bm4_mma_launch<1>(a, d_x, M, s);
        else if (M <= 16) bm4_mma_launch<2>(a, d_x, M, s);
        else if (M <= 32) bm4_mma_launch<4>(a, d_x, M, s);
        else bm4_mma_launch<8>(a, d_x, M, s);
        CU(cudaGetLastError(), "bm4_mma_kernel launch");
        return splitk_end(a.sk, a.rows, M, s);
    }
    CU(cudaMemsetAsync(d_acc, 0, sizeof(float) * (size_t)M * a.rows, s), "memset");
    int grid = bm_grid(a);
#define BMG(MM) (a.width == 4 ? (bm4_gemv_kernel<MM><<<bm4_gemv_grid(a), BM_WARPS * 32, 0, s>>>(a, d_x, d_acc)) : (bm_gemv_kernel<MM><<<grid, BM_WARPS * 32, 0, s>>>(a, d_x, d_acc)))
    switch (M) {
    case 1: BMG(1); break;
    case 2: BMG(2); break;
    case 4: BMG(4); break;
    case 8: BMG(8); break;
    default: return wz_fail(WZ_ERR_ARG, "bitmap GEMV: M=%d not in {1,2,4,8} (9..64: bitmap4)", M);
    }
#undef BMG
    CU(cudaGetLastError(), "bm_gemv_kernel launch");
    return wz_launch_f32_to_bf16(d_acc, d_y, (uint64_t)M * a.rows, s);
}
