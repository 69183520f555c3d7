// wg_layout.cuh — where bm4_wgmma's fp32 sums sit: the wgmma accumulator
// layout (m64n128k16, fp32 D), the order the kernel's endings keep the
// sums in (partial tiles, the ring, v48), and Y's 16-byte pieces in that
// order. __host__ __device__ so tests/gpu_test.cu checks the maps on the
// CPU (where no GPU is): a wrong index here is a wrong Y, not a crash.
#pragma once
#include <stdint.h>

// Consumer thread ct (0 .. 128 NC - 1: warpgroup ct / 128, its warp
// ct % 128 / 32, lane ct % 32) holds accumulator e (0..63) of its m64
// token tile m (0 .. MT - 1) at this token row of the BM x 128 tile
// (BM = 64 MT NC) and this column (0..127) — PTX's m64nNk16 fp32 D layout.
__host__ __device__ inline uint32_t wg_acc_row(uint32_t MT, uint32_t ct, uint32_t m, uint32_t e)
{
    return (ct / 128 * MT + m) * 64 + 16 * (ct % 128 / 32) + ct % 32 / 4 + 8 * ((e >> 1) & 1);
}
__host__ __device__ inline uint32_t wg_acc_col(uint32_t ct, uint32_t e) { return 8 * (e >> 2) + 2 * (ct % 4) + (e & 1); }
// The sums' order: thread ct's d[m][e] is float (m 64 + e) 128 NC + ct, so
// a warp's store of one accumulator is 128 contiguous bytes.
template <int NC> __host__ __device__ inline int wg_sum_index(int ct, int m, int e) { return (m * 64 + e) * 128 * NC + ct; }
// Columns 8 q .. 8 q + 7 of tile row r (Y's 16-byte pieces) are d[m][e]
// and d[m][e + 1] (e = 4 q + 2 h, h = row r's eighth-row bit) of 4
// consecutive consumer threads: two float4s of the sums' order, at these
// byte offsets (a holds the even columns, b the odd).
template <int MT, int NC> __host__ __device__ inline void wg_piece(uint32_t r, uint32_t q, uint32_t &oa, uint32_t &ob)
{
    const uint32_t c = r / (64 * MT), m = (r / 64) % MT, rr = r % 64, e = 4 * q + 2 * ((rr >> 3) & 1);
    const uint32_t ct0 = 128 * c + 32 * (rr >> 4) + 4 * (rr & 7);
    oa = 4 * ((m * 64 + e) * 128 * NC + ct0), ob = oa + 4 * 128 * NC;
}
