// tile_ans_pair.cu — GPU decode of PAIR16 tile-ans blobs (bf16): standalone
// and fused GEMV. One rANS step yields the exponents of two weights of a
// lane (codecs/codecs.h, WZ_TA_MODEL_PAIR16); CPU reference: tile_scatter()
// in codecs/tile_ans/tile_ans.c. kernels/NOTES.md has each version's
// instruction count and time (v15 first pair kernels, v17 this layout).
//
// Per pair step and lane:
//   slot = x & mask; one LDS.64: freq | slot-cum, both exponents (v23)
//   x = freq * (x >> b) + (slot - cum)
//   refill: ballot, popc, one LDS.U16 from the warp's word ring, PRMT
//   merge: PRMT spreads the raw pair [r0 r0 r1 r1], one LOP3 muxes the
//          exponents in -> two bf16 weights in one 32-bit word
// Everything that can be is hoisted to once per 16-weight group: the ring
// top-up (a group reads at most 8 x 32 words), the escape test (one vote
// over the OR of the group's eight exponent words), activation staging.
#include <cuda_runtime.h>
#include <stdint.h>
#include <algorithm>
#include <climits>
extern "C" {
#include "codecs/codecs.h"
#include "codecs/rans/rans.h"
}
#include "kernels/gpu_common.cuh"
#include "kernels/tile_ans.cuh"
#include "kernels/mma_rows32.cuh"

#ifndef PW
#define PW 16                 // warps per block: 2 blocks of 512 threads per SM
#endif
#define PCHUNK 256            // words per cp.async round (32 lanes x 16 bytes)
#ifndef PAHEAD
#define PAHEAD 1              // chunks in flight beyond what a group may need (a chunk lasts ~3 groups);
                              // 2 (a 1024-word ring: a mask instead of a modulo) measured 1-2% slower at M >= 4 (v28)
#endif
#define PRING ((PAHEAD + 2) * PCHUNK) // words in a warp's ring: a group may straddle two chunks (pring_top_up)
#define PMIRROR 256           // slot 0 mirrored after the ring: a group's reads never wrap (v20)
#define PLAST 224             // then the tile's last raw group: 32 lanes x 14 (ILP 1) or 12 bytes (v24, v27)
#define PRING_ALLOC (PRING + PMIRROR + PLAST)
#define PTAB (1 << WZ_RANS_GPU_MAX_BITS)
#define PAIR_MUX 0x7f807f80u  // exponent bits of a bf16x2 word

// The slot table in shared memory: 8 bytes per slot {freq | slot-cum << 16,
// exponents}, one LDS.64 per step (v23; v17-v21 used three 4-byte arrays,
// and each random 32-lane gather cost ~3.5 wavefronts: NOTES.md).
typedef uint2 ptab_t;
#define PTAB_ENTRIES PTAB
__device__ __forceinline__ void ptab_get(const ptab_t *tab, uint32_t slot, uint32_t &f, uint32_t &bias, uint32_t &ex)
{
    uint2 e = tab[slot];
    f = e.x & 0xffffu; bias = e.x >> 16; ex = e.y;
}

struct PairDec {
    uint32_t x[2];   // this lane's states (ILP of them: pair step j uses x[j % ILP], v27)
    uint32_t abase;  // tile's first word rounded down to 8 (16-byte cp.async)
    uint32_t rel;    // words consumed since abase
    uint32_t chunk;  // next chunk to fetch
    uint32_t end;    // tile's end word
    uint32_t ring_s; // the ring's shared-memory address
    uint32_t raddr;  // shared address of the next unread word (within ring + mirror)
};

// Words past the stream are never decoded from a valid blob (a hostile one
// fails the end-of-tile check), so the source index is only clamped to keep
// the 16-byte copy inside the blob: words are followed by >= 16 bytes of
// padding or raw plane (codecs.h layout).
__device__ __forceinline__ void pring_fetch(PairDec &d, const TaArgs &a, int lane)
{
    uint32_t gi = min(d.abase + d.chunk * PCHUNK + 8 * lane, (uint32_t)a.nwords & ~7u);
    uint32_t slot = d.chunk % (PRING / PCHUNK);
    uint32_t dst = d.ring_s + 2 * (slot * PCHUNK + 8 * lane);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(dst), "l"(a.words + gi));
    if (slot == 0) // the mirror after the ring holds slot 0 too
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(dst + 2 * PRING), "l"(a.words + gi));
    asm volatile("cp.async.commit_group;\n" ::);
    d.chunk++;
}

// Before a group: every word it may read (rel .. rel+255) has landed, and
// PAHEAD more chunks are in flight. Warp-uniform. The chunk a fetch
// overwrites (c - PAHEAD - 2) lies wholly below rel, so it is consumed:
// c <= need + PAHEAD - 1 <= rel/256 + PAHEAD + 1.
__device__ __forceinline__ void pring_top_up(PairDec &d, const TaArgs &a, int lane)
{
    d.raddr = d.ring_s + 2 * (d.rel % PRING);
    uint32_t need = (d.rel + 8 * 32 + PCHUNK - 1) / PCHUNK;
    if (d.chunk < need + PAHEAD) {
        __syncwarp();
        while (d.chunk < need + PAHEAD) pring_fetch(d, a, lane);
        asm volatile("cp.async.wait_group %0;\n" ::"n"(PAHEAD));
        __syncwarp();
    }
}

