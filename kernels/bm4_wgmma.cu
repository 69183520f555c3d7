// bm4_wgmma.cu — bitmap4 decoded inside a Hopper wgmma GEMM: Y = X W^T,
// bf16 in and out, fp32 sums, for M >= 17 (below, bitmap.cu's mma.sync
// kernels are faster; kernels.h WZ_GPU_BM4_WG_MIN_M). Built for sm_90a
// (wgmma); kernels/NOTES.md v43, v45.
//
// A block computes a BM x 128 tile of Y (BM = 64, 128 or 256 tokens, 128
// output rows) over its K range, a stage of 64 or 128 columns at a time,
// in a ring of 4-6 stages:
//   - NP decoding warps (8, or 16 at M <= 64): each decodes one 32 x 32
//     bitmap4 block of every stage (bitmap4.cuh; a lane's pairs are A
//     fragments) and writes it with stmatrix into the 128-byte swizzled
//     K-major layout wgmma reads; thread 0 also asks the copy engine (TMA)
//     for the stage's activations;
//   - NC consumer warpgroups (2, or 1 at M <= 64): each multiplies its MT
//     m64 token tiles by the weight tile (wgmma m64n128k16, A and B from
//     shared memory).
// Full/empty mbarriers hand stages over. Every weight tile is decoded once
// per block of tokens: M/BM times in all, on the CUDA cores while the
// tensor cores run. One block an SM walks the tiles' stages in one line
// (stream-K, v45f): a tile split between two blocks is summed through
// fp32 partial tiles by the part that finishes last. A block's last tile
// ends with all its threads (v48, wg_fin); where K is split evenly and
// the parts fit as thread-block clusters, they add up through
// distributed shared memory instead (wg_fin_cluster).
// The CPU reference is the decoder (codecs/bitmap) followed by the GEMM;
// tests/gpu_test.cu and gpu_bench compare against fp64.
#include <stdio.h>
#include <algorithm>
#include <cuda.h> // CUtensorMap (types only: the encoder comes from the runtime's entry point)
#include <cudaTypedefs.h>
extern "C" {
#include "codecs/codecs.h"
#include "kernels/kernels.h"
}
#include "kernels/gpu_common.cuh"
#include "kernels/bitmap4.cuh"
#include "kernels/wg_layout.cuh"

#define WG_BN 128    /* output rows a block: 4 block rows */
#define WG_ATOM 64   /* columns of a swizzle atom: two bitmap4 blocks, 128 bytes of bf16 (the swizzle's row) */
#define WG_ATOM_W_BYTES (WG_BN * WG_ATOM * 2)
#ifndef WZ_WG_ARITH
#define WZ_WG_ARITH 1 // exponents by arithmetic (bitmap4.cuh, v43c); 0: the shared-memory table (v43b)
#endif
#ifndef WZ_WG_ESCPF
#define WZ_WG_ESCPF 1 // the next block's escape list prefetched into L1 a stage ahead (v43e: -3.5% at M = 4096); 0: the A/B
#endif
#ifndef WZ_WG_STREAMK
// 1 (default): past a wave of tiles, one block an SM over all the tiles'
// stages (v45f: layer 216.5 vs 223.1 us at M = 64, 355.5 vs 373.5 at 256).
// v45h: the mended stage hand-back passed gpu_test under 0, 1 and 2 (the
// 140-tile case and M = 520 included); hybrid 221.5 / 219.9 vs 228.5 /
// 228.8 us at M = 64 in the same run. 2: stream-K everywhere (narrow shapes
// +7-13%, v45f); 0: a block a tile, even K splits below a wave.
#define WZ_WG_STREAMK 1
#endif
// Diagnostics for the bound (v46; wrong products, never a default): 1: the
// decoders skip the escapes (escaped weights come out wrong); 2: they skip
// the decode, storing the loaded code and raw words as the weight tile. What
// is left is the loads, the stores, the hand-overs and the wgmmas.
#ifndef WZ_WG_SOL
#define WZ_WG_SOL 0
#endif
// Diagnostic (v47; wrong products, never a default): 1: no activations'
// TMA — thread 0 arrives on the full barrier without asking for the bytes,
// so the wgmmas read whatever the stage held. What it removes is the
// activations' L2 -> shared memory traffic (at M = 256 a tile of 128 rows
// re-reads all 256 tokens' X: 1.1 GB a layer against 414 MB of weights).
#ifndef WZ_WG_NOX
#define WZ_WG_NOX 0
#endif
#ifndef WZ_WG_WAIT0
// 1: a consumer warpgroup waits for its own stage's wgmmas and hands that
// stage back at once, holding one slot of the ring instead of two; 0: it
// hands stage i - 1 back after issuing stage i (v43-v45). v46h, same run:
// layer 352.2 / 354.0 vs 357.2 / 356.2 us at M = 256 (-1%), 220.5 / 222.0
// vs 222.7 / 221.6 at 64. Each live warp hands each stage back once inside
// the loop, so the v45g rule for a tile's last stage is not needed.
#define WZ_WG_WAIT0 1
#endif
#ifndef WZ_WG_EPV
// v47: escapes never reach the decode. Every weight is decoded escape-free
// (no flags, vote, lane scan or dependent byte loads), then the warp stores
// its block's escapes over the tile, one 16-bit shared-memory store each.
// Lanes 0-1 load the block's two escape slots (codecs.h,
// wz_bm_escape_slots: (position, bf16) at a place given by the block's
// index) beside the block, two stages ahead, so no load waits for another;
// a block with more than two (~2%) reads the rest from the list then.
// (v47c, the entries found through the escape offset a stage ahead, gained
// 3% at M = 64 and nothing at 256: that chain of two loads did not hide.)
// Bound by v46's SOL 1 (the decode without escapes). Same run (v47d, H100,
// two rounds): layer 214.0 / 214.2 us at M = 64 against 221.2 / 221.0 with
// the escapes in the decode and 208.3 / 207.8 with none; M = 256 339.4 /
// 340.2 against 358.9 / 359.3 (none: 320.8 / 323.4); M = 1024 -3.3%.
// 0: the v39-v46 escape path (flags, vote, lane scan, patch loop).
#define WZ_WG_EPV 1
#endif
#ifndef WZ_WG_FIN
// v48: a block's last tile ends through shared memory with every thread
// (wg_fin): the consumers leave their sums in the free ring, the producers
// (idle by then) join, and 512-640 threads store the partial tile, read
// the other parts (float4s, 8 in flight a thread) and write Y in 16-byte
// row pieces. WZ_TRACE (v48) showed the consumer-only ending (128-256
// threads; 4-byte stores 8 rows apart) taking 4-13 us after the last stage
// on every shape. (A first form with 4-byte loads, 8 in flight, was no
// faster at M = 64 and 7% slower at 256.) 0: the consumer-only ending.
#define WZ_WG_FIN 1
#endif
#ifndef WZ_WG_CLU
// v48 (with WZ_WG_FIN): where K is split evenly (fewer tiles than SMs:
// o, qkv, down at M <= 256), a tile's parts run as one thread-block
// cluster and add up through distributed shared memory: no partial tiles
// through L2, no fence, no count, no reload; each part writes 1/parts of
// Y from the sums of all parts' rings. 0: through global memory (wg_fin).
#define WZ_WG_CLU 1
#endif
#ifndef WZ_WG_LDHINT16
#define WZ_WG_LDHINT16 2 // the 16-decoder shape's block loads: L1::no_allocate + L2::256B (bitmap4.cuh, v49: -2.5% at M = 64)
#endif
#ifndef WZ_WG_NP16
#define WZ_WG_NP16 1 // M <= 64: 16 decoding warps, one consumer warpgroup (v45c); 0: the v43 shape there too
#endif

