// tile_ans.cu — GPU decode of tile-ans blobs: standalone and fused GEMV.
//
// One warp owns one tile: 32 rANS lanes, one per warp lane, one 16-bit
// word stream shared by the warp (see codecs/tile_ans/tile_ans.c for the
// element order). Per step and lane: one shared-memory table lookup, one
// multiply-add for the state, a ballot + popc to hand out the words the
// lanes that fell below 2^16 need. Words come from a 96-word register
// window (three 32-word slices, the next two already in flight), so the
// state chain never waits on a global load that was not issued ~6 steps
// earlier. Raw sign+mantissa bytes arrive 16 at a time as one 16-byte load.
// (v3: the register window was replaced by a shared-memory ring.)
//
// CPU reference: codecs/tile_ans/tile_ans.c (ta_decode). NOTES.md has the
// floors and each version's time.
#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>
extern "C" {
#include "codecs/codecs.h"
#include "codecs/rans/rans.h"
#include "kernels/kernels.h"
}
#include "kernels/gpu_common.cuh"
#include "kernels/rans_warp.cuh"
#include "kernels/tile_ans.cuh"

struct wz_gpu_ta {
    wz_ta_header h;
    uint32_t ilp;          /* rANS states per lane (wz_ta_view: v3 blobs read as 1) */
    uint32_t order;        /* element order (wz_ta_view: v3/v4 blobs read as rows) */
    uint8_t *d_blob;
    size_t len;
    uint32_t *d_dtable;
    const uint32_t *d_word_off, *d_states;
    const uint16_t *d_words;
    const uint8_t *d_raw, *d_esc;
    const uint32_t *d_esc_off;
    uint2 *d_ptab;         /* PAIR16: per-slot {freq | slot-cum << 16, both exponents} (tile_ans.cuh) */
    uint64_t ntiles;
    int *d_err;
    SplitKBuf *sk;         /* the tensor-core GEMM's split-K sums and counters (zero between calls) */
};


extern "C" int wz_gpu_available(const char **why)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0) {
        if (why) *why = e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device";
        return 0;
    }
    return 1;
}

