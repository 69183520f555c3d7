// pairhuff.cu — GPU decode of the pairhuff codec (codecs.h, wz_ph_header):
// standalone, and fused into the tensor-core GEMV at M <= 8.
//
// A warp owns one segment at a time (16 blocks of one block row: the split-K
// unit) and runs the blob's own schedule: each lane starts with word l of
// the segment; before every second pair step the lanes holding <= 32 bits
// take the next words in lane order (a ballot, a prefix popcount); every
// lane decodes one pair a step with one lookup in a 4096-entry table (both
// exponents at bits 7-14 and 23-30, the code length in bits 0-4, bit 5 =
// escape). Escaped pairs are patched after the block from the segment's
// escape list, only in blocks where some lane has one (as bitmap4).
// The segment's words wait in a 16-row ring in shared memory (2 KB a warp,
// row k in slot k % 16), topped up by cp.async once a block to 15 rows past
// the one in use: a valid block takes at most 7 rows (12-bit codes), so
// the rows a block reads were asked for a block earlier, and the refill is
// one conflict-free LDS. Word reads are clamped to the segment, so a
// corrupt stream decodes to garbage inside the matrix, never out of bounds
// (the host parser has checked every offset and size).
// CPU reference: codecs/pairhuff/pairhuff.c (ph_decode_seg runs the same
// schedule). kernels/NOTES.md v41d-v42: the instruction counts.
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
#define PH_ESC_BIT WZ_PH_GPU_ESC

struct wz_gpu_ph {
    wz_ph_header h;
    uint8_t *d_blob;
    uint32_t *d_lut; // PH_LUT entries (ph_lut_entries)
    size_t len;
    const uint32_t *d_seg_off, *d_esc_off, *d_words;
    const uint8_t *d_raw, *d_esc;
    uint64_t nblocks, segs_per_row;
    SplitKBuf *sk;
};

extern "C" wz_err wz_gpu_ph_upload(const uint8_t *blob, size_t len, wz_gpu_ph **out)
{
    *out = NULL;
    wz_ph_view v;
    WZ_TRY(wz_ph_parse(blob, len, &v));
    wz_gpu_ph *g = (wz_gpu_ph *)calloc(1, sizeof *g);
    uint32_t *lut = (uint32_t *)malloc(sizeof(uint32_t) * PH_LUT);
    if (!g || !lut || !(g->sk = (SplitKBuf *)calloc(1, sizeof *g->sk))) { free(g); free(lut); return wz_fail(WZ_ERR_NOMEM, "out of memory"); }
    wz_ph_gpu_table(v.h, lut); // codecs/pairhuff: tested on the CPU
    g->h = *v.h; g->len = len; g->nblocks = v.nblocks; g->segs_per_row = v.segs_per_row;
    cudaError_t e = wz_gpu_blob_upload(blob, len, 16, &g->d_blob); // + 16: clamped escape reads end at the list's end + 1
    if (e == cudaSuccess) e = cudaMalloc(&g->d_lut, sizeof(uint32_t) * PH_LUT);
    if (e == cudaSuccess) e = cudaMemcpy(g->d_lut, lut, sizeof(uint32_t) * PH_LUT, cudaMemcpyHostToDevice);
    free(lut);
    if (e != cudaSuccess) { cudaFree(g->d_blob); cudaFree(g->d_lut); free(g->sk); free(g); return wz_cuda_fail(e, "upload"); }
    g->d_seg_off = wz_dev_at(g->d_blob, blob, v.seg_off);
    g->d_esc_off = wz_dev_at(g->d_blob, blob, v.esc_off);
    g->d_words = wz_dev_at(g->d_blob, blob, v.words);
    g->d_raw = wz_dev_at(g->d_blob, blob, v.raw);
    g->d_esc = wz_dev_at(g->d_blob, blob, v.esc);
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
    const uint32_t *seg_off, *esc_off, *words, *lut;
    const uint8_t *raw, *esc, *esc_end; // esc_end: the whole list's end (2 nesc bytes on)
    uint64_t rows, cols, bco, nsegs, spr; // spr: segments a block row
    uint32_t seg_blocks;
    SplitK sk;
};