// A block's shape: NP decoding warps (4 block rows x NP / 4 k-blocks a
// stage, so a stage is 32 NP / 4 columns: one or two swizzle atoms), NC
// consumer warpgroups of MT m64 token tiles each (BM tokens).
//   <MT, 8, 2> (v43): 512 threads; the register file split by setmaxnreg,
//     256 producer threads at 88, 256 consumer threads at 168 (128
//     accumulators at MT = 2).
//   <1, 16, 1> (v45c, M <= 64): 640 threads at <= 96 registers, no
//     setmaxnreg (64 accumulators). At M <= 64 the v43 shape is bound by
//     its 8 decoders (ncu, gate_up M = 64: 0.45 issues a cycle a
//     scheduler, DRAM at 43%, time flat in M): twice the decoders, half
//     the consumers (which have 1/4 of M = 256's products).
template <int MT, int NP, int NC> struct WgCfg {
    static constexpr int KB = NP / 4;                 // k-blocks a stage
    static constexpr int BK = 32 * KB;                // columns a stage
    static constexpr int ATOMS = BK / WG_ATOM;
    static constexpr int BM = 64 * MT * NC;           // tokens a block
    static constexpr int THREADS = 32 * NP + 128 * NC;
    static constexpr int X_BYTES = BM * BK * 2, W_BYTES = WG_BN * BK * 2;
    static constexpr int STAGES = X_BYTES + W_BYTES >= 48 * 1024 ? 4 : 6; // 48 KB / 32 KB a stage
    static constexpr int SMEM = STAGES * (X_BYTES + W_BYTES) + 1024 /* lut */ + 2 * STAGES * 8 + 1024 /* alignment */;
    static constexpr int PRODUCER_REGS = NP == 8 ? 88 : 0, CONSUMER_REGS = NP == 8 ? 168 : 0; // 0: no setmaxnreg
};

// ---- PTX wrappers ----
__device__ __forceinline__ void mbar_init(uint32_t bar, uint32_t count) { asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(bar), "r"(count)); }
__device__ __forceinline__ void mbar_arrive(uint32_t bar) { asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(bar) : "memory"); }
__device__ __forceinline__ void mbar_expect_tx(uint32_t bar, uint32_t bytes)
{
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity)
{
    asm volatile("{\n"
                 ".reg .pred p;\n"
                 "WAIT_%=:\n"
                 "mbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n"
                 "@!p bra WAIT_%=;\n"
                 "}\n" ::"r"(bar),
                 "r"(parity)
                 : "memory");
}
__device__ __forceinline__ void tma_load_2d(uint32_t dst, const CUtensorMap *map, uint32_t bar, int c0, int c1)
{
    asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4}], [%2];" ::"r"(dst),
                 "l"((uint64_t)map), "r"(bar), "r"(c0), "r"(c1)
                 : "memory");
}
// Shared-memory matrix descriptor: K-major, 128-byte swizzle, 8-row groups
// 1024 bytes apart (the leading offset is unused in this mode). The tile
// bases are 1024-aligned, so advancing 16 columns (32 bytes) is +2.
__device__ __forceinline__ uint64_t wg_desc(uint32_t saddr)
{
    return (uint64_t)((saddr & 0x3ffffu) >> 4) | (uint64_t)1 << 16 | (uint64_t)(1024 >> 4) << 32 | (uint64_t)1 << 62;
}
__device__ __forceinline__ void wg_fence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
__device__ __forceinline__ void wg_commit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
template <int N> __device__ __forceinline__ void wg_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(N) : "memory"); }
// D (64 x 128, fp32) += A (64 x 16) B (16 x 128): thread t of the
// warpgroup holds row 16 (t / 32) + (t % 32) / 4 + 8 ((i >> 1) & 1),
// column 8 (i >> 2) + 2 (t % 4) + (i & 1) in d[i].
__device__ __forceinline__ void wg_m64n128k16(float (&d)[64], uint64_t da, uint64_t db)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
                 "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, "
                 "%26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, "
                 "%51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, %64, %65, p, 1, 1, 0, 0;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]),
                   "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]),
                   "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]),
                   "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]),
                   "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]),
                   "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]),
                   "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "l"(da), "l"(db));
}

