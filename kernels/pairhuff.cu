// pairhuff.cu — GPU decode of the pairhuff codec (codecs.h, wz_ph_header):
// standalone, and fused into the tensor-core GEMV at M <= 8.
//
// A warp owns one segment at a time (16 blocks of one block row: the split-K
// unit) and runs the blob's own schedule: each lane starts with word l of
// the segment; before each pair step the lanes holding fewer than
// WZ_PH_NEED bits take the next words in lane order (a ballot, a prefix
// popcount); then every lane decodes one pair with one lookup in a 4096-entry
// table (both exponents at bits 7-14 and 23-30, the code length in bits
// 0-4, bit 5 = escape: the two exponent bytes follow in the stream).
// The segment's words reach the lanes through a ring of 4 rows x 32 words
// in registers (row k in slot k % 4, lane j holding word 32 k + j): a
// refill takes two shuffles (the 32 words a step can take span at most two
// rows), and entering row k loads row k + 3 with one coalesced load, ~96
// words (about a block) ahead. Word reads are clamped to the segment, so a
// corrupt stream decodes to garbage inside the matrix, never out of bounds
// (the host parser has checked every offset and size).
// CPU reference: codecs/pairhuff/pairhuff.c (ph_decode_seg runs the same
// schedule). kernels/NOTES.md v41c: the instruction count this loop costs.
#include <stdio.h>
#include <stdlib.h>
#include <algorithm>
extern "C" {
#include "codecs/codecs.h"
#include "codecs/huffman/huffman.h"
#include "kernels/kernels.h"
}
#include "kernels/gpu_common.cuh"
#include "kernels/mma_rows32.cuh"

#define PH_WARPS 8
#define PH_LUT (1u << WZ_HUF_MAX_BITS)
#define PH_ESC_BIT 32u

struct wz_gpu_ph {
    wz_ph_header h;
    uint8_t *d_blob;
    uint32_t *d_lut; // PH_LUT entries (ph_lut_entries)
    size_t len;
    const uint32_t *d_seg_off, *d_words;
    const uint8_t *d_raw;
    uint64_t nblocks, segs_per_row;
    SplitKBuf *sk;
};

// The table a lane indexes with its next 12 bits: exponents pre-placed for
// the bf16 pair (e0 at bits 7-14, e1 at 23-30), code length in bits 0-4,
// PH_ESC_BIT for the escape symbol; 0 (length 0) where no code starts.
static void ph_lut_entries(const wz_ph_header *h, uint32_t *lut)
{
    wz_huf_code c;
    memcpy(c.len, h->len, 256);
    wz_huf_assign(&c); // checked by wz_ph_parse
    memset(lut, 0, sizeof(uint32_t) * PH_LUT);
    for (int s = 0; s < 256; s++) {
        if (!c.len[s]) continue;
        const uint32_t e = s == (int)WZ_PH_ESC ? PH_ESC_BIT : (uint32_t)(h->pair[s] >> 8) << 7 | (uint32_t)(h->pair[s] & 0xff) << 23;
        const uint32_t first = (uint32_t)c.code[s] << (WZ_HUF_MAX_BITS - c.len[s]), n = 1u << (WZ_HUF_MAX_BITS - c.len[s]);
        for (uint32_t i = 0; i < n; i++) lut[first + i] = e | c.len[s];
    }
}