// A warp's walk through one segment: its word ring, this lane's bits, and
// the escapes. Everything in a pair step is branch-free (a divergent `if`
// made ptxas wrap every ballot and shuffle in convergence checks: SASS,
// v41d).
#define PH_RING_ROWS 16
struct PhStream {
    const uint32_t *w;
    const uint8_t *esc, *esc_end; // the segment's next escape (2 bytes each); the list's end (reads clamped to it: the upload pads 16 bytes)
    uint32_t nw, at;    // words in the segment (>= 32), words handed out so far
    uint32_t ring_s;    // this warp's ring: PH_RING_ROWS x 32 words, row k in slot k % PH_RING_ROWS
    uint32_t asked;     // rows asked for so far
    uint64_t buf;       // this lane's next bits, MSB first
    int cnt;            // valid bits in buf
    int lane;
    __device__ __forceinline__ void ask_rows(uint32_t upto) // rows < upto, by cp.async, one group
    {
        for (; asked < upto; asked++) {
            const uint32_t dst = ring_s + ((asked % PH_RING_ROWS) * 32 + lane) * 4;
            const uint32_t *src = w + min(32 * asked + lane, nw - 1);
            asm volatile("cp.async.ca.shared.global [%0], [%1], 4;" ::"r"(dst), "l"(src));
        }
        asm volatile("cp.async.commit_group;");
    }
    __device__ __forceinline__ void start(const uint32_t *seg, uint32_t n, const uint8_t *e, const uint8_t *e_end, uint32_t ring, int l)
    {
        w = seg, nw = n, esc = e, esc_end = e_end, ring_s = ring, lane = l, asked = 0;
        // The previous segment's last top-up lands, and its reads of the ring
        // are done, before this segment's rows go into the same slots.
        asm volatile("cp.async.wait_group 0;" ::: "memory");
        __syncwarp();
        ask_rows(PH_RING_ROWS - 1);
        asm volatile("cp.async.wait_group 0;" ::: "memory");
        __syncwarp();
        uint32_t v;
        asm volatile("ld.shared.u32 %0, [%1];" : "=r"(v) : "r"(ring_s + lane * 4));
        buf = (uint64_t)v << 32, cnt = 32, at = 32;
    }
    // After a block: top the ring up to 15 rows past the one in use; the
    // rows the next block reads were asked for before this block.
    __device__ __forceinline__ void next_block()
    {
        ask_rows((at >> 5) + PH_RING_ROWS - 1);
        asm volatile("cp.async.wait_group 1;" ::: "memory");
        __syncwarp();
    }
    // The refills before an even pair step (every lane calls it: the
    // ballot's order is the blob's).
    __device__ __forceinline__ void refill()
    {
        const bool need = cnt <= WZ_PH_REFILL_AT;
        const uint32_t m = __ballot_sync(0xffffffffu, need), i = at + __popc(m & ((1u << lane) - 1u));
        uint32_t v;
        asm volatile("ld.shared.u32 %0, [%1];" : "=r"(v) : "r"(ring_s + (i % (PH_RING_ROWS * 32)) * 4));
        buf |= need ? (uint64_t)v << (32 - cnt) : 0ull;
        cnt += need ? 32 : 0;
        at += __popc(m);
    }
    // The next pair's bf16x2: exponents from the table (zero for an escape,
    // flagged in em at bit q + 5), sign|mantissa from rw's bytes 2 (p & 1),
    // +1 (as bitmap4's bm4_merge).
    __device__ __forceinline__ uint32_t pair(const uint32_t *lut, uint32_t rw, int q, uint32_t &em)
    {
        const uint32_t e = lut[(uint32_t)(buf >> (64 - WZ_HUF_MAX_BITS))];
        const int L = e & 31;
        buf <<= L, cnt -= L;
        em |= (e & PH_ESC_BIT) << q;
        const uint32_t b0 = 2 * (q & 1);
        return (__byte_perm(rw, 0u, b0 * 0x11u | (b0 + 1) * 0x1100u) & 0x807f807fu) | (e & 0x7f807f80u);
    }
    // Block b's 16 pairs: v[h] the A fragments of its 16-column half h; then
    // the escapes (lane, pair order in the segment's list) where any lane has one.
    __device__ __forceinline__ void block(const uint32_t *lut, const uint4 &r0, const uint4 &r1, uint32_t (&v)[2][8])
    {
        uint32_t em = 0;
#pragma unroll
        for (int q = 0; q < 16; q++) {
            if (!(q & 1)) refill();
            const uint4 &r = q < 8 ? r0 : r1;
            const int k = (q >> 1) & 3;
            v[q >> 3][q & 7] = pair(lut, k == 0 ? r.x : k == 1 ? r.y : k == 2 ? r.z : r.w, q, em);
        }
        if (__any_sync(0xffffffffu, em)) { // rare: ~6% of blocks on the synthetic layer
            em >>= 5;
            const uint32_t c = __popc(em);
            uint32_t incl = c;
#pragma unroll
            for (int d = 1; d < 32; d <<= 1) { const uint32_t t = __shfl_up_sync(0xffffffffu, incl, d); if (lane >= d) incl += t; }
            const uint8_t *e = esc + 2 * (incl - c);
            while (em) {
                const int q = __ffs(em) - 1;
                const uint8_t *p = e < esc_end ? e : esc_end; // a corrupt stream may claim more escapes than the list holds
                const uint32_t x = (uint32_t)__ldg(p) << 7 | (uint32_t)__ldg(p + 1) << 23;
                e += 2;
#pragma unroll
                for (int j = 0; j < 16; j++)
                    if (j == q) v[j >> 3][j & 7] = (v[j >> 3][j & 7] & 0x807f807fu) | x;
                em &= em - 1;
            }
            esc += 2 * __shfl_sync(0xffffffffu, incl, 31);
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
    __shared__ uint32_t ring[PH_WARPS][PH_RING_ROWS * 32];
    ph_lut_load(lut, a.lut);
    const int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    const uint32_t st_s = (uint32_t)__cvta_generic_to_shared(&stage[warp][0][0]), ring_s = (uint32_t)__cvta_generic_to_shared(&ring[warp][0]);
    for (uint64_t u = (uint64_t)blockIdx.x * PH_WARPS + warp; u < a.nsegs; u += (uint64_t)gridDim.x * PH_WARPS) {
        const uint64_t br = u / a.spr, b0 = u % a.spr * a.seg_blocks, nb = min((uint64_t)a.seg_blocks, a.bco - b0);
        PhStream st;
        st.start(a.words + a.seg_off[u], a.seg_off[u + 1] - a.seg_off[u], a.esc + 2 * (uint64_t)a.esc_off[u], a.esc_end, ring_s, lane);
        const uint4 *raw = (const uint4 *)(a.raw + (br * a.bco + b0) * 1024 + lane * 32);
        for (uint64_t b = 0; b < nb; b++, raw += 64) {
            const uint4 r0 = __ldg(raw), r1 = __ldg(raw + 1);
            uint32_t v[2][8];
            st.block(lut, r0, r1, v);
            st.next_block();
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
    __shared__ uint32_t ring[PH_WARPS][PH_RING_ROWS * 32];
    ph_lut_load(lut, a.lut);
    const int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    const uint32_t ring_s = (uint32_t)__cvta_generic_to_shared(&ring[warp][0]);
    for (uint64_t u = (uint64_t)blockIdx.x * PH_WARPS + warp; u < a.nsegs; u += (uint64_t)gridDim.x * PH_WARPS) {
        const uint64_t br = u / a.spr, b0 = u % a.spr * a.seg_blocks, nb = min((uint64_t)a.seg_blocks, a.bco - b0);
        float c[2][1][4];
        mma_zero(c);
        MmaB<1, ODD> xb(X, a.cols, M, b0 * 32, (uint32_t)(nb * 32), lane);
        PhStream st;
        st.start(a.words + a.seg_off[u], a.seg_off[u + 1] - a.seg_off[u], a.esc + 2 * (uint64_t)a.esc_off[u], a.esc_end, ring_s, lane);
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
            st.next_block();
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
    a.seg_off = g->d_seg_off; a.esc_off = g->d_esc_off; a.words = g->d_words; a.lut = g->d_lut; a.raw = g->d_raw; a.esc = g->d_esc;
    a.esc_end = g->d_esc + 2 * g->h.nesc;
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