// A lane's two A-fragment groups of block (block row p, k-block kb) into
// the stage's weight tile: rows are output rows, 128 bytes (64 columns) a
// row, 16-byte chunk c of row r at chunk c ^ (r % 8) — the layout TMA's
// 128-byte swizzle gives and wgmma's descriptor names. stmatrix: lane l
// addresses row l % 8 of 8x8 matrix l / 8 (as stage_frag_group); the 8
// rows of a matrix land on 8 distinct chunks, so all 32 banks.
__device__ __forceinline__ void wg_store_block(uint32_t w_s, int p, int kb, int lane, const uint32_t (&va)[8], const uint32_t (&vb)[8])
{
#pragma unroll
    for (int half = 0; half < 2; half++)
#pragma unroll
        for (int rb = 0; rb < 2; rb++) {
            const uint32_t(&v)[8] = half ? vb : va;
            const int j = lane >> 3, r = 32 * p + rb * 16 + (j & 1) * 8 + (lane & 7), ch = 4 * kb + 2 * half + (j >> 1);
            const uint32_t addr = w_s + 128 * r + 16 * (ch ^ (r & 7));
            asm volatile("stmatrix.sync.aligned.m8n8.x4.shared.b16 [%0], {%1, %2, %3, %4};" ::"r"(addr), "r"(v[4 * rb]), "r"(v[4 * rb + 1]),
                         "r"(v[4 * rb + 2]), "r"(v[4 * rb + 3]));
        }
}

struct WgArgs {
    BmArgs a;
    uint16_t *y;      // M x rows, row-major by token (as cuBLAS's column-major rows x M)
    float *ws;        // partial tiles: two slots a block, BM x 128 fp32 each
    unsigned *cnt;    // a counter a tile (tiles of them), zero-kept
    int M;
    uint32_t nk;      // stages of the whole K (cols / BK)
    uint32_t mt;      // token tiles (M / BM, rounded up)
    uint32_t tiles;   // mt x rows / 128; tile t is token tile t % mt of output rows 128 (t / mt) ..
    uint32_t clu;     // > 1: a tile's parts are the clusters of clu blocks (WZ_WG_CLU)
};

// The schedule (v45f): the tiles' stages in one line, tile after tile,
// U = tiles x nk units; block b of G takes units b U / G .. (b + 1) U / G - 1
// — whole tiles and at most a partial one at each end. With G = tiles
// every block has one whole tile; with G = the SMs (stream-K) no SM idles
// in a last wave (gate_up at M = 64: 216 tiles on 132 SMs were 2 waves,
// the second 64% full). A tile split between blocks is summed through
// plain fp32 stores of the partial tiles and one read by the part that
// counts last (v45a: atomics for the sums cost more than the idle SMs).
// The block whose range holds unit x:
__device__ __forceinline__ uint32_t wg_block_of(uint64_t x, uint64_t U, uint32_t G) { return (uint32_t)(((x + 1) * G - 1) / U); }
// The blocks holding tile t's stages: first .. last (more than one: a split tile).
__device__ __forceinline__ void wg_parts(uint32_t t, uint32_t nk, uint64_t U, uint32_t G, uint32_t &first, uint32_t &last)
{
    first = wg_block_of((uint64_t)t * nk, U, G), last = wg_block_of((uint64_t)(t + 1) * nk - 1, U, G);
}
// Block b's partial tile of tile t (part floats): a block's partial tiles
// are its first and last, slot 0 or 1.
__device__ __forceinline__ float *wg_slot(const WgArgs &w, uint32_t b, uint32_t t, uint64_t U, uint32_t G, uint32_t part)
{
    return w.ws + ((uint64_t)b * 2 + ((b * U / G) / w.nk == t ? 0 : 1)) * part;
}