extern "C" wz_err wz_gpu_ph_upload(const uint8_t *blob, size_t len, wz_gpu_ph **out)
{
    *out = NULL;
    wz_ph_view v;
    WZ_TRY(wz_ph_parse(blob, len, &v));
    wz_gpu_ph *g = (wz_gpu_ph *)calloc(1, sizeof *g);
    uint32_t *lut = (uint32_t *)malloc(sizeof(uint32_t) * PH_LUT);
    if (!g || !lut || !(g->sk = (SplitKBuf *)calloc(1, sizeof *g->sk))) { free(g); free(lut); return wz_fail(WZ_ERR_NOMEM, "out of memory"); }
    ph_lut_entries(v.h, lut);
    g->h = *v.h; g->len = len; g->nblocks = v.nblocks; g->segs_per_row = v.segs_per_row;
    cudaError_t e = cudaMalloc(&g->d_blob, len);
    if (e == cudaSuccess) e = cudaMalloc(&g->d_lut, sizeof(uint32_t) * PH_LUT);
    if (e == cudaSuccess) e = cudaMemcpy(g->d_blob, blob, len, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) e = cudaMemcpy(g->d_lut, lut, sizeof(uint32_t) * PH_LUT, cudaMemcpyHostToDevice);
    free(lut);
    if (e != cudaSuccess) { cudaFree(g->d_blob); cudaFree(g->d_lut); free(g->sk); free(g); return wz_cuda_fail(e, "upload"); }
    g->d_seg_off = (const uint32_t *)(g->d_blob + ((const uint8_t *)v.seg_off - blob));
    g->d_words = (const uint32_t *)(g->d_blob + ((const uint8_t *)v.words - blob));
    g->d_raw = g->d_blob + (v.raw - blob);
    *out = g;
    return WZ_OK;
}
extern "C" void wz_gpu_ph_free(wz_gpu_ph *g)
{
    if (!g) return;
    cudaFree(g->d_blob);
    cudaFree(g->d_lut);
    if (g->sk) { splitk_free(*g->sk); free(g->sk); }
    free(g);
}
extern "C" size_t wz_gpu_ph_bytes(const wz_gpu_ph *g) { return g->len; }

struct PhArgs {
    const uint32_t *seg_off, *words, *lut;
    const uint8_t *raw;
    uint64_t rows, cols, bco, nsegs, spr; // spr: segments a block row
    uint32_t seg_blocks;
    SplitK sk;
};

// A warp's walk through one segment's word stream. Everything in the pair
// step is branch-free (selects and predicated moves): a divergent `if`
// there made ptxas wrap every ballot and shuffle in a convergence check
// and barrier (~90 instructions a pair in the first build, SASS).
struct PhStream {
    const uint32_t *w;
    uint32_t nw, at;          // words in the segment (>= 32), words handed out so far
    uint32_t cur, nxt, r2, r3; // rows at/32 .. at/32 + 3 of the segment: lane j holds word 32 k + j of row k
    uint64_t buf;             // this lane's next bits, MSB first
    int cnt;                  // valid bits in buf
    int lane;
    __device__ __forceinline__ uint32_t word(uint32_t i) const { return __ldg(w + min(i, nw - 1)); }
    __device__ __forceinline__ void start(const uint32_t *seg, uint32_t n, int l)
    {
        w = seg, nw = n, lane = l;
        buf = (uint64_t)word(l) << 32, cnt = 32, at = 32;
        cur = word(32 + l), nxt = word(64 + l), r2 = word(96 + l), r3 = word(128 + l);
    }
    // One pair step's refills (every lane calls it: the ballot's order is
    // the blob's).
    __device__ __forceinline__ void refill()
    {
        const bool need = cnt < WZ_PH_NEED;
        const uint32_t m = __ballot_sync(0xffffffffu, need), i = at + __popc(m & ((1u << lane) - 1u));
        const uint32_t a = __shfl_sync(0xffffffffu, cur, i & 31), b = __shfl_sync(0xffffffffu, nxt, i & 31);
        const uint32_t v = (i >> 5) == (at >> 5) ? a : b;
        buf |= need ? (uint64_t)v << (32 - cnt) : 0ull;
        cnt += need ? 32 : 0;
        const uint32_t next = at + __popc(m);
        if ((next >> 5) != (at >> 5)) { // warp-uniform: row at/32 used up, the ring moves on a row
            cur = nxt, nxt = r2, r2 = r3;
            r3 = word(32 * ((next >> 5) + 3) + lane);
        }
        at = next;
    }
    // The next pair's bf16x2: exponents from the table (or the escape bytes),
    // sign|mantissa from rw's bytes 2 (p & 1), +1 (as bitmap4's bm4_merge).
    __device__ __forceinline__ uint32_t pair(const uint32_t *lut, uint32_t rw, int p)
    {
        uint32_t e = lut[(uint32_t)(buf >> (64 - WZ_HUF_MAX_BITS))];
        const int L = e & 31;
        buf <<= L, cnt -= L;
        const uint32_t x = (uint32_t)(buf >> 48), esc = e & PH_ESC_BIT;
        const int sh = esc ? 16 : 0;
        buf <<= sh, cnt -= sh;
        e = esc ? (x >> 8) << 7 | (x & 0xffu) << 23 : e;
        const uint32_t b0 = 2 * (p & 1);
        return (__byte_perm(rw, 0u, b0 * 0x11u | (b0 + 1) * 0x1100u) & 0x807f807fu) | (e & 0x7f807f80u);
    }
    // Block b's 16 pairs: v[h] the A fragments of its 16-column half h.
    __device__ __forceinline__ void block(const uint32_t *lut, const uint4 &r0, const uint4 &r1, uint32_t (&v)[2][8])
    {
#pragma unroll
        for (int q = 0; q < 16; q++) {
            refill();
            const uint4 &r = q < 8 ? r0 : r1;
            const int k = (q >> 1) & 3;
            v[q >> 3][q & 7] = pair(lut, k == 0 ? r.x : k == 1 ? r.y : k == 2 ? r.z : r.w, q);
        }
    }
};

