// mma_rows32.cuh — the tensor-core step the fused decoders share: a warp
// holds 32 rows x 16 k of decoded bf16 weights (lane = row, 8 bf16x2
// words: columns 2i, 2i+1 in word i) and multiplies them into fp32
// accumulators for NT n-tiles of 8 activation rows (mma.sync m16n8k16).
// (Tiles in the MMA element order skip the stage: a lane's eight words are
// already its two A fragments, mma_frags32_k16.)
//
// The weights go through a 1 KB shared-memory stage (chunk h of row r at
// h ^ ((r >> 2) & 1): conflict-free for the row-wise stores and for
// ldmatrix) and come back as two A fragments (rows 0-15, 16-31) by
// ldmatrix.x4. B fragments are X[n*8 + lane/4][k + 2*(lane%4) (+8)] as bf16
// pairs, read straight from global/L1 by MmaB (callers issue them before
// decoding and use them after). v21 wrote this inside the tile-ans kernel;
// bitmap4 uses the same step since v27.
#pragma once
#include <stdint.h>

__device__ __forceinline__ void mma_bf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// B fragments walking a tile's 16-column groups with a running pointer
// (v30b: computing each group's 64-bit addresses and bounds afresh cost ~35
// instructions a group, 12% of the fused kernel's). Three registers and a
// predicate, since the decoder holds the rest: n-tiles sit 8*cols apart
// (from the kernel's constants), and a new row group steps back K columns.
// Rows >= M (padding of the last n-tile: only the last can be partial) and
// columns past the matrix read as zero. ODD: odd row stride, so pairs are
// two 16-bit loads.
template <int NT, bool ODD>
struct MmaB {
    const uint16_t *xg; // this lane's first pair of the current group, n-tile 0
    int kl;             // columns left from it (<= 0: past the matrix)
    bool last_ok;       // row 8*(NT-1) + lane/4 < M
    __device__ MmaB(const uint16_t *X, uint64_t cols, int M, uint64_t c0, uint32_t K, int lane)
    {
        xg = X + (uint64_t)(lane >> 2) * cols + c0 + 2 * (lane & 3);
        kl = (int)min(cols - c0, (uint64_t)K) - 2 * (lane & 3);
        last_ok = 8 * (NT - 1) + (lane >> 2) < M;
    }
    __device__ __forceinline__ static uint32_t pair(const uint16_t *p, int left)
    {
        if (!ODD) return left > 0 ? __ldg((const uint32_t *)p) : 0u;
        uint32_t lo = left > 0 ? (uint32_t)__ldg(p) : 0u, hi = left > 1 ? (uint32_t)__ldg(p + 1) : 0u;
        return lo | hi << 16;
    }
    __device__ __forceinline__ void load(uint32_t (&b)[NT][2], uint64_t cols) const
    {
#pragma unroll
        for (int n = 0; n < NT; n++) {
            const uint16_t *p = xg + (uint64_t)n * 8 * cols;
            const int left = n < NT - 1 || last_ok ? kl : 0;
            b[n][0] = pair(p, left);
            b[n][1] = pair(p + 8, left - 8);
        }
    }
    // After a group: the next group's columns; a new row group starts K
    // columns back (its 16-column groups walked exactly K).
    __device__ __forceinline__ void next(bool new_row_group, uint32_t K)
    {
        const int d = new_row_group ? 16 - (int)K : 16;
        xg += d;
        kl -= d;
    }
};

template <int NT>
__device__ __forceinline__ void mma_zero(float (&c)[2][NT][4])
{
#pragma unroll
    for (int rb = 0; rb < 2; rb++)
#pragma unroll
        for (int n = 0; n < NT; n++) c[rb][n][0] = c[rb][n][1] = c[rb][n][2] = c[rb][n][3] = 0.f;
}

// st: this warp's 1 KB stage (64 uint4), st_s its shared address.
template <int NT>
__device__ __forceinline__ void mma_rows32_k16(uint4 *st, uint32_t st_s, int lane, const uint32_t (&v)[8], const uint32_t (&b)[NT][2],
                                               float (&c)[2][NT][4])
{
    int sw = (lane >> 2) & 1;
    st[lane * 2 + sw] = make_uint4(v[0], v[1], v[2], v[3]);
    st[lane * 2 + (sw ^ 1)] = make_uint4(v[4], v[5], v[6], v[7]);
    __syncwarp();
    uint32_t A[2][4];
#pragma unroll
    for (int rb = 0; rb < 2; rb++) {
        int j = lane >> 3, r = rb * 16 + (j & 1) * 8 + (lane & 7), hh = j >> 1;
        uint32_t addr = st_s + 16 * (r * 2 + (hh ^ ((r >> 2) & 1)));
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                     : "=r"(A[rb][0]), "=r"(A[rb][1]), "=r"(A[rb][2]), "=r"(A[rb][3]) : "r"(addr));
    }
    __syncwarp();
#pragma unroll
    for (int rb = 0; rb < 2; rb++)
#pragma unroll
        for (int n = 0; n < NT; n++) mma_bf16(c[rb][n], A[rb], b[n][0], b[n][1]);
}

