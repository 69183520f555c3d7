// tile_ans.cuh — what tile_ans.cu (upload, SPLIT16 kernels) shares with
// tile_ans_pair.cu (PAIR16 kernels): the kernel argument block and the
// PAIR16 launchers.
#pragma once
#include <cuda_runtime.h>
#include <stdint.h>
extern "C" {
#include "common/error.h"
}
#include "kernels/gpu_common.cuh"

struct TaArgs {
    const uint32_t *word_off, *states, *dtable, *esc_off;
    const uint16_t *words;
    const uint8_t *raw, *esc;
    uint64_t rows, cols, ntiles, nwords;
    uint64_t k0, k1;       // the decode kernels: tiles k0..k1-1 (whole tile-rows; wz_gpu_ta_decode_rows); the others take all
    uint32_t T, K, tiles_c, prob_bits, bf16, pair;
    uint32_t ilp;          // rANS states per lane (PAIR16: 1 or 2; SPLIT16 kernels: 1)
    uint32_t order;        // element order, WZ_TA_ORDER_* (PAIR16 only; codecs.h)
    const uint2 *ptab;     // PAIR16: 4096 slots of {freq | slot-cum << 16, both exponents as bf16x2 bits + escape flags}
    SplitK sk;             // tensor-core GEMM: split-K sums and the in-kernel epilogue (gpu_common.cuh)
    int *err;
};

// PAIR16 standalone decode; fused GEMV (M in 1, 2, 4, 8: CUDA cores) and
// GEMM (M in 16, 32, 64: mma.sync tensor cores); MMA-order blobs: one
// tensor-core kernel for every M in 1..64.
wz_err ta_pair_decode(const TaArgs &a, uint16_t *out, int max_sms, cudaStream_t s); // max_sms: 0, the whole device
wz_err ta_pair_gemv(const TaArgs &a, const uint16_t *X, int M, float *acc, cudaStream_t s); // rows order, M in 1, 2, 4, 8: CUDA cores
// Tensor cores (n-tiles of 8) for every M in the MMA order, for M > 8 in
// the rows order; a.sk holds the split-K sums the matrix keeps at zero (no
// memset) and Y, which the caller's conversion launch writes (splitk_end).
int ta_pair_on_tensor_cores(const TaArgs &a, int M);
wz_err ta_pair_mma(const TaArgs &a, const uint16_t *X, int M, cudaStream_t s);