__device__ __forceinline__ void ph_lut_load(uint32_t *lut, const uint32_t *g)
{
    for (uint32_t i = threadIdx.x; i < PH_LUT; i += blockDim.x) lut[i] = __ldg(g + i);
    __syncthreads();
}

// Standalone decode: a warp a segment; blocks out through bitmap4's
// stmatrix stage (whole rows in range) or element by element at the edges.
__global__ void __launch_bounds__(PH_WARPS * 32) ph_decode_kernel(PhArgs a, uint16_t *out)
{
    __shared__ uint32_t lut[PH_LUT];
    __shared__ __align__(16) uint32_t stage[PH_WARPS][32][16];
    ph_lut_load(lut, a.lut);
    const int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    const uint32_t st_s = (uint32_t)__cvta_generic_to_shared(&stage[warp][0][0]);
    for (uint64_t u = (uint64_t)blockIdx.x * PH_WARPS + warp; u < a.nsegs; u += (uint64_t)gridDim.x * PH_WARPS) {
        const uint64_t br = u / a.spr, b0 = u % a.spr * a.seg_blocks, nb = min((uint64_t)a.seg_blocks, a.bco - b0);
        PhStream st;
        st.start(a.words + a.seg_off[u], a.seg_off[u + 1] - a.seg_off[u], lane);
        const uint4 *raw = (const uint4 *)(a.raw + (br * a.bco + b0) * 1024 + lane * 32);
        for (uint64_t b = 0; b < nb; b++, raw += 64) {
            const uint4 r0 = __ldg(raw), r1 = __ldg(raw + 1);
            uint32_t v[2][8];
            st.block(lut, r0, r1, v);
            const uint64_t col = (b0 + b) * 32;
            if (col + 32 <= a.cols && (a.cols & 7) == 0) { // warp-uniform
                __syncwarp();
                stage_frag_group(st_s, lane, 0, v[0]);
                stage_frag_group(st_s, lane, 1, v[1]);
                flush_stage32(out, a.rows, a.cols, (const uint4 *)&stage[warp][0][0], lane, br * 32, col);
            } else {
                store_frag_group(out, a.rows, a.cols, br * 32, col, lane, v[0]);
                store_frag_group(out, a.rows, a.cols, br * 32, col + 16, lane, v[1]);
            }
        }
    }
}