template <int ILP>
__device__ __forceinline__ void pdec_begin(PairDec &d, const TaArgs &a, uint64_t k, int lane, uint16_t *ring)
{
    uint32_t base = a.word_off[k];
    d.end = a.word_off[k + 1];
#pragma unroll
    for (int s = 0; s < ILP; s++) d.x[s] = a.states[(k * ILP + s) * 32 + lane];
    d.abase = base & ~7u;
    d.rel = base - d.abase;
    d.chunk = 0;
    d.ring_s = (uint32_t)__cvta_generic_to_shared(ring);
}

// Each PAIR16 state ends at 2^16 + two raw bytes (codecs.h, v3/v4).
template <int ILP>
__device__ __forceinline__ void pdec_end(const PairDec &d, const TaArgs &a)
{
    bool bad = (d.x[0] >> 16) != 1 || (ILP > 1 && (d.x[1] >> 16) != 1) || d.abase + d.rel != d.end;
    if (__any_sync(0xffffffffu, bad) && (threadIdx.x & 31) == 0) atomicOr(a.err, 1);
    asm volatile("cp.async.wait_group 0;\n" ::);
}

// One pair step on state x: returns the slot's exponent word (flags
// included). PB: prob_bits known at compile time (12, the default), or 0
// for any. The refill is branch-free: every lane loads a word, the lanes
// that need it keep it (a divergent `if` costs BSSY/BRA/BSYNC per step,
// v17). With two states the next step's chain starts from the other state
// while this one's word load is in flight: only raddr links them.
template <int PB>
__device__ __forceinline__ uint32_t pdec_step(PairDec &d, uint32_t &x, const ptab_t *tab, uint32_t pb, uint32_t lt)
{
    const uint32_t b = PB ? PB : pb;
    uint32_t slot = x & ((1u << b) - 1);
    uint32_t f, bias, ex;
    ptab_get(tab, slot, f, bias, ex);
    uint32_t y = f * (x >> b) + bias;
    bool need = y < WZ_RANS_L;
    uint32_t ball = __ballot_sync(0xffffffffu, need);
    // Volatile asm: keeps the load unconditional (ptxas would otherwise
    // sink it under `need` and pay BSSY/BRA/BSYNC around it). Taking this
    // load off the chain (refilling from a word claimed a refill earlier)
    // measured 14% slower (NOTES.md v31).
    uint32_t w, addr = d.raddr + 2 * __popc(ball & lt);
    asm volatile("ld.shared.u16 %0, [%1];" : "=r"(w) : "r"(addr));
    x = need ? __byte_perm(y, w, 0x1054) : y; // (y << 16) | w
    d.raddr += 2 * __popc(ball);
    return ex;
}

// Escape fix-up of one pair step's exponent word, in decode order (lane by
// lane, first then second weight); reads past the tile's escapes give 0
// and are caught by the end-of-tile count check.
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

// (hi & PAIR_MUX) | (p & ~PAIR_MUX) in one LOP3.
__device__ __forceinline__ uint32_t mux_exp(uint32_t hi, uint32_t p)
{
    uint32_t r;
    asm("lop3.b32 %0, %1, %2, %3, 0xE2;" : "=r"(r) : "r"(hi), "n"(PAIR_MUX), "r"(p));
    return r;
}

// Eight pair steps = 16 weights of each lane's row, as 8 bf16x2 words
// (step i on state i % ILP: a group starts at an even step). In the tile's
// last group the lane's last 2*ILP raw bytes come out of its final states
// (bits back): bytes 12-15 (ILP 2) or 14-15 (ILP 1) of rv.
template <int PB, int ILP>
__device__ __forceinline__ void pair_group(PairDec &d, const TaArgs &a, const ptab_t *tab, uint32_t lt, int lane,
                                           uint4 rv, bool last, uint32_t &epos, uint32_t eend, uint32_t (&v)[8])
{
    pring_top_up(d, a, lane);
    uint32_t acc = 0;
#pragma unroll
    for (int i = 0; i < 8; i++) { v[i] = pdec_step<PB>(d, d.x[i % ILP], tab, a.prob_bits, lt); acc |= v[i]; }
    if (last) rv.w = ILP > 1 ? (d.x[0] & 0xffffu) | (d.x[1] << 16) : (rv.w & 0xffffu) | (d.x[0] << 16);
    d.rel += (d.raddr - (d.ring_s + 2 * (d.rel % PRING))) / 2;
    if (__any_sync(0xffffffffu, acc & 0x10001u)) // rare: some weight of the group escaped
#pragma unroll
        for (int i = 0; i < 8; i++)
            if (__any_sync(0xffffffffu, v[i] & 0x10001u)) v[i] = pair_escape(v[i], a, epos, eend, lt);
#pragma unroll
    for (int i = 0; i < 8; i++) {
        uint32_t w = i < 2 ? rv.x : i < 4 ? rv.y : i < 6 ? rv.z : rv.w;
        v[i] = mux_exp(v[i], __byte_perm(w, 0, (i & 1) ? 0x3322 : 0x1100));
    }
}

