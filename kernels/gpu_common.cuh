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

static inline int wz_sm_count(void)
{
    static int sms = 0;
    if (!sms) { int dev = 0; cudaGetDevice(&dev); cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev); if (!sms) sms = 1; }
    return sms;
}

// Y (bf16) = acc (fp32), round-to-nearest-even: the split-K epilogue.
__global__ void wz_f32_to_bf16_kernel(const float *in, uint16_t *out, uint64_t n);
wz_err wz_launch_f32_to_bf16(const float *in, uint16_t *out, uint64_t n, cudaStream_t s);
// Sync, read a kernel's error flag, re-arm it; WZ_ERR_CORRUPT with `what` if set.
wz_err wz_gpu_read_flag(int *d_err, const char *what);