extern "C" wz_err wz_gpu_ta_upload(const uint8_t *blob, size_t len, wz_gpu_ta **out)
{
    *out = NULL;
    wz_ta_view v;
    WZ_TRY(wz_ta_parse(blob, len, &v));
    if (v.h->model == WZ_TA_MODEL_CODES) return wz_fail(WZ_ERR_UNSUPPORTED, "GPU tile-ans: only 16-bit formats so far");
    if (v.h->prob_bits > WZ_RANS_GPU_MAX_BITS) return wz_fail(WZ_ERR_UNSUPPORTED, "GPU tile-ans: prob_bits %u > %d", v.h->prob_bits, WZ_RANS_GPU_MAX_BITS);
    if (v.h->model == WZ_TA_MODEL_SPLIT16 && v.ilp != 1) return wz_fail(WZ_ERR_UNSUPPORTED, "GPU tile-ans: SPLIT16 with %u states per lane (kernels run 1)", v.ilp);
    wz_rans_table t;
    WZ_TRY(wz_rans_table_init(&t, v.h->freq, v.h->prob_bits));
    uint32_t dt[1 << WZ_RANS_GPU_MAX_BITS];
    wz_rans_dtable_build(&t, dt);
    wz_gpu_ta *g = (wz_gpu_ta *)calloc(1, sizeof *g);
    if (!g || !(g->sk = (SplitKBuf *)calloc(1, sizeof *g->sk))) { free(g); return wz_fail(WZ_ERR_NOMEM, "out of memory"); }
    g->h = *v.h;
    g->ilp = v.ilp;
    g->order = v.order;
    g->len = len;
    g->ntiles = v.ntiles;
    cudaError_t e = wz_gpu_blob_upload(blob, len, 0, &g->d_blob);
    if (e == cudaSuccess) e = cudaMalloc(&g->d_dtable, sizeof dt);
    if (e == cudaSuccess) e = cudaMemcpy(g->d_dtable, dt, sizeof(uint32_t) << v.h->prob_bits, cudaMemcpyHostToDevice);
    if (v.h->model == WZ_TA_MODEL_PAIR16) {
        /* One 8-byte entry per slot, the layout the kernels keep in shared
         * memory (one LDS.64 per step, v23): freq | (slot - cum) << 16, and
         * the symbol's two exponents already placed as bf16x2 bits (bit 0 /
         * bit 16 flag an escape). Uploaded packed so each block copies it
         * with 16-byte loads instead of repacking three arrays. */
        std::vector<uint2> pt(1u << WZ_RANS_GPU_MAX_BITS, make_uint2(0, 0));
        for (uint32_t k = 0; k < (1u << v.h->prob_bits); k++) {
            uint32_t sy = WZ_RANS_DSYM(dt[k]), c1 = sy & 15, c2 = sy >> 4;
            pt[k].x = WZ_RANS_DFREQ(dt[k]) | WZ_RANS_DBIAS(dt[k]) << 16;
            pt[k].y = (c1 == WZ_TA_ESC ? 1u : (v.h->ebase + c1) << 7) | (c2 == WZ_TA_ESC ? 0x10000u : (v.h->ebase + c2) << 23);
        }
        if (e == cudaSuccess) e = cudaMalloc(&g->d_ptab, pt.size() * sizeof pt[0]);
        if (e == cudaSuccess) e = cudaMemcpy(g->d_ptab, pt.data(), pt.size() * sizeof pt[0], cudaMemcpyHostToDevice);
    }
    if (e == cudaSuccess) e = cudaMalloc(&g->d_err, sizeof(int));
    if (e == cudaSuccess) e = cudaMemset(g->d_err, 0, sizeof(int));
    if (e != cudaSuccess) { wz_gpu_ta_free(g); return wz_cuda_fail(e, "upload"); }
    g->d_word_off = wz_dev_at(g->d_blob, blob, v.word_off);
    g->d_states = wz_dev_at(g->d_blob, blob, v.states);
    g->d_words = wz_dev_at(g->d_blob, blob, v.words);
    g->d_raw = wz_dev_at(g->d_blob, blob, v.raw);
    g->d_esc = wz_dev_at(g->d_blob, blob, v.esc);
    g->d_esc_off = v.esc_off ? wz_dev_at(g->d_blob, blob, v.esc_off) : NULL;
    *out = g;
    return WZ_OK;
}

extern "C" void wz_gpu_ta_free(wz_gpu_ta *g)
{
    if (!g) return;
    cudaFree(g->d_blob); cudaFree(g->d_dtable); cudaFree(g->d_ptab); cudaFree(g->d_err);
    if (g->sk) { splitk_free(*g->sk); free(g->sk); }
    free(g);
}
extern "C" void wz_gpu_ta_shape(const wz_gpu_ta *g, uint64_t *r, uint64_t *c) { *r = g->h.rows; *c = g->h.cols; }
extern "C" size_t wz_gpu_ta_bytes(const wz_gpu_ta *g) { return g->len; }



__device__ __forceinline__ uint32_t byte_of(uint4 v, int s)
{
    uint32_t w = s < 4 ? v.x : s < 8 ? v.y : s < 12 ? v.z : v.w;
    return (w >> (8 * (s & 3))) & 0xffu;
}

// bf16 bits from exponent symbol and raw sign|mantissa byte (fp16: high|low byte).
__device__ __forceinline__ uint32_t merge16(uint32_t sym, uint32_t r, uint32_t bf16)
{
    return bf16 ? ((r & 0x80u) << 8) | (sym << 7) | (r & 0x7fu) : (sym << 8) | r;
}


#define WARPS 8