__device__ __forceinline__ void load_ptab(ptab_t *tab, const TaArgs &a)
{
    uint32_t n = ((1u << a.prob_bits) + 1) / 2; // two slots per 16-byte copy (the upload pads to 4096 slots)
    for (uint32_t i = threadIdx.x; i < n; i += blockDim.x) ((uint4 *)tab)[i] = __ldg((const uint4 *)a.ptab + i);
    __syncthreads();
}

// What every PAIR16 kernel knows about its warp: lane, warp in block,
// lanes-below mask, groups per tile and per row group, and the tiles it
// owns (warp w of block b: tiles b*PW + w, then every gridDim*PW).
struct PairWarp {
    int lane, warp;
    uint32_t lt, groups, per_rg;
    __device__ explicit PairWarp(const TaArgs &a)
        : lane(threadIdx.x & 31), warp(threadIdx.x / 32), lt((1u << (threadIdx.x & 31)) - 1), groups(a.T * a.K / 512), per_rg(a.K / 16) {}
    __device__ uint64_t first() const { return (uint64_t)blockIdx.x * PW + warp; }
    __device__ uint64_t stride() const { return (uint64_t)gridDim.x * PW; }
};

// Walks a tile's groups without divisions: row group rg, column group cg.
struct GroupPos {
    uint32_t rg, cg;
    __device__ void next(uint32_t per_rg) { if (++cg == per_rg) { cg = 0; rg++; } }
};

// A warp's tile in flight: decoder, escape range, position, raw bytes of
// the current group (the three kernels share this bookkeeping). A group's
// raw bytes are loaded one group ahead into registers (v26a queued three
// groups ahead in shared memory by cp.async.bulk: 10% slower, NOTES.md).
// ILP: rANS states per lane (v4 blobs: 1 or 2).
template <int ILP>
struct PairTile {
    static constexpr int TAIL = 16 - 2 * ILP; // raw bytes per lane of the last group kept in the plane's tail
    PairDec d;
    uint32_t epos, eend;
    uint64_t r0, c0; // first row and column of the tile
    const uint4 *rp; // this lane's 16 raw bytes of the current group in the tile's aligned blocks
                     // (its last block, TAIL bytes per lane, sits in the plane's tail)
    uint4 rv;
    // The last group holds TAIL bytes per lane, lane after lane (the other
    // 2*ILP are in the states; wz_ta_raw_pos): copied to shared memory by
    // cp.async when the tile begins (it lands with the first ring chunk),
    // read back when that group starts — no registers across the loop, no
    // exposed load (v24 prefetched it into registers and spilled; loading
    // it from global at the last group cost the decoder 18%).
    __device__ void fetch_last(const TaArgs &a, uint64_t k, int lane) const
    {
        const uint8_t *last_raw = a.raw + a.ntiles * ((uint64_t)a.T * a.K - 512) + k * 32 * TAIL;
        __syncwarp(); // the previous tile's reads of the region are done
        if (lane < 2 * TAIL) { // 32 * TAIL bytes in 16-byte copies
            uint32_t dst = d.ring_s + 2 * (PRING + PMIRROR) + 16 * lane;
            asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(dst), "l"(last_raw + 16 * lane));
        }
    }
    __device__ uint4 load_last(int lane) const
    {
        uint32_t h[8] = {0, 0, 0, 0, 0, 0, 0, 0}, a = d.ring_s + 2 * (PRING + PMIRROR) + TAIL * lane;
#pragma unroll
        for (int i = 0; i < TAIL / 2; i++) asm volatile("ld.shared.u16 %0, [%1];" : "=r"(h[i]) : "r"(a + 2 * i));
        return make_uint4(h[0] | h[1] << 16, h[2] | h[3] << 16, h[4] | h[5] << 16, h[6] | h[7] << 16);
    }
    __device__ void begin(const TaArgs &a, uint64_t k, uint32_t groups, int lane, uint16_t *ring)
    {
        pdec_begin<ILP>(d, a, k, lane, ring);
        epos = a.esc_off[k]; eend = a.esc_off[k + 1];
        r0 = k / a.tiles_c * a.T; c0 = k % a.tiles_c * a.K;
        const uint64_t main = (uint64_t)a.T * a.K - 512;
        rp = (const uint4 *)(a.raw + k * main) + lane;
        fetch_last(a, k, lane); // committed with the first ring chunk
        rv = groups > 1 ? __ldg(rp) : make_uint4(0, 0, 0, 0);
    }
    // The raw bytes of group q + 1, issued a group ahead (not the last's);
    // the caller hands them back with keep_raw after the group. A running
    // pointer: v26 recomputed the 64-bit address from (k, q) every group.
    __device__ uint4 next_raw(uint32_t q, uint32_t groups)
    {
        if (q + 2 >= groups) return rv;
        rp += 32;
        return __ldg(rp);
    }
    __device__ void keep_raw(uint4 rn) { rv = rn; }
    template <int PB>
    __device__ void group(const TaArgs &a, const ptab_t *tab, uint32_t lt, int lane, uint32_t q, uint32_t groups, uint32_t (&v)[8])
    {
        const bool last = q + 1 == groups;
        if (last) { pring_top_up(d, a, lane); rv = load_last(lane); } // after the top-up's wait: the copy has landed
        pair_group<PB, ILP>(d, a, tab, lt, lane, rv, last, epos, eend, v);
    }
    __device__ void end(const TaArgs &a, int lane)
    {
        if (epos != eend && lane == 0) atomicOr(a.err, 1);
        pdec_end<ILP>(d, a);
    }
};

