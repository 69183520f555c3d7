// gpu_common.cuh — helpers shared by the kernel files: CUDA error mapping
// to wz_err, the fp32 -> bf16 epilogue, SM count.
#pragma once
#include <cuda_runtime.h>
#include <cuda_bf16.h>
extern "C" {
#include "common/error.h"
}

static inline wz_err wz_cuda_fail(cudaError_t e, const char *what)
{
    return wz_fail(WZ_ERR_IO, "CUDA %s: %s", what, cudaGetErrorString(e));
}
#define CU(x, what) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) return wz_cuda_fail(e_, what); } while (0)

// A blob parsed on the host goes to the device whole: d gets len bytes and
// `pad` zero bytes after them (kernels whose clamped reads may end there).
static inline cudaError_t wz_gpu_blob_upload(const uint8_t *blob, size_t len, size_t pad, uint8_t **d)
{
    cudaError_t e = cudaMalloc(d, len + pad);
    if (e == cudaSuccess && pad) e = cudaMemset(*d + len, 0, pad);
    if (e == cudaSuccess) e = cudaMemcpy(*d, blob, len, cudaMemcpyHostToDevice);
    return e;
}
// Where host pointer p into blob lies in its device copy d_blob: the parsed
// view's parts, rebased for the kernels.
template <class T>
static inline const T *wz_dev_at(const uint8_t *d_blob, const uint8_t *blob, const T *p)
{
    return (const T *)(d_blob + ((const uint8_t *)p - blob));
}

static inline int wz_sm_count(void)
{
    static int sms = 0;
    if (!sms) { int dev = 0; cudaGetDevice(&dev); cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev); if (!sms) sms = 1; }
    return sms;
}

// Shared memory a block may opt in to (227 KB on H100): kernels whose
// staging grows with the tile fall back to a smaller form beyond it.
static inline size_t wz_smem_optin(void)
{
    static int b = 0;
    if (!b) { int dev = 0; cudaGetDevice(&dev); cudaDeviceGetAttribute(&b, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev); if (!b) b = 48 * 1024; }
    return (size_t)b;
}