// Standalone decode: warp w of block b takes tiles b*WARPS+w, +grid*WARPS...
// Each 16-step group gives each lane 16 consecutive weights of its row:
// two 16-byte stores when aligned and in bounds, else element stores.
__global__ void __launch_bounds__(WARPS * 32) ta_decode_kernel(TaArgs a, uint16_t *out)
{
    __shared__ uint32_t tab[1 << WZ_RANS_GPU_MAX_BITS];
    __shared__ __align__(16) uint16_t rings[WARPS][RING_WORDS];
    load_table(tab, a.dtable, a.prob_bits);
    int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    uint32_t lt = (1u << lane) - 1;
    uint32_t steps = a.T * a.K / 32, groups_per_rg = a.K / 16;
    for (uint64_t k = a.k0 + (uint64_t)blockIdx.x * WARPS + warp; k < a.k1; k += (uint64_t)gridDim.x * WARPS) {
        WarpDec d;
        dec_begin(d, a, k, lane, rings[warp]);
        uint64_t ti = k / a.tiles_c, tj = k % a.tiles_c;
        const uint4 *raw = (const uint4 *)(a.raw + k * (uint64_t)a.T * a.K);
        uint4 rv = __ldg(raw + lane);
        for (uint32_t q = 0; q < steps / 16; q++) {
            uint4 rn = q + 1 < steps / 16 ? __ldg(raw + (q + 1) * 32 + lane) : rv;
            uint32_t v[16];
#pragma unroll
            for (int s = 0; s < 16; s++) v[s] = merge16(dec_step(d, a, tab, lt, lane), byte_of(rv, s), a.bf16);
            uint64_t row = ti * a.T + (q / groups_per_rg) * 32 + lane, col = tj * a.K + (q % groups_per_rg) * 16;
            if (row < a.rows) {
                uint16_t *o = out + row * a.cols + col;
                if (col + 16 <= a.cols && ((uintptr_t)o & 15) == 0) {
                    ((uint4 *)o)[0] = make_uint4(v[0] | v[1] << 16, v[2] | v[3] << 16, v[4] | v[5] << 16, v[6] | v[7] << 16);
                    ((uint4 *)o)[1] = make_uint4(v[8] | v[9] << 16, v[10] | v[11] << 16, v[12] | v[13] << 16, v[14] | v[15] << 16);
                } else {
                    for (int s = 0; s < 16; s++) if (col + s < a.cols) o[s] = (uint16_t)v[s];
                }
            }
            rv = rn;
        }
        dec_end(d, a);
    }
}