// ---- standalone decode ----

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
// shared-memory transpose: each store instruction writes 8 rows x 64 B
// (whole 32-byte sectors) instead of 32 rows x 16 B (v16). Chunk c of row l
// sits in slot c ^ ((l >> 1) & 3) so writes and reads use all 32 banks.
// The first group of the pair goes to the stage at once (chunks 0-1; v25:
// holding it in registers until the second group cost the decoder spills).
__device__ __forceinline__ void stage_first_group(uint4 *st, int lane, const uint32_t (&va)[8])
{
    int sw = (lane >> 1) & 3;
    st[lane * 4 + (0 ^ sw)] = make_uint4(va[0], va[1], va[2], va[3]);
    st[lane * 4 + (1 ^ sw)] = make_uint4(va[4], va[5], va[6], va[7]);
}

__device__ __forceinline__ void stage_second_group(uint4 *st, int lane, const uint32_t (&vb)[8])
{
    int sw = (lane >> 1) & 3;
    st[lane * 4 + (2 ^ sw)] = make_uint4(vb[0], vb[1], vb[2], vb[3]);
    st[lane * 4 + (3 ^ sw)] = make_uint4(vb[4], vb[5], vb[6], vb[7]);
}

struct PairSmemDec {
    ptab_t tab[PTAB_ENTRIES];
    uint16_t ring[PW][PRING_ALLOC];
    uint4 stage[PW][128];
};

// ORD: the blob's element order (WZ_TA_ORDER_ROWS: lane = row; MMA: a
// lane's words are A fragments, staged by stmatrix).
template <int PB, int ILP, int ORD>
__global__ void __launch_bounds__(PW * 32, 2) ta_pair_decode_kernel(TaArgs a, uint16_t *out)
{
    extern __shared__ __align__(16) unsigned char smem_raw[];
    PairSmemDec &S = *(PairSmemDec *)smem_raw;
    load_ptab(S.tab, a);
    const PairWarp W(a);
    const int lane = W.lane, warp = W.warp;
    const uint32_t lt = W.lt, groups = W.groups, per_rg = W.per_rg;
    const bool pairable = a.cols % 8 == 0 && per_rg % 2 == 0;
    for (uint64_t k = a.k0 + W.first(); k < a.k1; k += W.stride()) {
        PairTile<ILP> t;
        t.begin(a, k, groups, lane, S.ring[warp]);
        const uint64_t r0 = t.r0, c0 = t.c0;
        GroupPos p = {0, 0};
        for (uint32_t q = 0; q < groups; q++, p.next(per_rg)) {
            uint4 rn = t.next_raw(q, groups);
            uint32_t v[8];
            t.template group<PB>(a, S.tab, lt, lane, q, groups, v);
            uint64_t row0 = r0 + p.rg * 32, col = c0 + p.cg * 16, cola = col - (p.cg & 1) * 16;
            if (pairable && cola + 32 <= a.cols) { // warp-uniform
                if (ORD == WZ_TA_ORDER_MMA) stage_frag_group((uint32_t)__cvta_generic_to_shared(S.stage[warp]), lane, p.cg & 1, v);
                else if (p.cg & 1) stage_second_group(S.stage[warp], lane, v);
                else stage_first_group(S.stage[warp], lane, v);
                if (p.cg & 1) flush_stage32(out, a.rows, a.cols, S.stage[warp], lane, row0, cola);
            } else if (ORD == WZ_TA_ORDER_MMA) {
                store_frag_group(out, a.rows, a.cols, row0, col, lane, v);
            } else {
                store_group(a, out, row0 + lane, col, v);
            }
            t.keep_raw(rn);
        }
        t.end(a, lane);
    }
}

// ---- fused GEMV ----
//
// Lane = row, as in the decoder; the 16 activations of a group are the same
// for every lane, so lanes 0-7 stage them (as 8 bf16 pairs per m) in
// shared memory and every lane reads them back with broadcast loads (v15
// used a SHFL per pair and m, which ptxas guards with a divergence branch).

// How a warp gets its activations (XM): XM_TILE stages the tile's whole
// column range once per tile (M <= 2, K <= 256, row stride a multiple of
// 8: 16-byte loads; v28), XM_EVEN / XM_ODD stage each group's 16 columns
// from one 32-bit / two 16-bit loads per pair issued a group ahead.
enum { XM_EVEN = 0, XM_ODD = 1, XM_TILE = 2 };
#define XT_COLS 256 // XM_TILE: columns staged per tile
#ifndef PAIR_TILE_X
#define PAIR_TILE_X 1 // 0: every M stages per group (v26), for the A/B
#endif

