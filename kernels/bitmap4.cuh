// bitmap4.cuh — bitmap4's device side shared by its kernels: the kernel
// arguments, a warp's walk along a block-row (Bm4Cursor), a block's escape
// state, and the decode of a lane's 16 pairs into tensor-core A fragments.
// Used by bitmap.cu (sm_90: decode, GEMV, mma.sync GEMM at M <= 64) and
// bm4_wgmma.cu (sm_90a: the wgmma GEMM at large M). The format: codecs.h.
#pragma once
#include "kernels/gpu_common.cuh"

#define BM4_BLOCK_BYTES (512 + 1024)      /* width 4 */

struct BmArgs {
    const uint32_t *esc_off;
    const uint8_t *blocks, *esc;
    const uint32_t *eslot;   /* width 4, MMA order: two escape slots a block (codecs.h, wz_bm_escape_slots) */
    const uint32_t *epv;     /*   and every escape as (position | bf16 << 16), indexed as esc (wz_bm_escape_list) */
    const uint2 *corr;       /*   and every escape as {column, row in its block-row | bf16 << 16}, indexed as esc (the M <= 8 kernel's corrections, WZ_BM4_XCORR) */
    uint64_t rows, cols, bc; /* bc = blocks per block-row */
    uint32_t base, width, order;
    uint32_t chunk;          /* bm4_mma_kernel: blocks per warp unit (frag_grid) */
    uint64_t br0, br1;       /* the decode kernels: block-rows br0..br1-1 (wz_gpu_bm_decode_rows); the others take all */
    SplitK sk;               /* bm4_mma_kernel: split-K sums and the in-kernel epilogue (gpu_common.cuh) */
};

// ---- width 4 (bitmap4): nibble codes, one shared-memory lookup per two
// weights. The 256-entry table maps a code byte (codes of weights 2k and
// 2k+1) to both exponents already in bf16x2 position: (base+c0)<<7 |
// (base+c1)<<23. The raw byte pair is spread into bf16x2 position with one
// PRMT and one LOP3 (sign moves from bit 7 to 15), so a weight pair costs
// ~8 instructions before its FMAs.
// es: this lane's escape slot (lane & 1) of the block, for the wgmma GEMM's
// WZ_WG_EPV path (other kernels leave it).
struct Bm4Block { uint4 c; uint4 r0, r1; uint32_t eo, es; };