// The MMA element order (codecs.h): v[4 rb .. 4 rb + 3] is the A fragment of
// rows 16 rb .. 16 rb + 15 as decoded, so no stage, no ldmatrix.
template <int NT>
__device__ __forceinline__ void mma_frags32_k16(const uint32_t (&v)[8], const uint32_t (&b)[NT][2], float (&c)[2][NT][4])
{
#pragma unroll
    for (int rb = 0; rb < 2; rb++) {
        const uint32_t A[4] = {v[4 * rb], v[4 * rb + 1], v[4 * rb + 2], v[4 * rb + 3]};
#pragma unroll
        for (int n = 0; n < NT; n++) mma_bf16(c[rb][n], A, b[n][0], b[n][1]);
    }
}

// Split-K flush of one 16-row m-tile: add the accumulators of rows r0 ..
// r0+15 to acc (M x rows, fp32; columns m >= M of the last n-tile are
// padding) and zero them.
template <int NT>
__device__ __forceinline__ void mma_flush16(float (&c)[NT][4], float *acc, uint64_t rows, int M, uint64_t r0, int lane)
{
    const uint64_t row = r0 + lane / 4;
#pragma unroll
    for (int n = 0; n < NT; n++) {
        const int m = n * 8 + 2 * (lane & 3);
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const uint64_t rw = row + 8 * h;
            if (rw < rows && m < M) atomicAdd(acc + (uint64_t)m * rows + rw, c[n][2 * h]);
            if (rw < rows && m + 1 < M) atomicAdd(acc + (uint64_t)(m + 1) * rows + rw, c[n][2 * h + 1]);
        }
        c[n][0] = c[n][1] = c[n][2] = c[n][3] = 0.f;
    }
}

// NT n-tiles into token-minor sums, W to a row (acc[W row + m]; W = 8 NT,
// or 4 for one n-tile of at most 4 tokens): lanes 4q and 4q + 2 take their
// odd neighbours' two tokens and add tokens 8n .. 8n + 3 and 8n + 4 ..
// 8n + 7 of each of their rows with one vector atomic (REDG.ADD.F32x4),
// the latter only where W holds them: 4 NT atomics a lane at most, where
// the token-major form makes 32 M a unit (bitmap.cu's WZ_BM4_TM4, W = 4,
// and WZ_BM4_TM16, W = 16; tokens past M are zero: B's padding rows).
template <int NT, int W = 8 * NT>
__device__ __forceinline__ void mma_flush_tm(float (&c)[2][NT][4], float *acc, uint64_t rows, uint64_t r0, int lane)
{
    static_assert(W == 8 * NT || (NT == 1 && W == 4), "token-minor width");
#pragma unroll
    for (int hh = 0; hh < 2; hh++)
#pragma unroll
        for (int n = 0; n < NT; n++) {
            float p[4];
#pragma unroll
            for (int i = 0; i < 4; i++) p[i] = __shfl_down_sync(0xffffffffu, c[hh][n][i], 1);
            const uint64_t row = r0 + 16 * hh + lane / 4;
            const int t = 8 * n + 2 * (lane & 3); // 8n or 8n + 4 in the lanes that add
            if ((lane & 1) == 0 && t < W) {
                if (row < rows) atomicAdd((float4 *)(acc + row * W + t), make_float4(c[hh][n][0], c[hh][n][1], p[0], p[1]));
                if (row + 8 < rows) atomicAdd((float4 *)(acc + (row + 8) * W + t), make_float4(c[hh][n][2], c[hh][n][3], p[2], p[3]));
            }
            c[hh][n][0] = c[hh][n][1] = c[hh][n][2] = c[hh][n][3] = 0.f;
        }
}

// The same for rows r0 .. r0+31 (two m-tiles).
template <int NT>
__device__ __forceinline__ void mma_flush(float (&c)[2][NT][4], float *acc, uint64_t rows, int M, uint64_t r0, int lane)
{
    mma_flush16<NT>(c[0], acc, rows, M, r0, lane);
    mma_flush16<NT>(c[1], acc, rows, M, r0 + 16, lane);
}

// ---- MMA-order groups back to row-major memory (the standalone decoders
// of tile-ans and bitmap4 in the MMA element order) ----
//
// A 2 KB stage per warp holds 32 rows x 32 columns as 128 16-byte chunks,
// chunk c of row r in slot r * 4 + (c ^ ((r >> 1) & 3)), so that both the
// writes below and flush_stage32's reads use all 32 banks.
//
// The MMA element order: a lane's eight words are two A fragments (rows
// 0-15 and 16-31 of a 32 x 16 group), which stmatrix writes back as rows —
// the inverse of ldmatrix — into the stage (group `half` of the 32 columns:
// chunks 2 half, 2 half + 1). Lane l addresses row (l & 7) of 8x8 matrix
// l >> 3: matrices 0-3 = rows 0-7 / 8-15 x columns 0-7 / 8-15 in fragment
// register order; 8 rows x 16 B per matrix land on all 32 banks.
__device__ __forceinline__ void stage_frag_group(uint32_t st_s, int lane, uint32_t half, const uint32_t (&v)[8])
{
#pragma unroll
    for (int rb = 0; rb < 2; rb++) {
        const int j = lane >> 3, r = rb * 16 + (j & 1) * 8 + (lane & 7), ch = 2 * (int)half + (j >> 1);
        const uint32_t addr = st_s + 16 * (r * 4 + (ch ^ ((r >> 1) & 3)));
        asm volatile("stmatrix.sync.aligned.m8n8.x4.shared.b16 [%0], {%1, %2, %3, %4};" ::"r"(addr), "r"(v[4 * rb]), "r"(v[4 * rb + 1]),
                     "r"(v[4 * rb + 2]), "r"(v[4 * rb + 3]));
    }
}