template <int M, int XM>
struct PairSmemGemv {
    ptab_t tab[PTAB_ENTRIES];
    uint16_t ring[PW][PRING_ALLOC];
    __align__(16) float xs[PW][XM == XM_TILE ? M * XT_COLS : M * 16];
};

template <int M, int PB, int ILP, int XM>
__global__ void __launch_bounds__(PW * 32, 2) ta_pair_gemv_kernel(TaArgs a, const uint16_t *__restrict__ X, float *acc)
{
    extern __shared__ __align__(16) unsigned char smem_raw[];
    PairSmemGemv<M, XM> &S = *(PairSmemGemv<M, XM> *)smem_raw;
    load_ptab(S.tab, a);
    const PairWarp W(a);
    const int lane = W.lane, warp = W.warp;
    const uint32_t lt = W.lt, groups = W.groups, per_rg = W.per_rg;
    float *xsw = S.xs[warp];
    for (uint64_t k = W.first(); k < a.ntiles; k += W.stride()) {
        PairTile<ILP> t;
        t.begin(a, k, groups, lane, S.ring[warp]);
        const uint64_t r0 = t.r0, c0 = t.c0;
        if (XM == XM_TILE) { // lane l: columns 8l .. 8l+7 of the tile, as fp32
            __syncwarp(); // the previous tile's reads are done
            const uint64_t c = c0 + 8 * lane;
            const bool in = 8 * lane < a.K && c < a.cols; // cols % 8 == 0: a lane's 8 columns are all in or all out
#pragma unroll
            for (int m = 0; m < M; m++) {
                uint4 r = in ? __ldg((const uint4 *)(X + (uint64_t)m * a.cols + c)) : make_uint4(0, 0, 0, 0);
                float4 *d = (float4 *)(xsw + m * XT_COLS + 8 * lane);
                d[0] = make_float4(__uint_as_float(r.x << 16), __uint_as_float(r.x & 0xffff0000u), __uint_as_float(r.y << 16), __uint_as_float(r.y & 0xffff0000u));
                d[1] = make_float4(__uint_as_float(r.z << 16), __uint_as_float(r.z & 0xffff0000u), __uint_as_float(r.w << 16), __uint_as_float(r.w & 0xffff0000u));
            }
            __syncwarp();
        }
        // Activations of a group as bf16 pairs, lane i < 8 holding columns
        // 2i, 2i+1; raw bits until used (converting would wait on the load).
        // One 32-bit load per pair when the row stride is even (EVEN), two
        // 16-bit loads otherwise; predicated, never under a branch: v25 loaded
        // them under `if (q + 1 < groups)` and ptxas merged the halves inside
        // that block, so every group waited out an L2 round trip (ncu, v26:
        // 10% of the GEMV's stall samples on that one merge).
        uint32_t xn[M];
        const uint16_t *xt = X + c0 + 2 * (lane & 7); // this lane's activation pair in the tile's first group
        const int cl = (int)min(a.cols - c0, (uint64_t)a.K) - 2 * (lane & 7); // columns left from it (may be < 0)
        auto load_x = [&](uint32_t cg) {
            const int c = (int)cg * 16;
#pragma unroll
            for (int m = 0; m < M; m++) {
                const uint16_t *xm = xt + (uint64_t)m * a.cols;
                if (XM == XM_EVEN) {
                    uint32_t v = 0;
                    if (c < cl) v = __ldg((const uint32_t *)(xm + c));
                    xn[m] = v;
                } else {
                    uint32_t lo = c < cl ? (uint32_t)__ldg(xm + c) : 0u, hi = c + 1 < cl ? (uint32_t)__ldg(xm + c + 1) : 0u;
                    xn[m] = lo | hi << 16;
                }
            }
        };
        float s[M];
#pragma unroll
        for (int m = 0; m < M; m++) s[m] = 0.f;
        if (XM != XM_TILE) load_x(0);
        GroupPos p = {0, 0};
        for (uint32_t q = 0; q < groups; q++) {
            uint4 rn = t.next_raw(q, groups);
            const float2 *xs = (const float2 *)(xsw + (XM == XM_TILE ? p.cg * 16 : 0)); // this group's 8 pairs, row m at m * (XT_COLS or 16) / 2
            if (XM != XM_TILE) {
                __syncwarp(); // the previous group's reads of xs are done
                if (lane < 8)
#pragma unroll
                    for (int m = 0; m < M; m++) ((float2 *)xsw)[m * 8 + lane] = make_float2(__uint_as_float(xn[m] << 16), __uint_as_float(xn[m] & 0xffff0000u));
                __syncwarp();
            }
            GroupPos pn = p;
            pn.next(per_rg);
            if (XM != XM_TILE) load_x(pn.cg); // after the last group: the tile's first columns again, unused
            uint32_t v[8];
            t.template group<PB>(a, S.tab, lt, lane, q, groups, v);
#pragma unroll
            for (int i = 0; i < 8; i++) {
                float w0 = __uint_as_float(v[i] << 16), w1 = __uint_as_float(v[i] & 0xffff0000u);
#pragma unroll
                for (int m = 0; m < M; m++) {
                    float2 xp = xs[m * (XM == XM_TILE ? XT_COLS / 2 : 8) + i];
                    s[m] = fmaf(w0, xp.x, s[m]);
                    s[m] = fmaf(w1, xp.y, s[m]);
                }
            }
            t.keep_raw(rn);
            if (pn.rg != p.rg || q + 1 == groups) { // row group done: split-K flush
                uint64_t row = r0 + p.rg * 32 + lane;
                if (row < a.rows)
#pragma unroll
                    for (int m = 0; m < M; m++) atomicAdd(acc + (uint64_t)m * a.rows + row, s[m]);
#pragma unroll
                for (int m = 0; m < M; m++) s[m] = 0.f;
            }
            p = pn;
        }
        t.end(a, lane);
    }
}