// ---- the last tile's end (WZ_WG_FIN) ----
// The consumers leave their sums in the ring (free once the tile's last
// stage is read) in the sums' order (wg_layout.cuh: a warp's store is 128
// contiguous bytes). Every thread then takes part: the block's partial
// tile out in float4s, the count, the other parts in (8 float4 loads in
// flight a thread), Y out in 16-byte row pieces.
__device__ __forceinline__ float4 wg_lds4(uint32_t a)
{
    float4 v;
    asm volatile("ld.shared.v4.f32 {%0, %1, %2, %3}, [%4];" : "=f"(v.x), "=f"(v.y), "=f"(v.z), "=f"(v.w) : "r"(a) : "memory");
    return v;
}
__device__ __forceinline__ void wg_sts4(uint32_t a, float4 v)
{
    asm volatile("st.shared.v4.f32 [%0], {%1, %2, %3, %4};" ::"r"(a), "f"(v.x), "f"(v.y), "f"(v.z), "f"(v.w) : "memory");
}
template <int MT, int NC>
__device__ __forceinline__ void wg_fin_put(uint32_t x_s, const float (&d)[MT][64], int ct)
{
#pragma unroll
    for (int m = 0; m < MT; m++)
#pragma unroll
        for (int e = 0; e < 64; e++) asm volatile("st.shared.f32 [%0], %1;" ::"r"(x_s + 4 * wg_sum_index<NC>(ct, m, e)), "f"(d[m][e]) : "memory");
}
__device__ __forceinline__ void wg_put_y(uint16_t *y, float4 A, float4 B)
{
    __nv_bfloat162 o[4] = {__floats2bfloat162_rn(A.x, B.x), __floats2bfloat162_rn(A.y, B.y), __floats2bfloat162_rn(A.z, B.z),
                           __floats2bfloat162_rn(A.w, B.w)};
    *(uint4 *)y = *(const uint4 *)o;
}
// The cluster's end (WZ_WG_CLU): all parts' sums are in their rings after
// the first cluster barrier; part k writes Y pieces k/parts .. (k+1)/parts
// of the tile, each the sum over the parts' rings (distributed shared
// memory); the second barrier keeps every ring alive until all have read.
template <int MT, int NP, int NC>
__device__ __forceinline__ void wg_fin_cluster(const WgArgs &w, uint32_t x_s, uint32_t t)
{
    constexpr int THREADS = 32 * NP + 128 * NC, BM = 64 * MT * NC, PIECES = BM * 16;
    asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;" ::: "memory");
    const uint32_t parts = w.clu, rank = blockIdx.x % parts, tid = threadIdx.x;
    const uint32_t mtile = t % w.mt, n0 = (t / w.mt) * WG_BN;
    const uint64_t N = w.a.rows;
#pragma unroll 1
    for (uint32_t j = rank * PIECES / parts + tid; j < (rank + 1) * PIECES / parts; j += THREADS) {
        const uint32_t r = (j >> 1) % BM, q = 2 * ((j >> 1) / BM) + (j & 1), tok = mtile * BM + r;
        if ((int)tok >= w.M) continue;
        uint32_t oa, ob;
        wg_piece<MT, NC>(r, q, oa, ob);
        float4 A = make_float4(0.f, 0.f, 0.f, 0.f), B = A;
#pragma unroll 1
        for (uint32_t k = 0; k < parts; k++) {
            uint32_t ra, rb;
            asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(ra) : "r"(x_s + oa), "r"(k));
            asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(rb) : "r"(x_s + ob), "r"(k));
            float4 a, b;
            asm volatile("ld.shared::cluster.v4.f32 {%0, %1, %2, %3}, [%4];" : "=f"(a.x), "=f"(a.y), "=f"(a.z), "=f"(a.w) : "r"(ra) : "memory");
            asm volatile("ld.shared::cluster.v4.f32 {%0, %1, %2, %3}, [%4];" : "=f"(b.x), "=f"(b.y), "=f"(b.z), "=f"(b.w) : "r"(rb) : "memory");
            A.x += a.x, A.y += a.y, A.z += a.z, A.w += a.w, B.x += b.x, B.y += b.y, B.z += b.z, B.w += b.w;
        }
        wg_put_y(w.y + tok * N + n0 + 8 * q, A, B);
    }
    asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;" ::: "memory");
    if ((tid & 31) == 0) WZ_TRACE_MAX(6);
}
// Every thread of the block, after its loop: fin_n 0 — nothing to do;
// 1 — the tile is the block's alone: Y from the sums; 2 — one part of a
// split tile: store it, count, and if last add the others before Y.
template <int MT, int NP, int NC>
__device__ __forceinline__ void wg_fin(const WgArgs &w, uint32_t x_s, const uint32_t &fin_t, const uint32_t &fin_n, uint32_t &fin_last, uint64_t U, uint32_t G)
{
    constexpr int THREADS = 32 * NP + 128 * NC, BM = 64 * MT * NC;
    constexpr uint32_t PART4 = BM * WG_BN / 4; // float4s of a partial tile
    asm volatile("bar.sync 2, %0;" ::"n"(THREADS) : "memory");
    const uint32_t n = fin_n, t = fin_t, tid = threadIdx.x, blk = blockIdx.x, nk = w.nk;
    if (WZ_WG_CLU && w.clu > 1) { // every block of a cluster has one part of one tile (n == 2)
        wg_fin_cluster<MT, NP, NC>(w, x_s, t);
        return;
    }
    if (!n) return;
    if (n == 2) {
        uint32_t first, lastb;
        wg_parts(t, nk, U, G, first, lastb);
        float4 *const mine = (float4 *)wg_slot(w, blk, t, U, G, 4 * PART4);
        for (uint32_t i = tid; i < PART4; i += THREADS) __stcg(mine + i, wg_lds4(x_s + 16 * i));
        wz_fence_sum();
        asm volatile("bar.sync 2, %0;" ::"n"(THREADS) : "memory");
        if (tid == 0) WZ_TRACE_SET(3);
        if (tid == 0) fin_last = wz_count(w.cnt + t) == lastb - first;
        asm volatile("bar.sync 2, %0;" ::"n"(THREADS) : "memory");
        if (tid == 0) WZ_TRACE_SET(4);
        if (!fin_last) return;
        wz_fence_sum(); // every other part stored its tile before it counted
        for (uint32_t b = first; b <= lastb; b++) {
            if (b == blk) continue;
            const float4 *const other = (const float4 *)wg_slot(w, b, t, U, G, 4 * PART4);
            for (uint32_t i0 = tid; i0 < PART4; i0 += 8 * THREADS) {
                float4 v[8];
#pragma unroll
                for (int j = 0; j < 8; j++) v[j] = i0 + j * THREADS < PART4 ? __ldcg(other + i0 + j * THREADS) : make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll
                for (int j = 0; j < 8; j++) {
                    const uint32_t i = i0 + j * THREADS;
                    if (i >= PART4) break;
                    float4 a = wg_lds4(x_s + 16 * i);
                    a.x += v[j].x, a.y += v[j].y, a.z += v[j].z, a.w += v[j].w;
                    wg_sts4(x_s + 16 * i, a);
                }
            }
        }
        if (tid == 0) w.cnt[t] = 0; // zero-kept: every part has counted
        asm volatile("bar.sync 2, %0;" ::"n"(THREADS) : "memory");
        if (tid == 0) WZ_TRACE_SET(5);
    }
    // Y: thread j writes columns 8 q .. 8 q + 7 of tile row r (wg_piece),
    // two threads a row (32 bytes, a whole sector) and 16 rows a warp.
    const uint32_t mtile = t % w.mt, n0 = (t / w.mt) * WG_BN;
    const uint64_t N = w.a.rows;
    for (uint32_t j = tid; j < BM * 16; j += THREADS) {
        const uint32_t r = (j >> 1) % BM, q = 2 * ((j >> 1) / BM) + (j & 1), tok = mtile * BM + r;
        if ((int)tok >= w.M) continue;
        uint32_t oa, ob;
        wg_piece<MT, NC>(r, q, oa, ob);
        wg_put_y(w.y + tok * N + n0 + 8 * q, wg_lds4(x_s + oa), wg_lds4(x_s + ob));
    }
    if ((tid & 31) == 0) WZ_TRACE_MAX(6);
}