// Edge groups: element by element (codecs.h: pair i = 4 rb + a of a lane
// holds row 16 rb + l/4 + 8 (a & 1), columns 2 (l % 4) + 8 (a >> 1), +1).
__device__ __forceinline__ void store_frag_group(uint16_t *out, uint64_t rows, uint64_t cols, uint64_t row0, uint64_t col0, int lane,
                                                 const uint32_t (&v)[8])
{
#pragma unroll
    for (int i = 0; i < 8; i++) {
        const uint64_t row = row0 + (i >> 2) * 16 + (lane >> 2) + 8 * (i & 1), col = col0 + 2 * (lane & 3) + 8 * ((i >> 1) & 1);
        if (row >= rows) continue;
        if (col < cols) out[row * cols + col] = (uint16_t)v[i];
        if (col + 1 < cols) out[row * cols + col + 1] = (uint16_t)(v[i] >> 16);
    }
}

// The staged 32 rows x 32 columns out (col + 32 <= cols, 16-byte aligned
// rows): 8 rows x 64 B per store.
__device__ __forceinline__ void flush_stage32(uint16_t *out, uint64_t rows, uint64_t cols, const uint4 *st, int lane, uint64_t row0, uint64_t col)
{
    __syncwarp();
#pragma unroll
    for (int t = 0; t < 4; t++) {
        int rl = t * 8 + lane / 4, ch = lane & 3;
        uint4 val = st[rl * 4 + (ch ^ ((rl >> 1) & 3))];
        uint64_t row = row0 + rl;
        if (row < rows) *(uint4 *)(out + row * cols + col + ch * 8) = val;
    }
    __syncwarp();
}

// ---- Activations staged in shared memory (v38) ----
//
// The warps of a block that work on the same K range share one copy of its
// activations: tokens 0 .. ntok - 1 (rows >= M and columns past the matrix
// zero-filled), row t at 16-byte unit t * rs. With rs odd, the 8 rows of an
// ldmatrix 8x8 matrix fall on distinct 16-byte bank groups. Needs 16-byte
// aligned rows: cols % 8 == 0 and an aligned X. The caller commits.
__device__ __forceinline__ void xs_stage(uint32_t dst_s, uint32_t rs, const uint16_t *X, int M, uint64_t cols, uint64_t k0, uint32_t ncols,
                                         uint32_t ntok)
{
    const uint32_t pieces = ncols / 8;
    for (uint32_t i = threadIdx.x; i < ntok * pieces; i += blockDim.x) {
        const uint32_t m = i / pieces, pc = i % pieces;
        const uint64_t col = k0 + 8 * pc;
        const bool in = (int)m < M && col < cols;
        const uint32_t bytes = in ? (uint32_t)min((uint64_t)16, 2 * (cols - col)) : 0u; // 0: zero-fill
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst_s + 16 * (m * rs + pc)), "l"(in ? X + m * cols + col : X), "r"(bytes));
    }
}

// This lane's ldmatrix row address in a staged buffer at column 0: matrix
// j = lane / 8 of an x4 covers token rows 8 (j / 2) .. +7 and columns
// 8 (j % 2) .. +7 of a 16-column group, i.e. b[n][0], b[n][1], b[n+1][0],
// b[n+1][1] (the B fragment layout, as MmaB loads it from global).
__device__ __forceinline__ uint32_t xs_lane_addr(uint32_t buf_s, uint32_t rs, int lane)
{
    return buf_s + 16 * ((8 * ((lane >> 3) >> 1) + (lane & 7)) * rs + ((lane >> 3) & 1));
}

// B fragments of NT n-tiles for the 16 columns starting at column `col`
// (a multiple of 16) of the staged buffer.
template <int NT>
__device__ __forceinline__ void xs_load_b(uint32_t lane_s, uint32_t rs, uint32_t col, uint32_t (&b)[NT][2])
{
#pragma unroll
    for (int n = 0; n < NT; n += 2) {
        const uint32_t ad = lane_s + 16 * (8 * n * rs + col / 8);
        if (n + 1 < NT)
            asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                         : "=r"(b[n][0]), "=r"(b[n][1]), "=r"(b[n + 1][0]), "=r"(b[n + 1][1]) : "r"(ad));
        else
            asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];" : "=r"(b[n][0]), "=r"(b[n][1]) : "r"(ad));
    }
}