// ---- fused GEMM on tensor cores, any M from 1 to 64 (v21, v30, v32) ----
//
// Y^T = W X^T tile by tile: after each group the warp's 32 rows x 16 k of
// decoded weights meet the activations in mma.sync m16n8k16, fp32
// accumulators for NT n-tiles of 8 activation rows (M <= 8 NT; the last
// n-tile is padded with zero rows). Split-K over tiles as in the GEMV: one
// atomicAdd per output element per row group into sums the matrix keeps at
// zero (SplitK, gpu_common.cuh: no memset launch; the conversion re-zeroes
// them, v35). The decode is pair_group, so its rate bounds this kernel.
//
// ORD = WZ_TA_ORDER_MMA (v30): the blob's element order puts each lane's
// decoded pairs where the A fragment wants them (codecs.h), so a group is
// two A fragments as decoded: no stage, no ldmatrix, no FMAs — M = 2..8
// cost what M = 1 does. ORD = ROWS (v21; lane = row): the group goes
// through a 1 KB shared-memory stage and comes back by ldmatrix
// (kernels/mma_rows32.cuh); rows-order blobs run it for M > 8 (M <= 8: the
// CUDA-core GEMV). ODD: the row stride is odd (16-bit activation loads).

template <int ORD>
struct PairSmemMma {
    ptab_t tab[PTAB_ENTRIES];
    uint16_t ring[PW][PRING_ALLOC];
    uint4 stage[ORD == WZ_TA_ORDER_ROWS ? PW : 1][64];
};

#ifndef FRAG_NT2_BLOCKS
#define FRAG_NT2_BLOCKS 1 // MMA order, blocks per SM at M = 9..16: 1 (no spills, 16 warps) measured 3% faster than 2 (64 registers, ~50 B of spills), v30b
#endif
#define MMA_BLOCKS(NT, ORD) (NT == 1 ? 2 : NT == 2 ? (ORD == WZ_TA_ORDER_MMA ? FRAG_NT2_BLOCKS : 2) : 1)

