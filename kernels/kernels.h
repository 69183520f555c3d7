/* kernels.h — GPU decoders and fused decode+GEMV for tile-ans blobs.
 *
 * The GPU reads exactly the bytes the CPU codec wrote (codecs/codecs.h,
 * wz_ta_*). wz_gpu_ta_upload() validates the blob on the host with the same
 * parser the CPU decoder uses (offsets, sizes, table, states) before any
 * launch; kernels additionally clamp every word read to the tile's range
 * and report, through an error flag, any tile whose stream does not end
 * exactly at its last word with every lane back at state 2^16.
 * All functions return wz_err; CUDA failures map to WZ_ERR_IO with the CUDA
 * error string as detail. */
#ifndef WZ_KERNELS_H
#define WZ_KERNELS_H
#include <stddef.h>
#include <stdint.h>
#include "common/error.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct wz_gpu_ta wz_gpu_ta; /* a tile-ans matrix resident on the GPU */

/* 1 if a CUDA device is usable, else 0 (and a reason in *why). */
int wz_gpu_available(const char **why);
wz_err wz_gpu_ta_upload(const uint8_t *blob, size_t len, wz_gpu_ta **out);
void wz_gpu_ta_free(wz_gpu_ta *g);
void wz_gpu_ta_shape(const wz_gpu_ta *g, uint64_t *rows, uint64_t *cols);
size_t wz_gpu_ta_bytes(const wz_gpu_ta *g); /* compressed bytes on the device */

/* Standalone decode to a bf16/fp16 row-major matrix in device memory. */
wz_err wz_gpu_ta_decode(const wz_gpu_ta *g, uint16_t *d_out, void *stream);
/* Rows r0..r1-1 only, into d_out as a (r1 - r0) x cols matrix: r0 a
 * multiple of wz_gpu_ta_row_align (the tile height), r1 too or the last row
 * + 1; at most max_sms SMs' worth of blocks (0: the whole device). The
 * producer of the pipelined path (wz_gpu_pipe_gemm). */
wz_err wz_gpu_ta_decode_rows(const wz_gpu_ta *g, uint64_t r0, uint64_t r1, uint16_t *d_out, int max_sms, void *stream);
uint32_t wz_gpu_ta_row_align(const wz_gpu_ta *g);
/* Fused Y[M, rows] = X[M, cols] . W^T, bf16 in/out, fp32 accumulation.
 * d_acc: M*rows floats of scratch for the CUDA-core GEMVs; the tensor-core
 * paths keep their own split-K sums in the matrix object (zero between
 * calls: Y is written from them by a conversion launch that re-zeroes them,
 * or inside the kernel), so calls on one matrix must not overlap. M in {1, 2, 4, 8} (CUDA cores); for the
 * PAIR16 model also 9..64 (tensor cores); PAIR16 in the MMA element order:
 * every M in 1..64 on tensor cores. See wz_gpu_ta_fused_ok(). */
#define WZ_GPU_GEMV_MAX_M 8
int wz_gpu_ta_fused_ok(const wz_gpu_ta *g, int M);
wz_err wz_gpu_ta_gemv(const wz_gpu_ta *g, const uint16_t *d_x, int M, uint16_t *d_y, float *d_acc, void *stream);
/* Check the error flag the kernels raise on a corrupt stream (syncs). */
wz_err wz_gpu_ta_check(const wz_gpu_ta *g);

/* The bitmap (ZipServ-style) codec on the GPU: same contract. */
typedef struct wz_gpu_bm wz_gpu_bm;
wz_err wz_gpu_bm_upload(const uint8_t *blob, size_t len, wz_gpu_bm **out);
void wz_gpu_bm_free(wz_gpu_bm *g);
size_t wz_gpu_bm_bytes(const wz_gpu_bm *g);
wz_err wz_gpu_bm_decode(const wz_gpu_bm *g, uint16_t *d_out, void *stream);
/* Rows r0..r1-1 only (block-rows of 32), as wz_gpu_ta_decode_rows. */
wz_err wz_gpu_bm_decode_rows(const wz_gpu_bm *g, uint64_t r0, uint64_t r1, uint16_t *d_out, int max_sms, void *stream);
/* M in {1,2,4,8} (CUDA cores); bitmap4 also 9..64 (tensor cores); bitmap4
 * in the MMA order: every M in 1..64 on tensor cores. wz_gpu_bm_fused_ok
 * says which. */
int wz_gpu_bm_fused_ok(const wz_gpu_bm *g, int M);
wz_err wz_gpu_bm_gemv(const wz_gpu_bm *g, const uint16_t *d_x, int M, uint16_t *d_y, float *d_acc, void *stream);
#define WZ_GPU_BM4_GEMV_MAX_M 64
/* The fused paths: WZ_BM_WARP, bitmap.cu's kernels (M <= 64; every warp
 * decodes its own blocks and multiplies them: CUDA cores, or mma.sync for
 * bitmap4), and for bitmap4 in the MMA order WZ_BM_WGMMA,
 * kernels/bm4_wgmma.cu (any M where rows % 128 == 0 and cols % 64 == 0:
 * decoding warps feed Hopper wgmma through shared memory). WZ_BM_AUTO is
 * wz_gpu_bm_gemv's choice: WGMMA from WZ_GPU_BM4_WG_MIN_M tokens (or where
 * WARP has no kernel), else WARP. A benchmark or a plan asks for one by
 * name; wz_gpu_bm_path_ok says which this blob has for M. */