// A warp's walk along a block-row, block b onwards: running pointers to
// this lane's codes and raw bytes and to the block's escape offset
// (the block index times 1536, recomputed in 64 bits every block, cost ~20
// instructions of a block's ~230 on the M = 1 path: SASS, v39).
// Q (the row split, v40): 8 raw bytes of each half, those of rows 16 rb ..
// 16 rb + 15, packed into r0 (half 0's two words, then half 1's); the codes
// stay whole (the escape count runs over all of a lane's nibbles).
// The block loads' cache hints (v49): 0 — __ldg (LDG.E.128.CONSTANT);
// 1 — ld.global.nc.L2::256B, the L2 fetching 256-byte pieces from DRAM (a
// block is 1536 contiguous bytes); 2 — that and L1::no_allocate (the blocks
// are read once). Same-call A/B on H100, layer, two rounds
// (results/gpu-bench-v49-ldhint-*): hint 1 against 0 at M = 1 179.2 /
// 178.0 vs 182.0 / 180.5 us, M = 4 -0.8%, 16 -0.5%, 64 -0.4%, 256 equal;
// hint 2 at M = 64 (the 16-decoder wgmma GEMM) 210.8 / 211.4 vs 217.1 /
// 215.7 (-2.5%) but +1.5% at 256 (8 decoders) and +7% in the standalone
// decoder. So the default is 1, and the 16-decoder wgmma GEMM asks for 2
// (bm4_wgmma.cu, WZ_WG_LDHINT16).
#ifndef WZ_BM4_LDHINT
#define WZ_BM4_LDHINT 1
#endif
template <int H>
__device__ __forceinline__ uint4 bm4_ld16(const void *p)
{
    if (H == 0) return __ldg((const uint4 *)p);
    uint4 v;
    if (H == 1)
        asm volatile("ld.global.nc.L2::256B.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p));
    else
        asm volatile("ld.global.nc.L1::no_allocate.L2::256B.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p));
    return v;
}
// Diagnostic (v49; wrong weights by design, never a default): a lane's two
// raw-plane loads take bytes 16 l .. 16 l + 15 and 512 + 16 l .. of the
// block instead of its own 32 l .. 32 l + 31, so each LDG.128 of a warp
// covers 16 whole 32-byte sectors instead of half of 32 (ncu, v43: 18.7 of
// 32 bytes a sector used). Times what a raw plane laid out for whole-sector
// loads would gain; the decode's work is unchanged. (Measured in v49 with
// plain __ldg before the hints below were the default; it now takes the
// cursor's hint like the loads it stands in for.)
#ifndef WZ_BM4_SECT_DIAG
#define WZ_BM4_SECT_DIAG 0
#endif
template <bool Q = false, int H = WZ_BM4_LDHINT>
struct Bm4Cursor {
    const uint8_t *c, *r;
    const uint32_t *eo;
    __device__ Bm4Cursor(const BmArgs &a, uint64_t b, int lane, int rb = 0)
        : c(a.blocks + b * BM4_BLOCK_BYTES + 16 * lane), r(a.blocks + b * BM4_BLOCK_BYTES + 512 + 32 * lane + 8 * rb), eo(a.esc_off + b) {}
    __device__ __forceinline__ Bm4Block load() const
    {
        Bm4Block k;
        k.c = bm4_ld16<H>(c);
        if (Q) {
            const uint2 r0 = __ldg((const uint2 *)r), r1 = __ldg((const uint2 *)(r + 16));
            k.r0 = make_uint4(r0.x, r0.y, r1.x, r1.y);
            k.r1 = make_uint4(0, 0, 0, 0);
        } else if (WZ_BM4_SECT_DIAG) { // whole sectors: the raw plane's bytes 16 l.. and 512 + 16 l.. (wrong weights, v49 diagnostic)
            const uint8_t *rs = r - 16 * (threadIdx.x & 31);
            k.r0 = bm4_ld16<H>(rs);
            k.r1 = bm4_ld16<H>(rs + 512);
        } else {
            k.r0 = bm4_ld16<H>(r);
            k.r1 = bm4_ld16<H>(r + 16);
        }
        k.eo = __ldg(eo);
        return k;
    }
    __device__ __forceinline__ void next() { c += BM4_BLOCK_BYTES; r += BM4_BLOCK_BYTES; eo++; }
    // The current block, moving on and loading the next one into nx if
    // there is one (`more`): the walk's step, one block ahead. (The row
    // split's; the measured kernels keep the three lines inline, which this
    // form, returning the block by value, would re-allocate: SASS, v40.)
    __device__ __forceinline__ Bm4Block step(Bm4Block &nx, bool more)
    {
        const Bm4Block k = nx;
        next();
        if (more) nx = load();
        return k;
    }
    // The block D past this one into L2 (the caller checks that it lies in
    // the unit): the register prefetch a block ahead then waits on L2, not
    // on DRAM, without holding more registers (v8) or shared memory (v10).
    template <int D>
    __device__ __forceinline__ void prefetch_l2() const
    {
        asm volatile("prefetch.global.L2 [%0];" ::"l"(c + D * BM4_BLOCK_BYTES));
        asm volatile("prefetch.global.L2 [%0];" ::"l"(r + D * BM4_BLOCK_BYTES));
    }
};
#ifndef WZ_BM4_L2PF
#define WZ_BM4_L2PF 0 // blocks ahead for Bm4Cursor::prefetch_l2 in the fused kernels and the decoder (0: none); an A/B for v40
#endif

__device__ __forceinline__ uint32_t u4(const uint4 &v, int i) { return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w; }

// Nibble-is-15 flags of a code word, one bit at the high bit (3) of each
// nibble: its low three bits all set carry into bit 3, which must be set
// too. Three instructions (the four shifted ANDs took five).
__device__ __forceinline__ uint32_t esc_flags(uint32_t w) { return ((w & 0x77777777u) + 0x11111111u) & w & 0x88888888u; }

// A pair's two raw bytes (sign, 7 mantissa bits) joined with its exponents
// e (bits 7-14 and 23-30, from the lookup table): one PRMT copies each
// byte into both bytes of its half — the low copy gives the mantissa, the
// high copy's top bit the sign — and one LOP3 keeps those and ORs e in.
// (v39: was PRMT to bytes 0 and 2, shift, two LOP3s: 4 instructions.)
// The table entry of code byte `sh / 8` of cw. The table is 1 KB aligned in
// shared memory, so its address is the byte's offset ORed into the base:
// SHF + LOP3, where indexing lut[] added the base in one more IADD per pair
// in the M = 1 kernel (ptxas folds it into [R+UR] elsewhere; SASS, v39).
#ifndef WZ_BM4_LUT_OR
#define WZ_BM4_LUT_OR 0 // an A/B for v40
#endif
__device__ __forceinline__ uint32_t bm4_lut_entry(const uint32_t *lut, uint32_t cw, uint32_t sh)
{
    if (!WZ_BM4_LUT_OR) return lut[(cw >> sh) & 0xffu];
    const uint32_t off = sh >= 2 ? (cw >> (sh - 2)) & 0x3fcu : (cw << 2) & 0x3fcu;
    uint32_t e;
    asm("ld.shared.u32 %0, [%1];" : "=r"(e) : "r"((uint32_t)__cvta_generic_to_shared(lut) | off));
    return e;
}

#ifndef WZ_BM4_MERGE2
#define WZ_BM4_MERGE2 1
#endif
__device__ __forceinline__ uint32_t bm4_merge(uint32_t rw, int p, uint32_t e)
{
    const uint32_t b0 = 2 * (p & 1); // byte of weight 2k within rw
    if (!WZ_BM4_MERGE2) { // the v38 form, for the A/B
        const uint32_t rb = __byte_perm(rw, 0u, b0 | 0x40u | ((b0 + 1) << 8) | 0x4000u);
        return (rb & 0x007f007fu) | ((rb << 8) & 0x80008000u) | e;
    }
    return (__byte_perm(rw, 0u, b0 * 0x11u | (b0 + 1) * 0x1100u) & 0x807f807fu) | e;
}

// Exponents by arithmetic instead of the table (v43c): both codes of a
// code byte are nibbles, so c0 | c1 << 16 is one PRMT of the word's low and
// high nibbles (selector bytes 8 | q and 12 | q copy the sign of a byte
// < 16: zero), and (base + c0) << 7 | (base + c1) << 23 is one IMAD. No
// shared-memory load: in the wgmma GEMM the table's ~3-way bank-conflicted
// lookups were a quarter of the shared-memory traffic, the kernel's bound
// (ncu, v43b). An escape's code 15 gives base + 15 <= 256 (the parser
// keeps base <= 241); the merge keeps only bits 7-14 and 23-30, so a
// carry never reaches a sign, and the patch overwrites those bits.
struct Bm4Arith { uint32_t B; };
__device__ __forceinline__ Bm4Arith bm4_arith(uint32_t base) { return Bm4Arith{base << 7 | base << 23}; }
__device__ __forceinline__ uint32_t bm4_lut_entry(Bm4Arith x, uint32_t cw, uint32_t sh)
{
    const uint32_t q = sh >> 3;
    uint32_t z;
    asm("prmt.b32 %0, %1, %2, %3;" : "=r"(z) : "r"(cw & 0x0f0f0f0fu), "r"((cw >> 4) & 0x0f0f0f0fu), "r"(q | (q | 8) << 4 | (q + 4) << 8 | (q + 12) << 12));
    return z * 128u + x.B;
}
__device__ __forceinline__ uint32_t bm4_merge(uint32_t rw, int p, uint32_t e, const uint32_t *) { return bm4_merge(rw, p, e); }
__device__ __forceinline__ uint32_t bm4_merge(uint32_t rw, int p, uint32_t e, Bm4Arith)
{
    const uint32_t b0 = 2 * (p & 1);
    return (__byte_perm(rw, 0u, b0 * 0x11u | (b0 + 1) * 0x1100u) & 0x807f807fu) | (e & 0x7f807f80u); // one LOP3 (a select)
}

// The exponent source of bitmap.cu's kernels: the table, or with
// WZ_BM4_ARITH=1 the arithmetic (an A/B on the GEMV kernels, v43c).
#ifndef WZ_BM4_ARITH
#define WZ_BM4_ARITH 0
#endif
#if WZ_BM4_ARITH
__device__ __forceinline__ Bm4Arith bm4_src(const uint32_t *, uint32_t base) { return bm4_arith(base); }
#else
__device__ __forceinline__ const uint32_t *bm4_src(const uint32_t *lut, uint32_t) { return lut; }
#endif

// The exponent source L of the pair functions below: the table (const
// uint32_t *, shared memory, bm4_lut) or Bm4Arith.
// bf16x2 of weights 2k, 2k+1 of this lane's row. Escapes (code 15) come
// from the escape list: `ebase` is this lane's first escape of the block.
template <class L>
__device__ __forceinline__ uint32_t bm4_pair(const Bm4Block &k, int p, L lut, const uint32_t (&fl)[4], const uint8_t *ebase)
{
    uint32_t cw = u4(k.c, p >> 2), sh = 8 * (p & 3);
    uint32_t e = bm4_lut_entry(lut, cw, sh);
    uint32_t w2 = bm4_merge(u4(p < 8 ? k.r0 : k.r1, (p >> 1) & 3), p, e, lut);
    uint32_t f = (fl[p >> 2] >> sh) & 0x88u;
    if (f) { // rare: at least one of the two is an escape
        uint32_t before = 0;
#pragma unroll
        for (int j = 0; j < 4; j++) if (j < (p >> 2)) before += __popc(fl[j]);
        before += __popc(fl[p >> 2] & ((1u << sh) - 1u));
        if (f & 0x08u) { w2 = (w2 & 0xffff807fu) | ((uint32_t)__ldg(ebase + before) << 7); before++; }
        if (f & 0x80u) w2 = (w2 & 0x807fffffu) | ((uint32_t)__ldg(ebase + before) << 23);
    }
    return w2;
}

// The same pair without the escape check: used for whole blocks in which
// no lane of the warp has an escape (the common case with a 15-exponent
// window), so the per-pair branch and its convergence barrier vanish.
template <class L>
__device__ __forceinline__ uint32_t bm4_pair_fast(const Bm4Block &k, int p, L lut)
{
    uint32_t cw = u4(k.c, p >> 2), sh = 8 * (p & 3);
    uint32_t e = bm4_lut_entry(lut, cw, sh);
    return bm4_merge(u4(p < 8 ? k.r0 : k.r1, (p >> 1) & 3), p, e, lut);
}

// Escapes of half h (pairs 8h .. 8h+7) patched into escape-free pairs
// (bm4_pair_fast leaves a code-15 exponent zero). A lane's escape bytes
// follow its nibbles in order, so a running count finds each one. The loop
// runs only in lanes with an escape in the half (~2% of a block's lanes with
// a 15-exponent window, though ~36% of blocks have one somewhere: v39), a
// pass per escape; written per pair, predicated, it cost ~140 instructions
// a half in every block with an escape (SASS, v39a).
// The loop itself, over nonzero flag bits m (bit 32 (p >> 2) + 8 (p & 3) +
// 4 nibble + 3 for pair p of v), the first escape byte `before` past ebase.
template <int N>
__device__ __forceinline__ void bm4_patch_flags(uint64_t m, uint32_t before, const uint8_t *ebase, uint32_t (&v)[N])
{
    do {
        const int b = __ffsll((long long)m) - 1, p = (b >> 5) * 4 + ((b >> 3) & 3);
        const bool hi = (b >> 2) & 1;
        const uint32_t e = (uint32_t)__ldg(ebase + before++), keep = hi ? 0x807fffffu : 0xffff807fu, put = e << (hi ? 23 : 7);
#pragma unroll
        for (int q = 0; q < N; q++)
            if (q == p) v[q] = (v[q] & keep) | put;
        m &= m - 1;
    } while (m);
}
__device__ __forceinline__ void bm4_patch(int h, const uint32_t (&fl)[4], const uint8_t *ebase, uint32_t (&v)[8])
{
    const uint64_t m = fl[2 * h] | (uint64_t)fl[2 * h + 1] << 32;
    if (m) bm4_patch_flags<8>(m, h ? __popc(fl[0]) + __popc(fl[1]) : 0u, ebase, v); // the count only where a lane has one
}

// The 8 pairs of half h: all decoded escape-free, then — only in blocks
// where some lane of the warp has an escape (`esc`, warp-uniform) — the
// escapes patched in. One branch a half: written as a select per pair
// (esc ? bm4_pair : bm4_pair_fast), ptxas merged both into bm4_pair with a
// predicated branch and a convergence barrier per pair (SASS, v39: ~5 of
// a pair's ~14 instructions on the escape-free path).
#ifndef WZ_BM4_PATCH
#define WZ_BM4_PATCH 1 // 0: the select per pair (before v39; the A/B)
#endif
template <bool PATCH = WZ_BM4_PATCH, class L = const uint32_t *>
__device__ __forceinline__ void bm4_half(const Bm4Block &k, int h, L lut, bool esc, const uint32_t (&fl)[4], const uint8_t *ebase,
                                         uint32_t (&v)[8])
{
    if constexpr (!PATCH) {
#pragma unroll
        for (int p = 0; p < 8; p++) v[p] = esc ? bm4_pair(k, h * 8 + p, lut, fl, ebase) : bm4_pair_fast(k, h * 8 + p, lut);
    } else {
#pragma unroll
        for (int p = 0; p < 8; p++) v[p] = bm4_pair_fast(k, h * 8 + p, lut);
        if (esc) bm4_patch(h, fl, ebase, v);
    }
}

// ---- Row split (v40, M = 33..64): two warps share a 32x32 block, warp rb
// taking rows 16 rb .. 16 rb + 15 — the 4 pairs p = 8 h + 4 rb + a of each
// half h, i.e. code word 2 h + rb and 8 bytes of each half's raw bytes —
// so a lane holds 32 accumulators at M = 64 instead of 64 and an SM twice
// the warps (v38's count: 2 warps a scheduler, 0.40 issue a cycle). ----
// The 4 pairs of half h, rows 16 rb .. (k from Bm4Cursor<true>: raw words
// in k.r0). v is the A fragment of those rows for the half's 16 columns.
template <class L>
__device__ __forceinline__ void bm4_quarter(const Bm4Block &k, int h, int rb, L lut, bool esc, const uint32_t (&fl)[4],
                                            const uint8_t *ebase, uint32_t (&v)[4])
{
    const uint32_t cw = rb ? (h ? k.c.w : k.c.y) : (h ? k.c.z : k.c.x);
    const uint32_t rw[2] = {h ? k.r0.z : k.r0.x, h ? k.r0.w : k.r0.y};
#pragma unroll
    for (int q = 0; q < 4; q++) v[q] = bm4_merge(rw[q >> 1], q, bm4_lut_entry(lut, cw, 8 * q), lut);
    const uint32_t m = esc ? (rb ? (h ? fl[3] : fl[1]) : (h ? fl[2] : fl[0])) : 0u; // this quarter's flags: pair q at bit 8 q + 4 nibble + 3
    if (m) bm4_patch_flags<4>(m, (h ? __popc(fl[0]) + __popc(fl[1]) : 0u) + (rb ? __popc(fl[2 * h]) : 0u), ebase, v);
}

__device__ __forceinline__ const uint8_t *bm4_ebase(const BmArgs &a, const Bm4Block &k, const uint32_t (&fl)[4], int lane)
{
    uint32_t c = __popc(fl[0]) + __popc(fl[1]) + __popc(fl[2]) + __popc(fl[3]);
    if (!__any_sync(0xffffffffu, c)) return a.esc;
    uint32_t incl = c;
#pragma unroll
    for (int d = 1; d < 32; d <<= 1) { uint32_t t = __shfl_up_sync(0xffffffffu, incl, d); if (lane >= d) incl += t; }
    return a.esc + k.eo + (incl - c);
}

// A block's escape state: the flags of its code words, whether any lane of
// the warp has an escape (warp-uniform), and this lane's first escape byte.
// Out-parameters: returned as a struct, ptxas allocated the measured
// kernels' registers differently (their SASS changed; this form keeps it).
__device__ __forceinline__ void bm4_escapes(const BmArgs &a, const Bm4Block &k, int lane, uint32_t (&fl)[4], bool &any, const uint8_t *&eb)
{
    fl[0] = esc_flags(k.c.x), fl[1] = esc_flags(k.c.y), fl[2] = esc_flags(k.c.z), fl[3] = esc_flags(k.c.w);
    any = __any_sync(0xffffffffu, fl[0] | fl[1] | fl[2] | fl[3]); // warp-uniform
    eb = any ? bm4_ebase(a, k, fl, lane) : a.esc;
}

// ---- Escapes from the slots (v47, the wgmma GEMM's WZ_WG_EPV): every weight
// decoded escape-free, then the block's escapes written over it from its
// two slots (codecs.h, wz_bm_escape_slots) and, past two, the list. The
// slots come from the block's index beside its load: no load waits for
// another. b.eo then holds the block's index (the overflow's list offset
// is read only when a block has more than two). (The warp kernels patching
// their fragments this way lost 3-7% at M = 1..64, v47e: the slots' bytes
// and a warp-wide pass an escape cost more than the lane loop there.) ----
template <bool Q, int H>
__device__ __forceinline__ void bm4_slot_load(const BmArgs &a, const Bm4Cursor<Q, H> &cur, Bm4Block &b, int lane)
{
    const uint64_t bi = (uint64_t)(cur.eo - a.esc_off);
    b.eo = (uint32_t)bi, b.es = __ldg(a.eslot + 2 * bi + (lane & 1));
}
// Visit every escape of block k (warp-uniform): f(entry), entry = position
// (32 row + column) | bf16 << 16. Slot 0's word in lane 0, slot 1's in lane 1.
template <class F>
__device__ __forceinline__ void bm4_slot_each(const BmArgs &a, const Bm4Block &k, F f)
{
    const uint32_t s0 = __shfl_sync(0xffffffffu, k.es, 0), s1 = __shfl_sync(0xffffffffu, k.es, 1);
    if (!(s0 & WZ_BM_SLOT_VALID)) return;
    f(s0);
    if (s1 & WZ_BM_SLOT_VALID) f(s1);
    if (s0 & WZ_BM_SLOT_MORE) {
        const uint32_t e0 = __ldg(a.esc_off + k.eo), n = __ldg(a.esc_off + k.eo + 1) - e0;
        for (uint32_t j = 2; j < n; j++) f(__ldg(a.epv + e0 + j));
    }
}
__device__ __forceinline__ void bm4_lut(uint32_t *lut, uint32_t base)
{
    for (uint32_t i = threadIdx.x; i < 256; i += blockDim.x) {
        uint32_t c0 = i & 15, c1 = i >> 4;
        lut[i] = (c0 < 15 ? (base + c0) << 7 : 0u) | (c1 < 15 ? (base + c1) << 23 : 0u);
    }
    __syncthreads();
}

// The wgmma GEMM (bm4_wgmma.cu, sm_90a; M >= 17 by default): whether this matrix
// and M have it (MMA order, rows % 128 == 0, cols % 64 == 0), and the
// launch (partial tiles and counters in sk where a tile is split between blocks).
bool bm4_wg_fits(const BmArgs &a, int M);
wz_err bm4_wg_launch(const BmArgs &a, const uint16_t *d_x, int M, uint16_t *d_y, SplitKBuf &sk, cudaStream_t s);