// XS (v38, MMA order): the activations come from shared memory. The block's
// PW warps take PW tile-rows of one tile column (a unit), the block copies
// that column's K activations by cp.async once (the next unit's while this
// one runs: two buffers, one barrier a unit) and B fragments come back by
// ldmatrix after each group's decode (~30 cycles; from L2 they had to be
// issued a group ahead and held across it). Needs 16-byte aligned
// activation rows (mma_rows32.cuh).
#ifndef WZ_TA_XS
#define WZ_TA_XS 1 // 0: B fragments from L2 at every M (before v38; the A/B)
#endif
#ifndef WZ_TA_XS_MIN_M
#define WZ_TA_XS_MIN_M 17 // M = 9..16 (1 block an SM): 2-9% slower staged (a barrier a unit, units of 16 tiles: coarser waves); v38 A/B
#endif
template <int NT, int PB, int ILP, bool ODD, int ORD, bool XS>
__global__ void __launch_bounds__(PW * 32, MMA_BLOCKS(NT, ORD)) ta_mma_kernel(TaArgs a, const uint16_t *__restrict__ X, int M)
{
    extern __shared__ __align__(16) unsigned char smem_raw[];
    PairSmemMma<ORD> &S = *(PairSmemMma<ORD> *)smem_raw;
    load_ptab(S.tab, a);
    const PairWarp W(a);
    const int lane = W.lane, warp = W.warp;
    const uint32_t lt = W.lt, groups = W.groups, per_rg = W.per_rg;
    uint4 *st = S.stage[ORD == WZ_TA_ORDER_ROWS ? warp : 0];
    const uint32_t st_s = (uint32_t)__cvta_generic_to_shared(st);
    // XS: units of PW tile-rows x one tile column; row stride K/8 + 1 16-byte units (odd: K % 16 == 0).
    const uint32_t rs = a.K / 8 + 1, bufsz = 8 * NT * rs;
    const uint32_t xs_s = (uint32_t)__cvta_generic_to_shared(smem_raw + sizeof(PairSmemMma<ORD>));
    const uint64_t trows = a.ntiles / a.tiles_c, nunits = XS ? (trows + PW - 1) / PW * a.tiles_c : a.ntiles;
    auto stage = [&](uint64_t u, int buf) {
        xs_stage(xs_s + 16 * buf * bufsz, rs, X, M, a.cols, (u % a.tiles_c) * a.K, a.K, 8 * NT);
        asm volatile("cp.async.commit_group;\n" ::);
    };
    int buf = 0;
    if (XS && blockIdx.x < nunits) stage(blockIdx.x, 0);
    for (uint64_t u = XS ? blockIdx.x : W.first(); u < nunits; u += XS ? gridDim.x : W.stride(), buf ^= 1) {
        uint64_t k = u;
        const bool more = XS && u + gridDim.x < nunits;
        if (XS) {
            // This unit's activations have landed (each thread waits for its
            // own copies) and are visible to all; every warp is done with the
            // previous unit, so the other buffer is free for the next one.
            asm volatile("cp.async.wait_group 0;\n" ::);
            __syncthreads();
            const uint64_t tr = u / a.tiles_c * PW + warp;
            if (tr >= trows) { // warp-uniform
                if (more) stage(u + gridDim.x, buf ^ 1);
                continue;
            }
            k = tr * a.tiles_c + u % a.tiles_c;
        }
        PairTile<ILP> t;
        t.begin(a, k, groups, lane, S.ring[warp]);
        const uint64_t r0 = t.r0, c0 = t.c0;
        float c[2][NT][4];
        mma_zero(c);
        MmaB<NT, ODD> xb(X, a.cols, M, c0, a.K, lane);
        const uint32_t xl = xs_lane_addr(xs_s + 16 * buf * bufsz, rs, lane);
        GroupPos p = {0, 0};
        for (uint32_t q = 0; q < groups; q++) {
            uint4 rn = t.next_raw(q, groups);
            uint32_t b[NT][2]; // from L2: issued before the decode, used after it (~1000 cycles later)
            if (!XS) xb.load(b, a.cols);
            GroupPos pn = p;
            pn.next(per_rg);
            if (!XS) xb.next(pn.rg != p.rg, a.K);
            uint32_t v[8];
            t.template group<PB>(a, S.tab, lt, lane, q, groups, v);
            // The next unit's copy goes out after the tile's first group:
            // pring_top_up waits for all but its newest ring chunk, so a copy
            // issued before the first top-up would be waited for at once; by
            // the next top-up (~3 groups on) it has landed.
            if (more && q == 0) stage(u + gridDim.x, buf ^ 1);
            if (XS) xs_load_b<NT>(xl, rs, 16 * p.cg, b);
            if (ORD == WZ_TA_ORDER_MMA) mma_frags32_k16<NT>(v, b, c);
            else mma_rows32_k16<NT>(st, st_s, lane, v, b, c);
            t.keep_raw(rn);
            if (pn.rg != p.rg || q + 1 == groups) mma_flush<NT>(c, a.sk.acc, a.rows, M, r0 + p.rg * 32, lane); // row group done: split-K
            p = pn;
        }
        t.end(a, lane);
    }
}

static int pair_grid(uint64_t ntiles, int per_sm = 2)
{
    uint64_t blocks = (ntiles + PW - 1) / PW, cap = (uint64_t)wz_sm_count() * per_sm;
    return (int)(blocks < cap ? blocks : cap);
}

template <class K>
static wz_err set_smem(K kernel, size_t bytes)
{
    CU(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes), "shared memory attribute");
    return WZ_OK;
}

// Every launcher is instantiated for prob_bits 12 (the default, a
// compile-time constant in the step) or any, times 1 or 2 states per lane.
#define PAIR_DISPATCH(F, ...)                                                                 \
    (a.prob_bits == 12 ? (a.ilp == 2 ? F<12, 2>(__VA_ARGS__) : F<12, 1>(__VA_ARGS__))      \
                       : (a.ilp == 2 ? F<0, 2>(__VA_ARGS__) : F<0, 1>(__VA_ARGS__)))

template <int PB, int ILP>
static wz_err decode_pb(const TaArgs &a, uint16_t *out, int max_sms, cudaStream_t s)
{
    auto kern = a.order == WZ_TA_ORDER_MMA ? ta_pair_decode_kernel<PB, ILP, WZ_TA_ORDER_MMA> : ta_pair_decode_kernel<PB, ILP, WZ_TA_ORDER_ROWS>;
    // Confined (max_sms > 0, the pipelined path): one block an SM, held to
    // max_sms SMs by asking for more than half an SM's shared memory (two
    // blocks of 16 warps would land one an SM on twice as many SMs, each
    // keeping a GEMM block out).
    const size_t smem = max_sms > 0 ? std::max(sizeof(PairSmemDec), wz_smem_optin() / 2 + 1024) : sizeof(PairSmemDec);
    WZ_TRY(set_smem(kern, smem));
    const int grid = std::min(pair_grid(a.k1 - a.k0), max_sms > 0 ? max_sms : INT_MAX);
    kern<<<grid, PW * 32, smem, s>>>(a, out);
    CU(cudaGetLastError(), "ta_pair_decode_kernel launch");
    return WZ_OK;
}

wz_err ta_pair_decode(const TaArgs &a, uint16_t *out, int max_sms, cudaStream_t s)
{
    return PAIR_DISPATCH(decode_pb, a, out, max_sms, s);
}