// Fused GEMV, M <= 8 (one n-tile of 8 tokens): a warp a segment, B
// fragments a half ahead of its MMA (as bitmap4's M <= 8 kernel), split-K
// sums per segment and the in-kernel epilogue (gpu_common.cuh).
template <bool ODD>
__global__ void __launch_bounds__(PH_WARPS * 32) ph_mma_kernel(PhArgs a, const uint16_t *__restrict__ X, int M)
{
    __shared__ uint32_t lut[PH_LUT];
    ph_lut_load(lut, a.lut);
    const int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    for (uint64_t u = (uint64_t)blockIdx.x * PH_WARPS + warp; u < a.nsegs; u += (uint64_t)gridDim.x * PH_WARPS) {
        const uint64_t br = u / a.spr, b0 = u % a.spr * a.seg_blocks, nb = min((uint64_t)a.seg_blocks, a.bco - b0);
        float c[2][1][4];
        mma_zero(c);
        MmaB<1, ODD> xb(X, a.cols, M, b0 * 32, (uint32_t)(nb * 32), lane);
        PhStream st;
        st.start(a.words + a.seg_off[u], a.seg_off[u + 1] - a.seg_off[u], lane);
        const uint4 *raw = (const uint4 *)(a.raw + (br * a.bco + b0) * 1024 + lane * 32);
        uint4 n0 = __ldg(raw), n1 = __ldg(raw + 1); // a block ahead
        for (uint64_t b = 0; b < nb; b++) {
            const uint4 r0 = n0, r1 = n1;
            raw += 64;
            if (b + 1 < nb) n0 = __ldg(raw), n1 = __ldg(raw + 1);
            uint32_t bq[2][1][2];
#pragma unroll
            for (int h = 0; h < 2; h++) { xb.load(bq[h], a.cols); xb.next(false, 0); }
            uint32_t v[2][8];
            st.block(lut, r0, r1, v);
            mma_frags32_k16<1>(v[0], bq[0], c);
            mma_frags32_k16<1>(v[1], bq[1], c);
        }
        mma_flush<1>(c, a.sk.acc, a.rows, M, br * 32, lane);
        splitk_finish(a.sk, a.rows, M, br * 32, lane);
    }
}

static PhArgs ph_args(const wz_gpu_ph *g)
{
    PhArgs a;
    a.seg_off = g->d_seg_off; a.words = g->d_words; a.lut = g->d_lut; a.raw = g->d_raw;
    a.rows = g->h.rows; a.cols = g->h.cols; a.bco = (g->h.cols + 31) / 32; a.nsegs = g->h.nsegs; a.spr = g->segs_per_row;
    a.seg_blocks = g->h.seg_blocks;
    a.sk = SplitK{};
    return a;
}

// All warps resident (one wave), never more than the segments.
template <class K>
static int ph_grid(K kern, const PhArgs &a)
{
    int per_sm = 1;
    if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kern, PH_WARPS * 32, 0) != cudaSuccess || per_sm < 1) per_sm = 1;
    const uint64_t blocks = (a.nsegs + PH_WARPS - 1) / PH_WARPS, cap = (uint64_t)wz_sm_count() * per_sm;
    return (int)std::min<uint64_t>(blocks, cap);
}

extern "C" wz_err wz_gpu_ph_decode(const wz_gpu_ph *g, uint16_t *d_out, void *stream)
{
    const PhArgs a = ph_args(g);
    ph_decode_kernel<<<ph_grid(ph_decode_kernel, a), PH_WARPS * 32, 0, (cudaStream_t)stream>>>(a, d_out);
    CU(cudaGetLastError(), "ph_decode_kernel launch");
    return WZ_OK;
}

extern "C" int wz_gpu_ph_fused_ok(const wz_gpu_ph *g, int M) { return M >= 1 && M <= WZ_GPU_PH_GEMV_MAX_M; }

extern "C" wz_err wz_gpu_ph_gemv(const wz_gpu_ph *g, const uint16_t *d_x, int M, uint16_t *d_y, float *d_acc, void *stream)
{
    cudaStream_t s = (cudaStream_t)stream;
    if (!wz_gpu_ph_fused_ok(g, M)) return wz_fail(WZ_ERR_ARG, "pairhuff fused GEMV: M=%d (1..%d)", M, WZ_GPU_PH_GEMV_MAX_M);
    PhArgs a = ph_args(g);
    WZ_TRY(splitk_begin(*g->sk, a.sk, a.rows, M, true, d_acc, d_y, s));
    a.sk.parts = (unsigned)a.spr; // segments a block row
    if (a.cols % 2) ph_mma_kernel<true><<<ph_grid(ph_mma_kernel<true>, a), PH_WARPS * 32, 0, s>>>(a, d_x, M);
    else ph_mma_kernel<false><<<ph_grid(ph_mma_kernel<false>, a), PH_WARPS * 32, 0, s>>>(a, d_x, M);
    CU(cudaGetLastError(), "ph_mma_kernel launch");
    return splitk_end(a.sk, a.rows, M, s);
}