template <int MT, int NP, int NC>
__global__ void __launch_bounds__(WgCfg<MT, NP, NC>::THREADS, 1) bm4_wg_kernel(const __grid_constant__ CUtensorMap xmap, const WgArgs w)
{
    using C = WgCfg<MT, NP, NC>;
    extern __shared__ uint8_t smem_raw[];
    const uint32_t base = ((uint32_t)__cvta_generic_to_shared(smem_raw) + 1023u) & ~1023u;
    uint8_t *const smem = smem_raw + (base - (uint32_t)__cvta_generic_to_shared(smem_raw));
    const uint32_t x_s = base, w_s = base + C::STAGES * C::X_BYTES;
    uint32_t *const lut = (uint32_t *)(smem + C::STAGES * (C::X_BYTES + C::W_BYTES));
    const uint32_t bar_s = base + C::STAGES * (C::X_BYTES + C::W_BYTES) + 1024; // full[s] at + 8 s, empty[s] at + 8 (STAGES + s)
    const int tid = threadIdx.x, wg = tid / 128, lane = tid & 31;
    const uint32_t G = gridDim.x, blk = blockIdx.x, nk = w.nk;
    const uint64_t U = (uint64_t)w.tiles * nk, u0 = blk * U / G, u1 = (blk + 1) * U / G;
    if (tid == 0) WZ_TRACE_SET(0);
    __shared__ uint32_t fin_t, fin_n, fin_last; // the last tile's end (WZ_WG_FIN, wg_fin): its index, what is left to do, the count's verdict
    if (WZ_WG_FIN && tid == 0) fin_n = 0;
    if (tid == 0) {
        for (int s = 0; s < C::STAGES; s++) {
            mbar_init(bar_s + 8 * s, NP + 1);              // the producer warps + the activations' expect_tx
            mbar_init(bar_s + 8 * (C::STAGES + s), 4 * NC); // the consumer warps
        }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    bm4_lut(lut, w.a.base); // ends in __syncthreads: the barriers are ready too
    if (tid < NP * 32) {
        // ---- producers: warp pw decodes block (block row pw % 4, k-block
        // pw / 4) of every stage, the blocks of the next two stages already
        // in registers (a stage is ~1400 cycles at the tensor rate: two
        // cover a loaded DRAM's latency); stage i of the block's run uses
        // slot i % STAGES across its tiles ----
        if (C::PRODUCER_REGS) asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;" ::"n"(C::PRODUCER_REGS));
        const int pw = tid / 32, p = pw & 3, kb = pw >> 2;
        // The two-stage register pipeline runs on across tiles (v45g): the
        // cursor follows the unit two stages ahead, re-aimed where it
        // enters a new tile, so a block's later tiles start with their
        // first blocks already loaded.
        auto aim = [&](uint64_t u) { // the cursor at unit u's block
            const uint32_t t = (uint32_t)(u / nk), kt = (uint32_t)(u % nk);
            return Bm4Cursor<false, NP == 16 ? WZ_WG_LDHINT16 : WZ_BM4_LDHINT>(w.a, ((uint64_t)(t / w.mt) * 4 + p) * w.a.bc + C::KB * (uint64_t)kt + kb, lane);
        };
        auto cur = aim(u0);
        Bm4Block n1 = cur.load(), n2 = n1;
        // EPV: the block's escape slots with its load, from its index (kept
        // in eo, whose list offset only the rare overflow needs).
        auto epv_slot = [&](Bm4Block &b) {
            if (WZ_WG_EPV) bm4_slot_load(w.a, cur, b, lane);
        };
        epv_slot(n1);
        n2 = n1; // (again: n1 now carries its escape slot)
        uint64_t lu = u0 + 1;                        // the unit the cursor is moved to next
        uint32_t lkt = (uint32_t)(u0 % nk) + 1;      // its stage in its tile (nk: the next tile's first)
        auto step = [&] {                            // the cursor to unit lu (< u1), and on
            if (lkt == nk) { cur = aim(lu); lkt = 0; }
            else {
#pragma unroll
                for (int j = 0; j < C::KB; j++) cur.next();
            }
            lu++, lkt++;
        };
        if (lu < u1) { step(); n2 = cur.load(); epv_slot(n2); }
        uint32_t i = 0;
        for (uint64_t u = u0; u < u1;) {
            const uint32_t t = (uint32_t)(u / nk), k0 = (uint32_t)(u % nk), k1 = (uint32_t)min((uint64_t)nk, k0 + (u1 - u));
            const uint32_t mtile = t % w.mt;
            u += k1 - k0;
            for (uint32_t kt = k0; kt < k1; kt++, i++) {
                const uint32_t s = i % C::STAGES, round = i / C::STAGES;
                const Bm4Block k = n1;
                n1 = n2;
                // Next stage's escape bytes into L1 (its offset, loaded a stage
                // ago, has landed): the patch's dependent loads then hit L1.
                if (!WZ_WG_EPV && WZ_WG_ESCPF) asm volatile("prefetch.global.L1 [%0];" ::"l"(w.a.esc + n1.eo));
                if (lu < u1) { step(); n2 = cur.load(); epv_slot(n2); }
                uint32_t fl[4] = {0, 0, 0, 0};
                bool esc = false;
                const uint8_t *eb = w.a.esc;
                if (WZ_WG_SOL == 0 && !WZ_WG_EPV) bm4_escapes(w.a, k, lane, fl, esc, eb);
                uint32_t va[8], vb[8];
                if (WZ_WG_SOL == 2) {
                    const uint32_t q[8] = {k.c.x, k.c.y, k.c.z, k.c.w, k.r0.x, k.r0.y, k.r0.z, k.r0.w};
#pragma unroll
                    for (int j = 0; j < 8; j++) va[j] = q[j], vb[j] = u4(k.r1, j & 3) ^ q[j];
                } else if (WZ_WG_ARITH) {
                    bm4_half(k, 0, bm4_arith(w.a.base), esc, fl, eb, va);
                    bm4_half(k, 1, bm4_arith(w.a.base), esc, fl, eb, vb);
                } else {
                    bm4_half(k, 0, (const uint32_t *)lut, esc, fl, eb, va);
                    bm4_half(k, 1, (const uint32_t *)lut, esc, fl, eb, vb);
                }
                // The slot is free once both consumer warpgroups are done with
                // it; the decode above ran before (asking for the activations
                // before warp 0's decode instead was no faster: v43d).
                mbar_wait(bar_s + 8 * (C::STAGES + s), (round & 1) ^ 1);
                if (tid == 0 && WZ_WG_NOX) mbar_arrive(bar_s + 8 * s);
                else if (tid == 0) {
                    mbar_expect_tx(bar_s + 8 * s, C::X_BYTES);
#pragma unroll
                    for (int j = 0; j < C::ATOMS; j++)
                        tma_load_2d(x_s + s * C::X_BYTES + j * C::BM * 128, &xmap, bar_s + 8 * s, (int)(kt * C::BK + j * WG_ATOM), (int)(mtile * C::BM));
                }
                wg_store_block(w_s + s * C::W_BYTES + (kb >> 1) * WG_ATOM_W_BYTES, p, kb & 1, lane, va, vb);
                if (WZ_WG_EPV) { // the escapes over the escape-free tile, one 16-bit store each (lane 0)
                    const uint32_t wa = w_s + s * C::W_BYTES + (kb >> 1) * WG_ATOM_W_BYTES;
                    __syncwarp(); // the stmatrix writes before the stores that overwrite them
                    bm4_slot_each(w.a, k, [&](uint32_t e) {
                        const uint32_t row = 32 * p + ((e >> 5) & 31), col = 32 * (kb & 1) + (e & 31);
                        if (lane == 0)
                            asm volatile("st.shared.u16 [%0], %1;" ::"r"(wa + 128 * row + 16 * ((col >> 3) ^ (row & 7)) + 2 * (col & 7)),
                                         "h"((uint16_t)(e >> 16))
                                         : "memory");
                    });
                    __syncwarp();
                }
                asm volatile("fence.proxy.async.shared::cta;" ::: "memory"); // the stmatrix writes, visible to the tensor cores
                __syncwarp();
                if (lane == 0) mbar_arrive(bar_s + 8 * s);
            }
        }
        if (lane == 0) WZ_TRACE_MAX(8);
        if (!WZ_WG_FIN) return;
        wg_fin<MT, NP, NC>(w, x_s, fin_t, fin_n, fin_last, U, G);
        if (lane == 0) WZ_TRACE_MAX(7);
        return;
    }
    // ---- consumers: warpgroup c takes tokens 64 MT c .. 64 MT (c + 1) - 1 of each tile ----
    if (C::CONSUMER_REGS) asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;" ::"n"(C::CONSUMER_REGS));
    const int c = wg - NP / 4, warp = (tid - 128 * wg) / 32, ct = tid - NP * 32; // ct: 0 .. 128 NC - 1 over all
    const uint64_t N = w.a.rows;
    constexpr uint32_t PART = C::BM * WG_BN; // floats of a partial tile
    __shared__ unsigned last;
    uint32_t i = 0;
    for (uint64_t u = u0; u < u1;) {
        const uint32_t t = (uint32_t)(u / nk), k0 = (uint32_t)(u % nk), k1 = (uint32_t)min((uint64_t)nk, k0 + (u1 - u));
        const uint32_t mtile = t % w.mt, n0 = (t / w.mt) * WG_BN;
        u += k1 - k0;
        const bool fin = WZ_WG_FIN && u >= u1; // the block's last tile: the ring is free after it
        float d[MT][64];
#pragma unroll
        for (int m = 0; m < MT; m++)
#pragma unroll
            for (int e = 0; e < 64; e++) d[m][e] = 0.f;
        // A warpgroup with no token below M (at M <= 64 in the 8-decoder
        // shape, warpgroup 1) only hands the stages back: no tensor time on
        // padding. (A partial one multiplies all its tiles.) The test is
        // outside the k-loop: inside it, it put the wgmmas on a divergent
        // path, which ptxas serialises (C7520).
        if ((int64_t)mtile * C::BM + (int64_t)c * MT * 64 >= w.M) {
            for (uint32_t kt = k0; kt < k1; kt++, i++) {
                const uint32_t s = i % C::STAGES;
                mbar_wait(bar_s + 8 * s, (i / C::STAGES) & 1);
                if (lane == 0) mbar_arrive(bar_s + 8 * (C::STAGES + s));
            }
        } else
            for (uint32_t kt = k0; kt < k1; kt++, i++) {
                const uint32_t s = i % C::STAGES;
                mbar_wait(bar_s + 8 * s, (i / C::STAGES) & 1);
                if (WZ_TRACE && i == 0 && ct == 0) WZ_TRACE_SET(1);
                wg_fence();
#pragma unroll
                for (int kk = 0; kk < C::BK / 16; kk++) {
                    const int at = kk / 4, k16 = kk % 4; // swizzle atom, its k16 step
                    const uint64_t db = wg_desc(w_s + s * C::W_BYTES + at * WG_ATOM_W_BYTES) + 2 * k16;
#pragma unroll
                    for (int m = 0; m < MT; m++) wg_m64n128k16(d[m], wg_desc(x_s + s * C::X_BYTES + at * C::BM * 128 + (c * MT + m) * 64 * 128) + 2 * k16, db);
                }
                wg_commit();
                if (WZ_WG_WAIT0) { // this stage's products done: hand it back now (v46h)
                    wg_wait<0>();
                    if (lane == 0) mbar_arrive(bar_s + 8 * (C::STAGES + s));
                } else {
                    wg_wait<1>(); // the previous stage's products are done: hand it back
                    if (kt > k0 && lane == 0) mbar_arrive(bar_s + 8 * (C::STAGES + (i - 1) % C::STAGES));
                }
            }
        wg_wait<0>();
        if (ct == 0) WZ_TRACE_SET(2);
        // The tile's last stage, handed back here, not by the next tile's
        // first: every stage is handed back once by each warp, whether the
        // next tile has tokens for this warpgroup or not (a stage handed
        // back twice across a dead-to-live change, or never across a
        // live-to-dead one, hung the ring: v45g, M = 520 over 132 blocks).
        if (!WZ_WG_WAIT0 && k1 > k0 && lane == 0 && (int64_t)mtile * C::BM + (int64_t)c * MT * 64 < w.M)
            mbar_arrive(bar_s + 8 * (C::STAGES + (i - 1) % C::STAGES));
        // ---- epilogue: a tile split between blocks first sums its parts.
        // Every part stores its partial tile (in the accumulators' order,
        // coalesced) and counts; the part that counts last adds the
        // others' and writes Y. A block's partial tiles are its first and
        // last: slot 0 or 1. ----
        uint32_t first, lastb;
        wg_parts(t, nk, U, G, first, lastb);
        if (fin) { // the rest with every thread (wg_fin)
            if (NC > 1) asm volatile("bar.sync 1, %0;" ::"n"(128 * NC) : "memory"); // both warpgroups' last wgmmas have read the ring
            wg_fin_put<MT, NC>(x_s, d, ct);
            if (ct == 0) fin_t = t, fin_n = first != lastb ? 2 : 1;
            break;
        }
        if (first != lastb) {
            float *const mine = wg_slot(w, blk, t, U, G, PART);
#pragma unroll
            for (int m = 0; m < MT; m++)
#pragma unroll
                for (int e = 0; e < 64; e++) __stcg(mine + (m * 64 + e) * (128 * NC) + ct, d[m][e]);
            wz_fence_sum();
            if (ct == 0) WZ_TRACE_SET(3);
            asm volatile("bar.sync 1, %0;" ::"n"(128 * NC) : "memory");
            if (ct == 0) last = wz_count(w.cnt + t) == lastb - first;
            asm volatile("bar.sync 1, %0;" ::"n"(128 * NC) : "memory");
            if (ct == 0) WZ_TRACE_SET(4);
            if (!last) continue;
            wz_fence_sum();
            for (uint32_t b = first; b <= lastb; b++) {
                if (b == blk) continue;
                const float *const other = wg_slot(w, b, t, U, G, PART);
#pragma unroll
                for (int m = 0; m < MT; m++)
#pragma unroll
                    for (int e = 0; e < 64; e++) d[m][e] += __ldcg(other + (m * 64 + e) * (128 * NC) + ct);
            }
            if (ct == 0) w.cnt[t] = 0; // zero-kept; the parts of this tile have all counted
            if (ct == 0) WZ_TRACE_SET(5);
        }
#pragma unroll
        for (int m = 0; m < MT; m++)
#pragma unroll
            for (int e = 0; e < 64; e += 2) {
                const uint32_t tok = mtile * C::BM + (c * MT + m) * 64 + 16 * warp + lane / 4 + 8 * ((e >> 1) & 1);
                const uint32_t col = n0 + 8 * (e >> 2) + 2 * (lane & 3);
                if ((int)tok < w.M) *(__nv_bfloat162 *)(w.y + (uint64_t)tok * N + col) = __floats2bfloat162_rn(d[m][e], d[m][e + 1]);
            }
        if (ct == 0) WZ_TRACE_SET(6);
    }
    if (WZ_WG_FIN) wg_fin<MT, NP, NC>(w, x_s, fin_t, fin_n, fin_last, U, G);
    if (lane == 0) WZ_TRACE_MAX(7);
}

// ---- host ----
bool bm4_wg_fits(const BmArgs &a, int M)
{
    return a.width == 4 && a.order == WZ_TA_ORDER_MMA && M >= 1 && a.rows % WG_BN == 0 && a.cols % WG_ATOM == 0 &&
           a.rows / WG_BN <= 65535 && wz_sm_count() > 0;
}

static PFN_cuTensorMapEncodeTiled_v12000 tmap_encoder()
{
    static PFN_cuTensorMapEncodeTiled_v12000 fn = NULL;
    if (!fn) {
        cudaDriverEntryPointQueryResult q;
        void *p = NULL;
        if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &q) == cudaSuccess &&
            q == cudaDriverEntryPointSuccess)
            fn = (PFN_cuTensorMapEncodeTiled_v12000)p;
    }
    return fn;
}