template <int M>
struct Gemv {
    template <int PB, int ILP>
    static wz_err run(const TaArgs &a, const uint16_t *X, float *acc, cudaStream_t s)
    {
        if (PAIR_TILE_X && a.K <= XT_COLS && a.cols % 8 == 0) return launch<PB, ILP, M <= 2 ? XM_TILE : XM_EVEN>(a, X, acc, s);
        return a.cols % 2 ? launch<PB, ILP, XM_ODD>(a, X, acc, s) : launch<PB, ILP, XM_EVEN>(a, X, acc, s);
    }
    template <int PB, int ILP, int XM>
    static wz_err launch(const TaArgs &a, const uint16_t *X, float *acc, cudaStream_t s)
    {
        auto kern = ta_pair_gemv_kernel<M, PB, ILP, XM>;
        const size_t smem = sizeof(PairSmemGemv<M, XM>);
        WZ_TRY(set_smem(kern, smem));
        kern<<<pair_grid(a.ntiles), PW * 32, smem, s>>>(a, X, acc);
        CU(cudaGetLastError(), "ta_pair_gemv_kernel launch");
        return WZ_OK;
    }
};

template <int M>
static wz_err gemv_m(const TaArgs &a, const uint16_t *X, float *acc, cudaStream_t s)
{
    return PAIR_DISPATCH(Gemv<M>::template run, a, X, acc, s);
}

template <int NT>
struct Mma {
    template <int PB, int ILP>
    static wz_err run(const TaArgs &a, const uint16_t *X, int M, cudaStream_t s)
    {
        return a.order == WZ_TA_ORDER_MMA ? launch<PB, ILP, WZ_TA_ORDER_MMA>(a, X, M, s) : launch<PB, ILP, WZ_TA_ORDER_ROWS>(a, X, M, s);
    }
    template <int PB, int ILP, int ORD>
    static wz_err launch(const TaArgs &a, const uint16_t *X, int M, cudaStream_t s)
    {
        // Activations from shared memory (v38) where rows are 16-byte aligned, a tile is one row group
        // and two buffers of the tile's K columns fit beside the table and rings (wide tiles: from L2).
        const size_t smem_xs = sizeof(PairSmemMma<ORD>) + 2 * 16 * (size_t)(8 * NT) * (a.K / 8 + 1);
        const bool xs = WZ_TA_XS && ORD == WZ_TA_ORDER_MMA && M >= WZ_TA_XS_MIN_M && a.T == 32 && a.K % 16 == 0 && a.cols % 8 == 0 &&
                        ((uintptr_t)X & 15) == 0 && smem_xs <= wz_smem_optin();
        // Staged: a unit is PW tile-rows of one tile column; else a warp takes tiles.
        auto kern = xs ? ta_mma_kernel<NT, PB, ILP, false, ORD, true>
                       : a.cols % 2 ? ta_mma_kernel<NT, PB, ILP, true, ORD, false> : ta_mma_kernel<NT, PB, ILP, false, ORD, false>;
        const size_t smem = xs ? smem_xs : sizeof(PairSmemMma<ORD>);
        const uint64_t units = xs ? (a.ntiles / a.tiles_c + PW - 1) / PW * a.tiles_c : a.ntiles;
        const int grid = xs ? (int)std::min<uint64_t>(units, (uint64_t)wz_sm_count() * MMA_BLOCKS(NT, ORD)) : pair_grid(units, MMA_BLOCKS(NT, ORD));
        WZ_TRY(set_smem(kern, smem));
        kern<<<grid, PW * 32, smem, s>>>(a, X, M);
        CU(cudaGetLastError(), "ta_mma_kernel launch");
        return WZ_OK;
    }
};

template <int NT>
static wz_err mma_nt(const TaArgs &a, const uint16_t *X, int M, cudaStream_t s)
{
    return PAIR_DISPATCH(Mma<NT>::template run, a, X, M, s);
}

int ta_pair_on_tensor_cores(const TaArgs &a, int M) { return a.order == WZ_TA_ORDER_MMA || M > 8; }

wz_err ta_pair_mma(const TaArgs &a, const uint16_t *X, int M, cudaStream_t s)
{
    if (M < 1 || M > 64) return wz_fail(WZ_ERR_ARG, "fused GEMM: M=%d not in 1..64", M);
    return M <= 8 ? mma_nt<1>(a, X, M, s) : M <= 16 ? mma_nt<2>(a, X, M, s) : M <= 32 ? mma_nt<4>(a, X, M, s) : mma_nt<8>(a, X, M, s);
}

wz_err ta_pair_gemv(const TaArgs &a, const uint16_t *X, int M, float *acc, cudaStream_t s)
{
    switch (M) {
    case 1: return gemv_m<1>(a, X, acc, s);
    case 2: return gemv_m<2>(a, X, acc, s);
    case 4: return gemv_m<4>(a, X, acc, s);
    case 8: return gemv_m<8>(a, X, acc, s);
    default: return wz_fail(WZ_ERR_ARG, "fused GEMV (rows order): M=%d not in {1, 2, 4, 8} (or 9..64)", M);
    }
}