// Split-K sums for the tensor-core kernels (v35). Warps add partial sums
// for a 32-row group into acc by atomics (mma_flush). acc (M x rows fp32)
// belongs to the matrix object and is zero between calls (calls on one
// matrix must not overlap: one stream), so no memset is launched: either
// the conversion kernel re-zeroes it as it writes Y (wz_launch_f32_to_bf16_
// zero), or — cnt set — the epilogue runs in the kernel: each warp counts
// itself in on the group's counter after its atomics, and the warp that
// completes the group (`parts` contributions) reads the sums back from L2,
// writes Y in bf16 (RNE, as wz_f32_to_bf16_kernel) and leaves acc and the
// counter at zero: one launch per op instead of three. Its fence (a warp
// waits for its own atomics) costs more than the two launches except
// where a warp flushes rarely and holds few loads in flight: bitmap4 at
// M <= 8 (kernels/NOTES.md v35).
#ifndef WZ_SPLITK_EPI
#define WZ_SPLITK_EPI 1 // 0: memset + kernel + conversion kernel, as before v35 (the A/B)
#endif
struct SplitK {
    float *acc;
    unsigned *cnt;  // NULL: Y is written by the conversion kernel after the launch
    uint16_t *y;    // M x rows bf16, row-major by m (as acc)
    unsigned parts; // contributions per 32-row group
};
// The split-K count (v48 A/B, WZ_FENCE_AR; measured within noise, so
// off): 0 — every thread fences
// (__threadfence, which is MEMBAR.SC.GPU in the SASS) after its sums and
// before its reads, and one thread counts with a plain atomicAdd; 1 — the
// threads meet at a barrier and the one that counts uses an acq_rel atomic
// at gpu scope: its release covers the writes the barrier made it see,
// its acquire the reads its block makes after the next barrier.
#ifndef WZ_FENCE_AR
#define WZ_FENCE_AR 0
#endif
__device__ __forceinline__ void wz_fence_sum() { if (!WZ_FENCE_AR) __threadfence(); }
__device__ __forceinline__ unsigned wz_count(unsigned *p)
{
    if (!WZ_FENCE_AR) return atomicAdd(p, 1u);
    unsigned old;
    asm volatile("atom.acq_rel.gpu.global.add.u32 %0, [%1], 1;" : "=r"(old) : "l"(p) : "memory");
    return old;
}
// TM4: the sums are token-minor, 4 to a row (acc[4 row + m], M <= 4: the
// M <= 4 kernel's layout, bitmap.cu WZ_BM4_TM4), read and re-zeroed as one
// float4 a row.
template <bool TM4 = false>
__device__ __forceinline__ void splitk_finish(const SplitK &sk, uint64_t rows, int M, uint64_t r0, int lane)
{
    if (!sk.cnt || r0 >= rows) return; // padding rows of a tile: no sums, no count (every tile skips them alike)
    wz_fence_sum(); // this warp's atomics land before its count
    if (WZ_FENCE_AR) __syncwarp();
    unsigned last = 0;
    if (lane == 0) last = wz_count(sk.cnt + r0 / 32) == sk.parts - 1;
    if (!__shfl_sync(0xffffffffu, last, 0)) return;
    wz_fence_sum(); // and every other contribution before the reads
    if (WZ_FENCE_AR) __syncwarp();
    const uint64_t row = r0 + lane;
    if (TM4 && row < rows) {
        float4 *p = (float4 *)sk.acc + row;
        const float4 v = __ldcg(p);
        const float f[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int m = 0; m < 4; m++) // constant indices: f stays in registers
            if (m < M) {
                __nv_bfloat16 b = __float2bfloat16_rn(f[m]);
                sk.y[(uint64_t)m * rows + row] = *(uint16_t *)&b;
            }
        __stcg(p, make_float4(0.f, 0.f, 0.f, 0.f));
    } else if (row < rows)
        for (int m = 0; m < M; m++) {
            float *p = sk.acc + (uint64_t)m * rows + row;
            __nv_bfloat16 b = __float2bfloat16_rn(__ldcg(p));
            sk.y[(uint64_t)m * rows + row] = *(uint16_t *)&b;
            __stcg(p, 0.f);
        }
    if (lane == 0) atomicExch(sk.cnt + r0 / 32, 0u);
}
// The matrix object's split-K scratch: grown to M x rows on first use
// (zeroed; the kernels keep it zero), reset after a flagged error.
struct SplitKBuf {
    float *acc;
    unsigned *cnt;
    int m; // rows of acc allocated for
    float *ws;       // the wgmma GEMM's partial tiles (bm4_wgmma.cu), ws_bytes of them
    size_t ws_bytes;
};
// The matrix's counters, (rows + 31) / 32 of them, allocated once and
// zeroed (the kernels keep them zero).
static inline cudaError_t splitk_counters(SplitKBuf &b, uint64_t rows)
{
    if (b.cnt) return cudaSuccess;
    const size_t nc = sizeof(unsigned) * ((rows + 31) / 32);
    cudaError_t e = cudaMalloc(&b.cnt, nc);
    if (e == cudaSuccess) e = cudaMemset(b.cnt, 0, nc);
    if (e != cudaSuccess) { cudaFree(b.cnt); b.cnt = NULL; }
    return e;
}
// The counters and at least `bytes` of partial-tile workspace (written
// before it is read: not zeroed).
static inline wz_err splitk_ws_reserve(SplitKBuf &b, uint64_t rows, size_t bytes)
{
    cudaError_t e = splitk_counters(b, rows);
    if (e != cudaSuccess) return wz_cuda_fail(e, "split-K counters");
    if (b.ws_bytes >= bytes) return WZ_OK;
    cudaFree(b.ws);
    b.ws = NULL; b.ws_bytes = 0;
    if ((e = cudaMalloc(&b.ws, bytes)) != cudaSuccess) return wz_cuda_fail(e, "wgmma partial tiles");
    b.ws_bytes = bytes;
    return WZ_OK;
}
static inline wz_err splitk_reserve(SplitKBuf &b, uint64_t rows, int M)
{
    if (b.m >= M) return WZ_OK;
    cudaFree(b.acc); cudaFree(b.cnt);
    b.acc = NULL; b.cnt = NULL; b.m = 0;
    const size_t na = sizeof(float) * rows * (size_t)M;
    cudaError_t e = cudaMalloc(&b.acc, na);
    if (e == cudaSuccess) e = cudaMemset(b.acc, 0, na);
    if (e == cudaSuccess) e = splitk_counters(b, rows);
    if (e != cudaSuccess) return wz_cuda_fail(e, "split-K scratch");
    b.m = M;
    return WZ_OK;
}
static inline void splitk_reset(SplitKBuf &b, uint64_t rows)
{
    if (b.m) { cudaMemset(b.acc, 0, sizeof(float) * rows * (size_t)b.m); cudaMemset(b.cnt, 0, sizeof(unsigned) * ((rows + 31) / 32)); }
}
static inline void splitk_free(SplitKBuf &b)
{
    cudaFree(b.acc); cudaFree(b.cnt); cudaFree(b.ws);
    b.acc = NULL; b.cnt = NULL; b.m = 0; b.ws = NULL; b.ws_bytes = 0;
}
// Before a tensor-core launch: the matrix's zero-kept sums (and its
// counters where the epilogue runs in the kernel), or, built with
// WZ_SPLITK_EPI=0, the caller's d_acc after a memset (the pre-v35 path).
static inline wz_err splitk_begin(SplitKBuf &b, SplitK &sk, uint64_t rows, int M, bool in_kernel, float *d_acc, uint16_t *d_y, cudaStream_t s)
{
    sk.y = d_y;
    sk.cnt = NULL;
    if (!WZ_SPLITK_EPI) {
        CU(cudaMemsetAsync(d_acc, 0, sizeof(float) * (size_t)M * rows, s), "memset");
        sk.acc = d_acc;
        return WZ_OK;
    }
    WZ_TRY(splitk_reserve(b, rows, M));
    sk.acc = b.acc;
    if (in_kernel) sk.cnt = b.cnt;
    return WZ_OK;
}
// After it: Y by the conversion kernel unless the kernel wrote it.
wz_err wz_launch_f32_to_bf16(const float *in, uint16_t *out, uint64_t n, cudaStream_t s);
wz_err wz_launch_f32_to_bf16_zero(float *in, uint16_t *out, uint64_t n, cudaStream_t s);
// Token-minor sums (W to a row, WZ_BM4_TM16) to Y, re-zeroed.
wz_err wz_launch_tm_to_bf16_zero(float *acc, uint16_t *y, uint64_t rows, int M, int W, cudaStream_t s);
static inline wz_err splitk_end_tm(const SplitK &sk, uint64_t rows, int M, int W, cudaStream_t s)
{
    return sk.cnt ? WZ_OK : wz_launch_tm_to_bf16_zero(sk.acc, sk.y, rows, M, W, s);
}
static inline wz_err splitk_end(const SplitK &sk, uint64_t rows, int M, cudaStream_t s)
{
    if (sk.cnt) return WZ_OK;
    return WZ_SPLITK_EPI ? wz_launch_f32_to_bf16_zero(sk.acc, sk.y, (uint64_t)M * rows, s) : wz_launch_f32_to_bf16(sk.acc, sk.y, (uint64_t)M * rows, s);
}

