// pipeline.cu — decode + cuBLAS with the decode hidden behind the GEMM
// (the "pipelined" path; contract in kernels.h, wz_gpu_pipe_gemm).
//
// Past ~1024 tokens a layer's GEMM is compute-bound (cuBLAS: ~760 TFLOP/s
// on H100) and the fused kernels lose to it; decode + cuBLAS then costs the
// GEMM plus a whole decode (~380 us a Qwen2.5-14B layer at ~1.3 TB/s of
// bf16 out). But the decode needs memory bandwidth and few instructions,
// the GEMM tensor cores and little bandwidth: they can share the device.
// So W's rows go in slices; while cuBLAS multiplies slice j on most SMs, a
// few SMs decode slice j + 1 into the other of two buffers. What is left of
// the decode is the first slice's (on the whole device) and what the GEMM
// loses to the decoder's SMs.
//
// Two streams: the caller's (the GEMMs, in order) and the pipe's decode
// stream (higher priority, so its blocks go first onto SMs the GEMM frees).
// Events order them: decode j waits for the GEMM of slice j - 2 (its
// buffer), GEMM j for decode j. cublasSetSmCountTarget asks cuBLAS for
// kernels sized to the SMs the decoder leaves (a heuristics hint: cuBLAS
// picks kernels for that many SMs; the scheduler does the rest).
//
// Measured on H100 (kernels/NOTES.md v50): slower than plain decode +
// cuBLAS on the Qwen2.5-14B shapes at M = 256..4096 but gate_up at 4096
// (-2..-6%, within cuBLAS's own run-to-run spread there). A confined SM
// decodes ~10 G weights/s, as counted, but cuBLAS on a quarter of the rows
// and fewer SMs loses more waves than the decode it hides (+23% on qkv at
// 4096). Kept as a measured path: gpu_bench sweeps it in every full run.
#include <cuda_runtime.h>
#include <cublas_v2.h>
#include <stdint.h>
#include <stdlib.h>
extern "C" {
#include "kernels/kernels.h"
}
#include "kernels/gpu_common.cuh"

struct wz_gpu_pipe {
    cublasHandle_t h;
    cudaStream_t dec;        // the decode stream
    cudaEvent_t start, done_dec[2], done_gemm[2];
    uint16_t *buf[2];
    size_t buf_elems;        // elements of each buffer
};

#define CB(x, what) do { cublasStatus_t s_ = (x); if (s_ != CUBLAS_STATUS_SUCCESS) return wz_fail(WZ_ERR_IO, "cuBLAS %s: %s", what, cublasGetStatusString(s_)); } while (0)

extern "C" wz_err wz_gpu_pipe_create(wz_gpu_pipe **out)
{
    *out = NULL;
    wz_gpu_pipe *p = (wz_gpu_pipe *)calloc(1, sizeof *p);
    if (!p) return wz_fail(WZ_ERR_NOMEM, "pipe");
    int lo = 0, hi = 0;
    cudaError_t e = cudaDeviceGetStreamPriorityRange(&lo, &hi);
    if (e == cudaSuccess) e = cudaStreamCreateWithPriority(&p->dec, cudaStreamNonBlocking, hi);
    if (e == cudaSuccess) e = cudaEventCreateWithFlags(&p->start, cudaEventDisableTiming);
    for (int i = 0; i < 2 && e == cudaSuccess; i++) {
        e = cudaEventCreateWithFlags(&p->done_dec[i], cudaEventDisableTiming);
        if (e == cudaSuccess) e = cudaEventCreateWithFlags(&p->done_gemm[i], cudaEventDisableTiming);
    }
    if (e != cudaSuccess) { wz_gpu_pipe_free(p); return wz_cuda_fail(e, "pipe streams and events"); }
    if (cublasCreate(&p->h) != CUBLAS_STATUS_SUCCESS) { p->h = NULL; wz_gpu_pipe_free(p); return wz_fail(WZ_ERR_IO, "cuBLAS: cublasCreate failed"); }
    *out = p;
    return WZ_OK;
}

extern "C" void wz_gpu_pipe_free(wz_gpu_pipe *p)
{
    if (!p) return;
    if (p->h) cublasDestroy(p->h);
    for (int i = 0; i < 2; i++) {
        cudaFree(p->buf[i]);
        if (p->done_dec[i]) cudaEventDestroy(p->done_dec[i]);
        if (p->done_gemm[i]) cudaEventDestroy(p->done_gemm[i]);
    }
    if (p->start) cudaEventDestroy(p->start);
    if (p->dec) cudaStreamDestroy(p->dec);
    free(p);
}