// The activations' tensor map: M rows of cols bf16; boxes of 64 columns
// (128 bytes: the swizzle's span) x box_rows rows; rows past M read as zeros.
static wz_err xmap_make(const uint16_t *d_x, uint64_t cols, int M, uint32_t box_rows, CUtensorMap *map)
{
    PFN_cuTensorMapEncodeTiled_v12000 enc = tmap_encoder();
    if (!enc) return wz_fail(WZ_ERR_UNSUPPORTED, "bitmap4 wgmma GEMM: no cuTensorMapEncodeTiled in this driver");
    const cuuint64_t dims[2] = {cols, (cuuint64_t)M}, strides[1] = {cols * 2};
    const cuuint32_t box[2] = {WG_ATOM, box_rows}, estr[2] = {1, 1};
    if (enc(map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, (void *)d_x, dims, strides, box, estr, CU_TENSOR_MAP_INTERLEAVE_NONE,
            CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) != CUDA_SUCCESS)
        return wz_fail(WZ_ERR_ARG, "bitmap4 wgmma GEMM: activations not mappable (16-byte aligned rows needed)");
    return WZ_OK;
}

// Clusters of k blocks of the kernel the GEMM runs at M that the device
// holds at once (cudaOccupancyMaxActiveClusters), or -1 where it cannot
// say: what decides whether a tile's parts run as a cluster (WZ_WG_CLU).
template <int MT, int NP, int NC>
static int wg_cluster_fit(int k)
{
    using C = WgCfg<MT, NP, NC>;
    auto kern = bm4_wg_kernel<MT, NP, NC>;
    if (cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM) != cudaSuccess) return cudaGetLastError(), -1;
    cudaLaunchConfig_t cfg = {};
    cudaLaunchAttribute at[1];
    at[0].id = cudaLaunchAttributeClusterDimension;
    at[0].val.clusterDim.x = (unsigned)k; at[0].val.clusterDim.y = 1; at[0].val.clusterDim.z = 1;
    cfg.gridDim = dim3((unsigned)(k * 64)); cfg.blockDim = dim3(C::THREADS); cfg.dynamicSmemBytes = C::SMEM;
    cfg.attrs = at; cfg.numAttrs = 1;
    int n = -1;
    if (cudaOccupancyMaxActiveClusters(&n, kern, &cfg) != cudaSuccess) return cudaGetLastError(), -1;
    return n;
}
template <int MT, int NP, int NC>
static wz_err wg_launch(WgArgs w, const uint16_t *d_x, SplitKBuf &sk, cudaStream_t s)
{
    using C = WgCfg<MT, NP, NC>;
    CUtensorMap map;
    WZ_TRY(xmap_make(d_x, w.a.cols, w.M, C::BM, &map));
    static bool attr;
    if (!attr) {
        CU(cudaFuncSetAttribute(bm4_wg_kernel<MT, NP, NC>, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM), "wgmma smem");
        attr = true;
    }
    w.nk = (uint32_t)(w.a.cols / C::BK);
    w.mt = (uint32_t)((w.M + C::BM - 1) / C::BM);
    w.tiles = (uint32_t)(w.mt * (w.a.rows / WG_BN));
    const uint64_t sms = (uint64_t)wz_sm_count(), U = (uint64_t)w.tiles * w.nk;
    // Blocks, where a counter a tile fits the matrix's rows / 32 counters
    // (tiles <= rows / 32: M <= 4 BM; else one block a tile): fewer tiles
    // than SMs split K evenly, SMs / tiles parts of at least 4 stages;
    // more tiles take one block an SM over the line of stages (stream-K,
    // WZ_WG_STREAMK). v45f: stream-K everywhere cost the narrow shapes
    // 7-13% (qkv at M = 64 39.0 vs 34.8 us: a tile in 3-4 parts, each
    // block restarting its decoders' pipeline twice) and gained where the
    // tiles overflow a wave (gate_up 96.8 vs 103.0, o at M = 1024 132.6 vs
    // 172.2).
    uint64_t G = w.tiles, parts = 1;
    if (w.tiles <= (w.a.rows + 31) / 32) {
        if (w.tiles < sms && WZ_WG_STREAMK != 2) G = w.tiles * (parts = std::max<uint64_t>(1, std::min<uint64_t>(sms / w.tiles, w.nk / 4)));
        else if (WZ_WG_STREAMK) G = std::max<uint64_t>(1, std::min<uint64_t>(sms, U / 4));
    }
    if (G != w.tiles) {
        WZ_TRY(splitk_ws_reserve(sk, w.a.rows, sizeof(float) * 2 * G * C::BM * WG_BN));
        w.ws = sk.ws; w.cnt = sk.cnt;
    }
    auto kern = bm4_wg_kernel<MT, NP, NC>;
    cudaLaunchConfig_t cfg = {};
    cudaLaunchAttribute at[1];
    cfg.gridDim = dim3((unsigned)G); cfg.blockDim = dim3(C::THREADS); cfg.dynamicSmemBytes = C::SMEM; cfg.stream = s;
    w.clu = 0;
    if (WZ_WG_CLU && WZ_WG_FIN && parts >= 2 && parts <= 8) { // a tile's parts as a cluster, if all the clusters fit at once
        at[0].id = cudaLaunchAttributeClusterDimension;
        at[0].val.clusterDim.x = (unsigned)parts; at[0].val.clusterDim.y = 1; at[0].val.clusterDim.z = 1;
        cfg.attrs = at; cfg.numAttrs = 1;
        static int fit[9] = {-2, -2, -2, -2, -2, -2, -2, -2, -2}; // clusters of k that fit at once: a property of the kernel and the device (one a process, as wz_sm_count), asked once
        if (fit[parts] == -2) fit[parts] = wg_cluster_fit<MT, NP, NC>((int)parts); // -1 (the runtime cannot say): no cluster
        if (fit[parts] >= 0 && (uint64_t)fit[parts] >= w.tiles) w.clu = (uint32_t)parts;
        else cfg.attrs = NULL, cfg.numAttrs = 0;
    }
    CU(cudaLaunchKernelEx(&cfg, kern, map, w), "bm4_wg_kernel launch");
    WZ_TRACE_DUMP("wgmma", w.a.rows, w.a.cols, w.M, (unsigned)G);
    return WZ_OK;
}