// Y (bf16) = acc (fp32), round-to-nearest-even: the split-K epilogue as a
// kernel of its own; _zero also leaves acc at zero (SplitKBuf's invariant).
__global__ void wz_f32_to_bf16_kernel(float *in, uint16_t *out, uint64_t n, int zero);
// Sync, read a kernel's error flag, re-arm it; WZ_ERR_CORRUPT with `what` if set.
wz_err wz_gpu_read_flag(int *d_err, const char *what);

// ---- WZ_TRACE: where a kernel's time goes (a diagnostic, never a default;
// kernels/NOTES.md v48). A block stamps the global timer (ns, common to
// all SMs) at up to ten events: 0 entry (thread 0), 1 first stage ready,
// 2 main loop done, 3-6 epilogue steps (the kernel's own meanings; 0 =
// not stamped), 7 the last warp's exit (atomicMax), 8-9 kernel-own
// (bm4_wgmma: 8 the producers' exit). wz_trace_dump, called by the launch
// in the same file (the stamps are per translation unit), syncs, prints
// each event's count and min / median / max from the earliest entry, and
// re-zeroes. ----
#ifndef WZ_TRACE
#define WZ_TRACE 0
#endif
#if WZ_TRACE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>
#include <algorithm>
#define WZ_TRACE_BLOCKS 4096
static __device__ unsigned long long wz_trace_t[WZ_TRACE_BLOCKS][10];
__device__ __forceinline__ unsigned long long wz_gtime()
{
    unsigned long long t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}
__device__ __forceinline__ void wz_trace_set(int e) { if (blockIdx.x < WZ_TRACE_BLOCKS) wz_trace_t[blockIdx.x][e] = wz_gtime(); }
__device__ __forceinline__ void wz_trace_max(int e) { if (blockIdx.x < WZ_TRACE_BLOCKS) atomicMax(&wz_trace_t[blockIdx.x][e], wz_gtime()); }
static void wz_trace_dump(const char *what, unsigned long long rows, unsigned long long cols, int M, unsigned grid)
{
    static unsigned long long h[WZ_TRACE_BLOCKS][10];
    if (cudaDeviceSynchronize() != cudaSuccess || cudaMemcpyFromSymbol(h, wz_trace_t, sizeof h) != cudaSuccess) return;
    const unsigned n = std::min(grid, (unsigned)WZ_TRACE_BLOCKS);
    unsigned long long t0 = ~0ull;
    for (unsigned b = 0; b < n; b++) if (h[b][0]) t0 = std::min(t0, h[b][0]);
    fprintf(stderr, "trace %s %llux%llu M=%d grid=%u:", what, rows, cols, M, grid);
    for (int e = 0; e < 10; e++) {
        std::vector<double> v;
        for (unsigned b = 0; b < n; b++) if (h[b][e] && h[b][e] >= t0) v.push_back((h[b][e] - t0) * 1e-3);
        if (v.empty()) continue;
        std::sort(v.begin(), v.end());
        fprintf(stderr, " e%d(%zu) %.2f/%.2f/%.2f", e, v.size(), v[0], v[v.size() / 2], v.back());
    }
    fprintf(stderr, " us\n");
    memset(h, 0, sizeof h);
    cudaMemcpyToSymbol(wz_trace_t, h, sizeof h);
}
#define WZ_TRACE_SET(e) wz_trace_set(e)
#define WZ_TRACE_MAX(e) wz_trace_max(e)
#define WZ_TRACE_DUMP(what, rows, cols, M, grid) wz_trace_dump(what, rows, cols, M, grid)
#else
#define WZ_TRACE_SET(e) ((void)0)
#define WZ_TRACE_MAX(e) ((void)0)
#define WZ_TRACE_DUMP(what, rows, cols, M, grid) ((void)0)
#endif