// Fused GEMV: the same decode, each weight multiplied by the M activations
// of its column (broadcast through a shuffle from the 16 values the warp
// loaded one group ahead), one fp32 partial sum per lane (= row) and m;
// flushed with one atomicAdd per row group and m (split-K over tiles).
template <int M>
__global__ void __launch_bounds__(WARPS * 32) ta_gemv_kernel(TaArgs a, const uint16_t *__restrict__ X, float *acc)
{
    __shared__ uint32_t tab[1 << WZ_RANS_GPU_MAX_BITS];
    __shared__ __align__(16) uint16_t rings[WARPS][RING_WORDS];
    load_table(tab, a.dtable, a.prob_bits);
    int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
    uint32_t lt = (1u << lane) - 1;
    uint32_t steps = a.T * a.K / 32, groups_per_rg = a.K / 16;
    for (uint64_t k = (uint64_t)blockIdx.x * WARPS + warp; k < a.ntiles; k += (uint64_t)gridDim.x * WARPS) {
        WarpDec d;
        dec_begin(d, a, k, lane, rings[warp]);
        uint64_t ti = k / a.tiles_c, tj = k % a.tiles_c;
        const uint4 *raw = (const uint4 *)(a.raw + k * (uint64_t)a.T * a.K);
        uint4 rv = __ldg(raw + lane);
        // Activations travel as raw bf16 bits until used: converting at load
        // time would make the prefetch wait for its own load.
        float s[M];
        uint32_t xv[M], xn[M];
        auto load_x = [&](uint32_t q, uint32_t (&dst)[M]) {
            uint64_t c = tj * a.K + (q % groups_per_rg) * 16 + (lane & 15);
#pragma unroll
            for (int m = 0; m < M; m++) dst[m] = c < a.cols && q < steps / 16 ? (uint32_t)__ldg(X + (uint64_t)m * a.cols + c) : 0u;
        };
#pragma unroll
        for (int m = 0; m < M; m++) s[m] = 0.f;
        load_x(0, xv);
        for (uint32_t q = 0; q < steps / 16; q++) {
            uint4 rn = q + 1 < steps / 16 ? __ldg(raw + (q + 1) * 32 + lane) : rv;
            load_x(q + 1, xn);
#pragma unroll
            for (int st = 0; st < 16; st++) {
                float w = __uint_as_float(merge16(dec_step(d, a, tab, lt, lane), byte_of(rv, st), 1) << 16);
#pragma unroll
                for (int m = 0; m < M; m++) s[m] = fmaf(w, __uint_as_float(__shfl_sync(0xffffffffu, xv[m], st) << 16), s[m]);
            }
            rv = rn;
#pragma unroll
            for (int m = 0; m < M; m++) xv[m] = xn[m];
            if ((q + 1) % groups_per_rg == 0) { // row group done
                uint64_t row = ti * a.T + (q / groups_per_rg) * 32 + lane;
                if (row < a.rows)
#pragma unroll
                    for (int m = 0; m < M; m++) atomicAdd(acc + (uint64_t)m * a.rows + row, s[m]);
#pragma unroll
                for (int m = 0; m < M; m++) s[m] = 0.f;
            }
        }
        dec_end(d, a);
    }
}

__global__ void wz_f32_to_bf16_kernel(float *in, uint16_t *out, uint64_t n, int zero)
{
    for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x) {
        __nv_bfloat16 b = __float2bfloat16_rn(in[i]);
        out[i] = *(uint16_t *)&b;
        if (zero) in[i] = 0.f;
    }
}

static wz_err convert(float *in, uint16_t *out, uint64_t n, int zero, cudaStream_t s)
{
    wz_f32_to_bf16_kernel<<<(int)((n + 255) / 256 < 4096 ? (n + 255) / 256 : 4096), 256, 0, s>>>(in, out, n, zero);
    CU(cudaGetLastError(), "convert launch");
    return WZ_OK;
}
wz_err wz_launch_f32_to_bf16(const float *in, uint16_t *out, uint64_t n, cudaStream_t s) { return convert((float *)in, out, n, 0, s); }