extern "C" int wz_gpu_bm4_wg_cluster_fit(int M, int k)
{
    if (k < 1 || k > 8 || wz_sm_count() <= 0) return -1;
    if (M > 128) return wg_cluster_fit<2, 8, 2>(k);
    if (WZ_WG_NP16 && M <= 64) return wg_cluster_fit<1, 16, 1>(k);
    return wg_cluster_fit<1, 8, 2>(k);
}

wz_err bm4_wg_launch(const BmArgs &a, const uint16_t *d_x, int M, uint16_t *d_y, SplitKBuf &sk, cudaStream_t s)
{
    if (!bm4_wg_fits(a, M)) return wz_fail(WZ_ERR_ARG, "bitmap4 wgmma GEMM: M=%d, %llux%llu not supported", M, (unsigned long long)a.rows,
                                          (unsigned long long)a.cols);
    if ((uintptr_t)d_x % 16) return wz_fail(WZ_ERR_ARG, "bitmap4 wgmma GEMM: activations not 16-byte aligned");
    WgArgs w = {};
    w.a = a; w.y = d_y; w.M = M;
    // 256 tokens a block past 128 (half the decodes a product); at M <= 64
    // twice the decoders (two k-blocks more a stage: cols % 128 == 0).
    if (M > 128) return wg_launch<2, 8, 2>(w, d_x, sk, s);
    if (WZ_WG_NP16 && M <= 64 && a.cols % 128 == 0) return wg_launch<1, 16, 1>(w, d_x, sk, s);
    return wg_launch<1, 8, 2>(w, d_x, sk, s);
}