enum { WZ_BM_AUTO = 0, WZ_BM_WARP = 1, WZ_BM_WGMMA = 2 };
#ifndef WZ_GPU_BM4_WG_MIN_M
#define WZ_GPU_BM4_WG_MIN_M 17 /* H100, v45c: wgmma faster on every shape at M = 64, mixed at 16 (down only), warp at 1 */
#endif
int wz_gpu_bm_path_ok(const wz_gpu_bm *g, int M, int path);
wz_err wz_gpu_bm_gemm(const wz_gpu_bm *g, const uint16_t *d_x, int M, uint16_t *d_y, float *d_acc, int path, void *stream);
/* Clusters of k blocks of the WGMMA kernel used at M that fit the device
 * at once (a tile split in k parts runs as one cluster where all fit), or
 * -1 where the runtime cannot say (no GPU, k outside 1..8). */
int wz_gpu_bm4_wg_cluster_fit(int M, int k);

/* The pipelined path (kernels/pipeline.cu): decode + cuBLAS with the
 * decode hidden behind the GEMM. W's rows go in `slices` slices of whole
 * tiles; slice j + 1 is decoded on dec_sms SMs (a stream of higher
 * priority) into one of two bf16 buffers while cuBLAS multiplies slice j
 * on the others (cublasSetSmCountTarget), so past the first slice's decode
 * only what the GEMM loses to the decoder's SMs is added. slices = 1 is
 * plain decode + cuBLAS. dec_sms = 0: the decoder is not confined (both
 * kernels share the device as the scheduler places them). Y[M, rows] =
 * X[M, cols] . W^T, bf16 in and out, fp32 accumulation (cuBLAS). A pipe
 * holds the two buffers (grown to the largest slice asked for), a cuBLAS
 * handle, a stream and events; calls on one pipe are ordered on `stream`. */
typedef struct wz_gpu_pipe wz_gpu_pipe;
typedef struct {
    wz_err (*decode_rows)(const void *g, uint64_t r0, uint64_t r1, uint16_t *d_out, int max_sms, void *stream);
    const void *g;
    uint64_t rows, cols;
    uint32_t align; /* slice boundaries fall on multiples of this many rows */
    int bf16;       /* 0: the GEMM refuses (cuBLAS is asked for bf16) */
} wz_gpu_rows_src;
wz_gpu_rows_src wz_gpu_ta_rows_src(const wz_gpu_ta *g);
wz_gpu_rows_src wz_gpu_bm_rows_src(const wz_gpu_bm *g);
wz_err wz_gpu_pipe_create(wz_gpu_pipe **out);
void wz_gpu_pipe_free(wz_gpu_pipe *p);
size_t wz_gpu_pipe_buffer_bytes(const wz_gpu_pipe *p); /* the two slice buffers as allocated now */
wz_err wz_gpu_pipe_gemm(wz_gpu_pipe *p, const wz_gpu_rows_src *src, const uint16_t *d_x, int M, uint16_t *d_y, int slices, int dec_sms,
                        void *stream);

/* The pairhuff codec (Huffman-coded exponent pairs, warp-interleaved
 * segments; kernels/pairhuff.cu): same contract. The fused GEMV takes
 * M in 1..8 (tensor cores, one n-tile). */
typedef struct wz_gpu_ph wz_gpu_ph;
wz_err wz_gpu_ph_upload(const uint8_t *blob, size_t len, wz_gpu_ph **out);
void wz_gpu_ph_free(wz_gpu_ph *g);
size_t wz_gpu_ph_bytes(const wz_gpu_ph *g);
wz_err wz_gpu_ph_decode(const wz_gpu_ph *g, uint16_t *d_out, void *stream);
#define WZ_GPU_PH_GEMV_MAX_M 8
int wz_gpu_ph_fused_ok(const wz_gpu_ph *g, int M);
wz_err wz_gpu_ph_gemv(const wz_gpu_ph *g, const uint16_t *d_x, int M, uint16_t *d_y, float *d_acc, void *stream);

/* The peers' formats on the GPU (kernels/peers.cu): decode the whole
 * matrix to bf16 in HBM, as the DFloat11 and NeuZip pipelines do before
 * cuBLAS. *_check syncs and reports a framing/stream error flag. */
typedef struct wz_gpu_df wz_gpu_df;
wz_err wz_gpu_df_upload(const uint8_t *blob, size_t len, wz_gpu_df **out);
void wz_gpu_df_free(wz_gpu_df *g);
size_t wz_gpu_df_bytes(const wz_gpu_df *g);
wz_err wz_gpu_df_decode(const wz_gpu_df *g, uint16_t *d_out, void *stream);
wz_err wz_gpu_df_check(const wz_gpu_df *g);
typedef struct wz_gpu_nz wz_gpu_nz;
wz_err wz_gpu_nz_upload(const uint8_t *blob, size_t len, wz_gpu_nz **out);
void wz_gpu_nz_free(wz_gpu_nz *g);
size_t wz_gpu_nz_bytes(const wz_gpu_nz *g);
wz_err wz_gpu_nz_decode(const wz_gpu_nz *g, uint16_t *d_out, void *stream);
wz_err wz_gpu_nz_check(const wz_gpu_nz *g);

#ifdef __cplusplus
}
#endif
#endif