// Token-minor sums, W to a row (acc[W row + m], W a multiple of 4), to Y
// (M x rows, token-major): a thread a row, one float4 a group of 4 tokens,
// re-zeroed; groups wholly past M were never added to (zero already).
__global__ void wz_tm_to_bf16_zero_kernel(float *acc, uint16_t *y, uint64_t rows, int M, int W)
{
    for (uint64_t r = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; r < rows; r += (uint64_t)gridDim.x * blockDim.x)
        for (int q = 0; 4 * q < M && 4 * q < W; q++) {
            float4 *p = (float4 *)(acc + r * W) + q;
            const float4 v = *p;
            const float f[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
            for (int i = 0; i < 4; i++)
                if (4 * q + i < M) {
                    __nv_bfloat16 b = __float2bfloat16_rn(f[i]);
                    y[(uint64_t)(4 * q + i) * rows + r] = *(uint16_t *)&b;
                }
            *p = make_float4(0.f, 0.f, 0.f, 0.f);
        }
}
wz_err wz_launch_tm_to_bf16_zero(float *acc, uint16_t *y, uint64_t rows, int M, int W, cudaStream_t s)
{
    wz_tm_to_bf16_zero_kernel<<<(int)((rows + 255) / 256 < 4096 ? (rows + 255) / 256 : 4096), 256, 0, s>>>(acc, y, rows, M, W);
    CU(cudaGetLastError(), "token-minor convert launch");
    return WZ_OK;
}
wz_err wz_launch_f32_to_bf16_zero(float *in, uint16_t *out, uint64_t n, cudaStream_t s) { return convert(in, out, n, 1, s); }

static TaArgs args_of(const wz_gpu_ta *g)
{
    TaArgs a;
    a.word_off = g->d_word_off; a.states = g->d_states; a.dtable = g->d_dtable;
    a.words = g->d_words; a.raw = g->d_raw;
    a.esc = g->d_esc; a.esc_off = g->d_esc_off; a.ptab = g->d_ptab;
    a.pair = g->h.model == WZ_TA_MODEL_PAIR16;
    a.ilp = g->ilp;
    a.order = g->order;
    a.rows = g->h.rows; a.cols = g->h.cols; a.ntiles = g->ntiles; a.nwords = g->h.nwords;
    a.k0 = 0; a.k1 = g->ntiles;
    a.T = g->h.tile_rows; a.K = g->h.tile_cols; a.tiles_c = g->h.tiles_c; a.prob_bits = g->h.prob_bits;
    a.bf16 = g->h.dtype == WZ_DT_BF16;
    a.err = g->d_err;
    a.sk = SplitK{};
    return a;
}

static int grid_for(uint64_t ntiles, int max_sms = 0)
{
    int sms = wz_sm_count();
    if (max_sms > 0 && max_sms < sms) sms = max_sms;
    uint64_t blocks = (ntiles + WARPS - 1) / WARPS, cap = (uint64_t)sms * 8; // 8 blocks x 8 warps = 64 warps/SM max
    return (int)(blocks < cap ? blocks : cap);
}

// Rows r0..r1-1 into d_out, (r1 - r0) x cols (kernels.h): the tiles of
// those tile-rows, which write row r at out + r * cols, so they get d_out
// moved back by r0 rows (an address never dereferenced outside the slice).
extern "C" wz_err wz_gpu_ta_decode_rows(const wz_gpu_ta *g, uint64_t r0, uint64_t r1, uint16_t *d_out, int max_sms, void *stream)
{
    TaArgs a = args_of(g);
    if (r0 % a.T || r0 >= r1 || r1 > a.rows || (r1 % a.T && r1 != a.rows))
        return wz_fail(WZ_ERR_ARG, "tile-ans decode: rows %llu..%llu of %llu (tile-rows of %u)", (unsigned long long)r0, (unsigned long long)r1,
                       (unsigned long long)a.rows, a.T);
    a.k0 = r0 / a.T * a.tiles_c; a.k1 = (r1 + a.T - 1) / a.T * a.tiles_c;
    uint16_t *out = (uint16_t *)((uintptr_t)d_out - (uintptr_t)(r0 * a.cols * sizeof(uint16_t)));
    cudaStream_t s = (cudaStream_t)stream;
    if (a.pair) return ta_pair_decode(a, out, max_sms, s);
    ta_decode_kernel<<<grid_for(a.k1 - a.k0, max_sms), WARPS * 32, 0, s>>>(a, out);
    CU(cudaGetLastError(), "ta_decode_kernel launch");
    return WZ_OK;
}

extern "C" wz_err wz_gpu_ta_decode(const wz_gpu_ta *g, uint16_t *d_out, void *stream)
{
    return wz_gpu_ta_decode_rows(g, 0, g->h.rows, d_out, 0, stream);
}

extern "C" uint32_t wz_gpu_ta_row_align(const wz_gpu_ta *g) { return g->h.tile_rows; }

static wz_err ta_rows(const void *g, uint64_t r0, uint64_t r1, uint16_t *d_out, int max_sms, void *stream)
{
    return wz_gpu_ta_decode_rows((const wz_gpu_ta *)g, r0, r1, d_out, max_sms, stream);
}

extern "C" wz_gpu_rows_src wz_gpu_ta_rows_src(const wz_gpu_ta *g)
{
    wz_gpu_rows_src r = {ta_rows, g, g->h.rows, g->h.cols, g->h.tile_rows, g->h.dtype == WZ_DT_BF16};
    return r;
}

extern "C" int wz_gpu_ta_fused_ok(const wz_gpu_ta *g, int M)
{
    if (g->h.dtype != WZ_DT_BF16) return 0;
    if (g->order == WZ_TA_ORDER_MMA) return M >= 1 && M <= 64;
    if (M == 1 || M == 2 || M == 4 || M == 8) return 1;
    return g->h.model == WZ_TA_MODEL_PAIR16 && M > 8 && M <= 64;
}

extern "C" wz_err wz_gpu_ta_gemv(const wz_gpu_ta *g, const uint16_t *d_x, int M, uint16_t *d_y, float *d_acc, void *stream)
{
    if (g->h.dtype != WZ_DT_BF16) return wz_fail(WZ_ERR_UNSUPPORTED, "fused GEMV: bf16 only");
    cudaStream_t s = (cudaStream_t)stream;
    TaArgs a = args_of(g);
    if (a.pair && ta_pair_on_tensor_cores(a, M)) { // split-K sums kept at zero by the matrix object (SplitK)
        if (M < 1 || M > 64) return wz_fail(WZ_ERR_ARG, "fused GEMM: M=%d not in 1..64", M);
        // Y by the re-zeroing conversion: the in-kernel epilogue measured 2-16% slower here (v35).
        WZ_TRY(splitk_begin(*g->sk, a.sk, a.rows, M, false, d_acc, d_y, s));
        WZ_TRY(ta_pair_mma(a, d_x, M, s));
        return splitk_end(a.sk, a.rows, M, s);
    }
    CU(cudaMemsetAsync(d_acc, 0, sizeof(float) * (size_t)M * a.rows, s), "memset");
    if (a.pair) {
        WZ_TRY(ta_pair_gemv(a, d_x, M, d_acc, s));
        return wz_launch_f32_to_bf16(d_acc, d_y, (uint64_t)M * a.rows, s);
    }
    int grid = grid_for(a.ntiles);
#define GEMV(MM) ta_gemv_kernel<MM><<<grid, WARPS * 32, 0, s>>>(a, d_x, d_acc)
    switch (M) {
    case 1: GEMV(1); break;
    case 2: GEMV(2); break;
    case 4: GEMV(4); break;
    case 8: GEMV(8); break;
    default: return wz_fail(WZ_ERR_ARG, "fused GEMV: M=%d not in {1,2,4,8}", M);
    }
#undef GEMV
    CU(cudaGetLastError(), "ta_gemv_kernel launch");
    return wz_launch_f32_to_bf16(d_acc, d_y, (uint64_t)M * a.rows, s);
}

wz_err wz_gpu_read_flag(int *d_err, const char *what)
{
    int err = 0;
    CU(cudaDeviceSynchronize(), "sync");
    CU(cudaMemcpy(&err, d_err, sizeof err, cudaMemcpyDeviceToHost), "read error flag");
    if (err) {
        cudaMemset(d_err, 0, sizeof(int)); // re-arm for the next launch
        return wz_fail(WZ_ERR_CORRUPT, "GPU %s", what);
    }
    return WZ_OK;
}

extern "C" wz_err wz_gpu_ta_check(const wz_gpu_ta *g)
{
    wz_err e = wz_gpu_read_flag(g->d_err, "tile-ans: a tile's stream failed its end-of-stream check");
    if (e) splitk_reset(*g->sk, g->h.rows); // a flagged launch may have left partial sums: start the next clean
    return e;
}