extern "C" size_t wz_gpu_pipe_buffer_bytes(const wz_gpu_pipe *p) { return 2 * p->buf_elems * sizeof(uint16_t); }

// The buffers grown to n elements each (after the work queued on them).
static wz_err pipe_reserve(wz_gpu_pipe *p, size_t n)
{
    if (n <= p->buf_elems) return WZ_OK;
    CU(cudaDeviceSynchronize(), "pipe: sync before growing its buffers");
    for (int i = 0; i < 2; i++) {
        cudaFree(p->buf[i]);
        p->buf[i] = NULL;
    }
    p->buf_elems = 0;
    for (int i = 0; i < 2; i++) CU(cudaMalloc(&p->buf[i], n * sizeof(uint16_t)), "pipe buffers");
    p->buf_elems = n;
    return WZ_OK;
}

extern "C" wz_err wz_gpu_pipe_gemm(wz_gpu_pipe *p, const wz_gpu_rows_src *src, const uint16_t *d_x, int M, uint16_t *d_y, int slices, int dec_sms,
                                   void *stream)
{
    if (!src->bf16) return wz_fail(WZ_ERR_UNSUPPORTED, "pipelined GEMM: bf16 weights only");
    if (M < 1 || slices < 1 || dec_sms < 0 || src->align == 0 || src->rows == 0 || src->cols > INT32_MAX || src->rows > INT32_MAX)
        return wz_fail(WZ_ERR_ARG, "pipelined GEMM: M=%d slices=%d dec_sms=%d rows=%llu", M, slices, dec_sms, (unsigned long long)src->rows);
    const int sms = wz_sm_count();
    if (dec_sms >= sms) return wz_fail(WZ_ERR_ARG, "pipelined GEMM: %d decoder SMs of %d leave the GEMM none", dec_sms, sms);
    // Slices of whole tiles, as equal as the alignment allows.
    const uint64_t units = (src->rows + src->align - 1) / src->align;
    if ((uint64_t)slices > units) slices = (int)units;
    const uint64_t per = (units + slices - 1) / slices;
    slices = (int)((units + per - 1) / per);
    WZ_TRY(pipe_reserve(p, per * src->align * src->cols));
    cudaStream_t s = (cudaStream_t)stream;
    CB(cublasSetStream(p->h, s), "set stream");
    CU(cudaEventRecord(p->start, s), "pipe start event"); // the decodes start after the caller's earlier work (buffer reuse)
    CU(cudaStreamWaitEvent(p->dec, p->start, 0), "pipe wait");
    const float one = 1.f, zero = 0.f;
    for (int j = 0; j < slices; j++) {
        const uint64_t r0 = (uint64_t)j * per * src->align, r1 = std::min<uint64_t>(r0 + per * src->align, src->rows);
        const int b = j & 1;
        if (j >= 2) CU(cudaStreamWaitEvent(p->dec, p->done_gemm[b], 0), "pipe wait"); // slice j - 2's GEMM has read this buffer
        // The first slice has nothing to hide behind: the whole device decodes it.
        WZ_TRY(src->decode_rows(src->g, r0, r1, p->buf[b], j == 0 ? 0 : dec_sms, p->dec));
        CU(cudaEventRecord(p->done_dec[b], p->dec), "pipe event");
        CU(cudaStreamWaitEvent(s, p->done_dec[b], 0), "pipe wait");
        // While a later slice decodes, the GEMM is sized to the SMs left.
        CB(cublasSetSmCountTarget(p->h, j + 1 < slices && dec_sms ? sms - dec_sms : 0), "SM count target");
        CB(cublasGemmEx(p->h, CUBLAS_OP_T, CUBLAS_OP_N, (int)(r1 - r0), M, (int)src->cols, &one, p->buf[b], CUDA_R_16BF, (int)src->cols, d_x,
                        CUDA_R_16BF, (int)src->cols, &zero, d_y + r0, CUDA_R_16BF, (int)src->rows, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
           "GEMM");
        CU(cudaEventRecord(p->done_gemm[b], s), "pipe event");
    }
    CB(cublasSetSmCountTarget(p->h, 0), "SM count target");
    return WZ_OK;
}
