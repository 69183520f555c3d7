// gpu_test.cu — GPU tests: decoders bit-exact with the CPU codec, fused GEMV
// equal to the GEMM on decoded weights within bf16 rounding, hostile
// metadata rejected before launch, corrupt streams flagged (never a crash).
// Skips cleanly (exit 0) where no GPU is present.
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>
extern "C" {
#include "codecs/codecs.h"
#include "kernels/kernels.h"
}
#include "kernels/wg_layout.cuh"

static int fails = 0;
#define EXPECT(c, ...) do { if (!(c)) { fails++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

static uint64_t rs = 88172645463325252ULL;
static uint64_t rnd() { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }
static double gauss() { double u = (rnd() >> 11) * 0x1.0p-53 + 1e-300, v = (rnd() >> 11) * 0x1.0p-53; return sqrt(-2 * log(u)) * cos(6.283185307 * v); }

// ||Y - W.X||/||W.X|| against an fp64 reference; an unwritten (NaN) output fails.
static double gemv_rel_err(const std::vector<uint16_t> &w, const std::vector<uint16_t> &X, const std::vector<uint16_t> &Y, int M, uint64_t r, uint64_t c)
{
    double num = 0, den = 0;
#pragma omp parallel for collapse(2) reduction(+ : num, den) schedule(static)
    for (int m = 0; m < M; m++)
        for (uint64_t i = 0; i < r; i++) {
            double s = 0;
            for (uint64_t k = 0; k < c; k++) s += (double)wz_bf16_to_f32(w[i * c + k]) * wz_bf16_to_f32(X[m * c + k]);
            double y = wz_bf16_to_f32(Y[m * r + i]);
            num += isfinite(y) ? (y - s) * (y - s) : INFINITY;
            den += s * s;
        }
    return sqrt(num / den);
}

// One fused GEMV on fresh random activations, output poisoned first; `run`
// launches it and says whether it succeeded. Returns the fp64 relative
// error (INFINITY if the launch failed).
template <class F>
static double gemv_check(const std::vector<uint16_t> &w, uint64_t r, uint64_t c, int M, F run)
{
    std::vector<uint16_t> X(M * c), Y(M * r);
    for (auto &x : X) x = wz_f32_to_bf16((float)gauss());
    uint16_t *dx, *dy; float *acc;
    cudaMalloc(&dx, X.size() * 2); cudaMalloc(&dy, Y.size() * 2); cudaMalloc(&acc, Y.size() * 4);
    cudaMemcpy(dx, X.data(), X.size() * 2, cudaMemcpyHostToDevice);
    cudaMemset(dy, 0xff, Y.size() * 2);
    bool ok = run(dx, dy, acc);
    cudaMemcpy(Y.data(), dy, Y.size() * 2, cudaMemcpyDeviceToHost);
    cudaFree(dx); cudaFree(dy); cudaFree(acc);
    return ok ? gemv_rel_err(w, X, Y, M, r, c) : INFINITY;
}

static int g_lane_states = 0; // tile-ans states per lane for encode(): 0 = the codec's default
static int g_order = WZ_TA_ORDER_ROWS; // tile-ans element order for encode() (PAIR16)
static std::vector<uint8_t> encode(const std::vector<uint16_t> &w, uint64_t r, uint64_t c, uint32_t T, uint32_t K,
                                   int model = WZ_TA_MODEL_PAIR16)
{
    wz_codec_params p; wz_codec_params_default(&p); p.tile_rows = T; p.tile_cols = K; p.bf16_model = model; p.lane_states = g_lane_states; p.order = g_order;
    wz_codec_input in = {WZ_DT_BF16, r, c, w.data()};
    std::vector<uint8_t> b(wz_codec_tile_ans.bound(&p, &in));
    size_t len;
    if (wz_codec_tile_ans.encode(&p, &in, b.data(), b.size(), &len, NULL) != WZ_OK) { printf("encode failed: %s\n", wz_err_detail()); exit(1); }
    b.resize(len);
    return b;
}

// Gaussian weights; `wide` also scales each by 2^-U(0,24), so exponents span
// more than the PAIR16 window and many tiles carry escapes.
static std::vector<uint16_t> weights(uint64_t n, double sigma, int wide)
{
    std::vector<uint16_t> w(n);
    for (auto &x : w) x = wz_f32_to_bf16((float)(sigma * gauss() * (wide ? exp2(-(double)(rnd() % 25)) : 1.0)));
    return w;
}

static void test_decode_exact(uint64_t r, uint64_t c, uint32_t T, uint32_t K, double sigma, int model = WZ_TA_MODEL_PAIR16, int wide = 0,
                              bool gemv = true)
{
    std::vector<uint16_t> w = weights(r * c, sigma, wide);
    auto b = encode(w, r, c, T, K, model);
    wz_ta_view v;
    if (wz_ta_parse(b.data(), b.size(), &v) == WZ_OK && wide) EXPECT(v.h->nesc > 0, "wide weights made no escapes");
    wz_gpu_ta *g;
    EXPECT(wz_gpu_ta_upload(b.data(), b.size(), &g) == WZ_OK, "upload %s", wz_err_detail());
    uint16_t *d; cudaMalloc(&d, r * c * 2); cudaMemset(d, 0xff, r * c * 2);
    EXPECT(wz_gpu_ta_decode(g, d, 0) == WZ_OK && wz_gpu_ta_check(g) == WZ_OK, "decode %s", wz_err_detail());
    std::vector<uint16_t> back(r * c);
    cudaMemcpy(back.data(), d, r * c * 2, cudaMemcpyDeviceToHost);
    EXPECT(memcmp(back.data(), w.data(), r * c * 2) == 0, "decode %llux%llu tile %ux%u not bit-exact", (unsigned long long)r, (unsigned long long)c, T, K);
    // Fused GEMV vs fp64 on the decoded (= original) weights.
    // 3, 13, 40: MMA order pads the last n-tile; 1 and 13 again at the end:
    // the tensor-core kernels must leave their split-K sums at zero (v35).
    for (int M : {1, 2, 3, 4, 8, 13, 16, 32, 40, 64, 13, 1}) {
        if (!gemv || !wz_gpu_ta_fused_ok(g, M)) continue;
        double e = gemv_check(w, r, c, M, [&](const uint16_t *dx, uint16_t *dy, float *acc) {
            return wz_gpu_ta_gemv(g, dx, M, dy, acc, 0) == WZ_OK && wz_gpu_ta_check(g) == WZ_OK;
        });
        EXPECT(e < 1e-2, "gemv M=%d %llux%llu rel.err %.3e (%s)", M, (unsigned long long)r, (unsigned long long)c, e, wz_err_detail());
    }
    cudaFree(d);
    wz_gpu_ta_free(g);
}

static void test_hostile()
{
    std::vector<uint16_t> w(256 * 512);
    for (auto &x : w) x = wz_f32_to_bf16((float)(0.02 * gauss()));
    auto b = encode(w, 256, 512, 64, 256);
    wz_gpu_ta *g;
    // Truncated blob and broken offsets are rejected on the host, before launch.
    EXPECT(wz_gpu_ta_upload(b.data(), b.size() - 1, &g) == WZ_ERR_CORRUPT, "truncated blob accepted");
    auto c = b;
    uint32_t *off = (uint32_t *)(c.data() + sizeof(wz_ta_header));
    off[1] = off[2] + 5;
    EXPECT(wz_gpu_ta_upload(c.data(), c.size(), &g) == WZ_ERR_CORRUPT, "bad tile offsets accepted");
    // Flipped stream bits: the kernel must flag the tile, not crash.
    int flagged = 0;
    for (int t = 0; t < 20; t++) {
        c = b;
        wz_ta_view v; wz_ta_parse(c.data(), c.size(), &v);
        size_t words_at = (const uint8_t *)v.words - c.data();
        c[words_at + rnd() % (v.h->nwords * 2)] ^= (uint8_t)(1 + rnd() % 255);
        if (wz_gpu_ta_upload(c.data(), c.size(), &g) != WZ_OK) { flagged++; continue; }
        uint16_t *d; cudaMalloc(&d, w.size() * 2);
        wz_gpu_ta_decode(g, d, 0);
        flagged += wz_gpu_ta_check(g) == WZ_ERR_CORRUPT;
        EXPECT(cudaGetLastError() == cudaSuccess, "kernel fault on corrupt stream");
        cudaFree(d);
        wz_gpu_ta_free(g);
    }
    EXPECT(flagged >= 18, "only %d of 20 corrupted streams detected", flagged);
    // PAIR16 escapes moved between tiles (index still spans the escapes):
    // the tiles' escape counts no longer match and the kernels must say so.
    std::vector<uint16_t> ww = weights(256 * 512, 0.02, 1);
    auto e = encode(ww, 256, 512, 64, 256);
    wz_ta_view v;
    EXPECT(wz_ta_parse(e.data(), e.size(), &v) == WZ_OK && v.esc_off && v.esc_off[1] > 0, "escape test blob");
    ((uint32_t *)v.esc_off)[1] -= 1;
    EXPECT(wz_gpu_ta_upload(e.data(), e.size(), &g) == WZ_OK, "escape-shifted blob should pass host checks");
    uint16_t *d; cudaMalloc(&d, ww.size() * 2);
    wz_gpu_ta_decode(g, d, 0);
    EXPECT(wz_gpu_ta_check(g) == WZ_ERR_CORRUPT, "shifted escapes not flagged by the decoder");
    float *acc; uint16_t *dy; cudaMalloc(&acc, 4 * 256 * 4); cudaMalloc(&dy, 4 * 256 * 2);
    cudaMemset(d, 0, 4 * 512 * 2);
    wz_gpu_ta_gemv(g, d, 4, dy, acc, 0);
    EXPECT(wz_gpu_ta_check(g) == WZ_ERR_CORRUPT, "shifted escapes not flagged by the fused GEMV");
    EXPECT(cudaGetLastError() == cudaSuccess, "kernel fault on shifted escapes");
    cudaFree(d); cudaFree(acc); cudaFree(dy);
    wz_gpu_ta_free(g);
}

static void test_bitmap(const wz_codec *codec, uint64_t r, uint64_t c, double sigma, int order = WZ_TA_ORDER_ROWS)
{
    std::vector<uint16_t> w(r * c);
    for (auto &x : w) x = wz_f32_to_bf16((float)(sigma * gauss()));
    wz_codec_params p; wz_codec_params_default(&p); p.order = order;
    wz_codec_input in = {WZ_DT_BF16, r, c, w.data()};
    std::vector<uint8_t> b(codec->bound(&p, &in));
    size_t len;
    EXPECT(codec->encode(&p, &in, b.data(), b.size(), &len, NULL) == WZ_OK, "%s encode", codec->name);
    wz_gpu_bm *g;
    EXPECT(wz_gpu_bm_upload(b.data(), len - 1, &g) == WZ_ERR_CORRUPT, "truncated bitmap blob accepted");
    EXPECT(wz_gpu_bm_upload(b.data(), len, &g) == WZ_OK, "bitmap upload %s", wz_err_detail());
    uint16_t *d; cudaMalloc(&d, r * c * 2); cudaMemset(d, 0xff, r * c * 2);
    EXPECT(wz_gpu_bm_decode(g, d, 0) == WZ_OK && cudaDeviceSynchronize() == cudaSuccess, "bitmap decode");
    std::vector<uint16_t> back(r * c);
    cudaMemcpy(back.data(), d, r * c * 2, cudaMemcpyDeviceToHost);
    EXPECT(memcmp(back.data(), w.data(), r * c * 2) == 0, "%s decode %llux%llu not bit-exact", codec->name, (unsigned long long)r, (unsigned long long)c);
    // 3, 13, 40: the MMA order pads the last n-tile; 13, 1 again: sums left
    // at zero. Past 64 (wgmma, MMA order, rows % 128 and cols % 64 == 0):
    // 65, 200: a partial token block; 128 / 256: one block of 128 / 256
    // tokens; 520: three blocks, K unsplit on the 4096-row matrix; the
    // small matrices split K (sums kept at zero: 65 again after 256).
    // Every path the blob has for M, and the automatic choice: the wgmma
    // GEMM at every M (at M <= 64 with 16 decoders where cols % 128 == 0,
    // else with 8 and a second consumer warpgroup that has no tokens).
    for (int M : {1, 2, 3, 4, 8, 13, 16, 32, 40, 64, 13, 1, 65, 128, 200, 256, 65, 520}) {
        if (!wz_gpu_bm_fused_ok(g, M)) continue;
        for (int path : {WZ_BM_AUTO, WZ_BM_WARP, WZ_BM_WGMMA}) {
            if (!wz_gpu_bm_path_ok(g, M, path)) continue;
            if (getenv("WZ_GPU_TEST_VERBOSE")) { printf("  %s %llux%llu M=%d path %d\n", codec->name, (unsigned long long)r, (unsigned long long)c, M, path); fflush(stdout); }
            double e = gemv_check(w, r, c, M, [&](const uint16_t *dx, uint16_t *dy, float *acc) {
                return wz_gpu_bm_gemm(g, dx, M, dy, acc, path, 0) == WZ_OK && cudaDeviceSynchronize() == cudaSuccess;
            });
            EXPECT(e < 1e-2, "%s (order %d, path %d) gemm M=%d %llux%llu rel.err %.3e", codec->name, order, path, M, (unsigned long long)r,
                   (unsigned long long)c, e);
        }
    }
    if (!wz_gpu_bm_fused_ok(g, 3)) { // a batch the blob has no kernel for is refused, not run
        float *acc; uint16_t *y; cudaMalloc(&acc, 3 * r * 4); cudaMalloc(&y, 3 * r * 2);
        EXPECT(wz_gpu_bm_gemv(g, (const uint16_t *)d, 3, y, acc, 0) == WZ_ERR_ARG, "%s gemv M=3 not refused", codec->name);
        cudaFree(acc); cudaFree(y);
    }
    cudaFree(d);
    wz_gpu_bm_free(g);
}

// The pipelined path's parts on one codec's matrix: the row-range decode
// gives the original rows bit for bit (aligned slices, the last one short,
// a capped grid), refuses slices off the tile grid or past the matrix, and
// the pipelined GEMM matches fp64 for slice counts that do and do not
// divide the tile-rows (more slices than tile-rows too), confined and not,
// at small and large M; a decoder that would take every SM is refused.
static void test_pipe(const wz_gpu_rows_src &src, const std::vector<uint16_t> &w, const char *what)
{
    const uint64_t r = src.rows, c = src.cols, A = src.align;
    uint16_t *d; cudaMalloc(&d, r * c * 2);
    std::vector<uint16_t> back(r * c);
    const uint64_t units = (r + A - 1) / A;
    const uint64_t cuts[][2] = {{0, r}, {0, A}, {A, std::min(r, 3 * A)}, {(units - 1) * A, r}, {units / 2 * A, r}};
    for (auto &k : cuts) {
        if (k[0] >= k[1]) continue;
        for (int sms : {0, 3}) {
            const uint64_t n = (k[1] - k[0]) * c;
            cudaMemset(d, 0xff, r * c * 2);
            EXPECT(src.decode_rows(src.g, k[0], k[1], d, sms, 0) == WZ_OK && cudaDeviceSynchronize() == cudaSuccess, "%s decode rows %llu..%llu: %s", what,
                   (unsigned long long)k[0], (unsigned long long)k[1], wz_err_detail());
            cudaMemcpy(back.data(), d, r * c * 2, cudaMemcpyDeviceToHost);
            EXPECT(memcmp(back.data(), &w[k[0] * c], n * 2) == 0, "%s rows %llu..%llu (%d SMs) not bit-exact", what, (unsigned long long)k[0],
                   (unsigned long long)k[1], sms);
            bool untouched = true; // nothing written past the slice
            for (uint64_t i = n; i < r * c; i++) untouched &= back[i] == 0xffff;
            EXPECT(untouched, "%s rows %llu..%llu wrote past the slice", what, (unsigned long long)k[0], (unsigned long long)k[1]);
        }
    }
    EXPECT(src.decode_rows(src.g, 1, r, d, 0, 0) == WZ_ERR_ARG, "%s: a slice off the tile grid accepted", what);
    EXPECT(src.decode_rows(src.g, 0, r + 1, d, 0, 0) == WZ_ERR_ARG, "%s: a slice past the matrix accepted", what);
    EXPECT(src.decode_rows(src.g, A, A, d, 0, 0) == WZ_ERR_ARG, "%s: an empty slice accepted", what);
    if (units > 2) EXPECT(src.decode_rows(src.g, 0, A + 1, d, 0, 0) == WZ_ERR_ARG, "%s: a slice ending inside a tile-row accepted", what);
    cudaFree(d);
    wz_gpu_pipe *p;
    EXPECT(wz_gpu_pipe_create(&p) == WZ_OK, "pipe create: %s", wz_err_detail());
    int sms = 0;
    cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
    const int cfg[][2] = {{1, 0}, {3, 2}, {4, 0}, {7, 8}, {1000, 16}};
    for (int M : {1, 5, 64, 130})
        for (auto &k : cfg) {
            double e = gemv_check(w, r, c, M, [&](const uint16_t *dx, uint16_t *dy, float *) {
                return wz_gpu_pipe_gemm(p, &src, dx, M, dy, k[0], k[1], 0) == WZ_OK && cudaDeviceSynchronize() == cudaSuccess;
            });
            EXPECT(e < 1e-2, "%s pipelined M=%d slices %d SMs %d rel.err %.3e (%s)", what, M, k[0], k[1], e, wz_err_detail());
        }
    EXPECT(wz_gpu_pipe_gemm(p, &src, (const uint16_t *)nullptr, 1, nullptr, 2, sms, 0) == WZ_ERR_ARG, "%s: a decoder on every SM accepted", what);
    EXPECT(wz_gpu_pipe_buffer_bytes(p) >= 2 * ((r + A - 1) / A * A) * c, "%s: pipe buffers smaller than one whole-matrix slice", what);
    wz_gpu_pipe_free(p);
}

static void test_pipe_codecs(uint64_t r, uint64_t c)
{
    std::vector<uint16_t> w = weights(r * c, 0.5, 1); // escapes in many tiles
    for (int ord : {WZ_TA_ORDER_ROWS, WZ_TA_ORDER_MMA}) {
        g_order = ord;
        auto b = encode(w, r, c, 32, 256);
        g_order = WZ_TA_ORDER_ROWS;
        wz_gpu_ta *g;
        if (wz_gpu_ta_upload(b.data(), b.size(), &g) != WZ_OK) { EXPECT(0, "upload %s", wz_err_detail()); continue; }
        test_pipe(wz_gpu_ta_rows_src(g), w, ord ? "tile-ans (mma)" : "tile-ans (rows)");
        EXPECT(wz_gpu_ta_check(g) == WZ_OK, "tile-ans stream check after the pipelined runs");
        wz_gpu_ta_free(g);
    }
    for (int k = 0; k < 3; k++) {
        const wz_codec *codec = k ? &wz_codec_bitmap4 : &wz_codec_bitmap;
        wz_codec_params pp; wz_codec_params_default(&pp); pp.order = k == 2 ? WZ_TA_ORDER_MMA : WZ_TA_ORDER_ROWS;
        wz_codec_input in = {WZ_DT_BF16, r, c, w.data()};
        std::vector<uint8_t> b(codec->bound(&pp, &in));
        size_t len;
        wz_gpu_bm *g;
        if (codec->encode(&pp, &in, b.data(), b.size(), &len, NULL) != WZ_OK || wz_gpu_bm_upload(b.data(), len, &g) != WZ_OK) {
            EXPECT(0, "%s encode/upload %s", codec->name, wz_err_detail());
            continue;
        }
        test_pipe(wz_gpu_bm_rows_src(g), w, k == 2 ? "bitmap4 (mma)" : codec->name);
        wz_gpu_bm_free(g);
    }
}

// pairhuff: the warp schedule on the GPU against the CPU codec — decode bit
// for bit (edge blocks, an odd column count, escapes, partial segments,
// more segments than resident warps), the fused GEMV at M = 1..8 on fresh
// activations against fp64, M = 9 refused, and flipped stream bytes never
// fault (garbage inside the matrix at worst: reads are clamped).
static void test_pairhuff(uint64_t r, uint64_t c, double sigma, int wide)
{
    std::vector<uint16_t> w = weights(r * c, sigma, wide);
    wz_codec_params p; wz_codec_params_default(&p);
    wz_codec_input in = {WZ_DT_BF16, r, c, w.data()};
    std::vector<uint8_t> b(wz_codec_pairhuff.bound(&p, &in));
    size_t len;
    EXPECT(wz_codec_pairhuff.encode(&p, &in, b.data(), b.size(), &len, NULL) == WZ_OK, "pairhuff encode");
    wz_gpu_ph *g;
    EXPECT(wz_gpu_ph_upload(b.data(), len - 1, &g) == WZ_ERR_CORRUPT, "truncated pairhuff blob accepted");
    EXPECT(wz_gpu_ph_upload(b.data(), len, &g) == WZ_OK, "pairhuff upload %s", wz_err_detail());
    uint16_t *d; cudaMalloc(&d, r * c * 2); cudaMemset(d, 0xff, r * c * 2);
    EXPECT(wz_gpu_ph_decode(g, d, 0) == WZ_OK && cudaDeviceSynchronize() == cudaSuccess, "pairhuff decode");
    std::vector<uint16_t> back(r * c);
    cudaMemcpy(back.data(), d, r * c * 2, cudaMemcpyDeviceToHost);
    EXPECT(memcmp(back.data(), w.data(), r * c * 2) == 0, "pairhuff decode %llux%llu not bit-exact", (unsigned long long)r, (unsigned long long)c);
    for (int M : {1, 2, 3, 8, 1}) {
        double e = gemv_check(w, r, c, M, [&](const uint16_t *dx, uint16_t *dy, float *acc) {
            return wz_gpu_ph_gemv(g, dx, M, dy, acc, 0) == WZ_OK && cudaDeviceSynchronize() == cudaSuccess;
        });
        EXPECT(e < 1e-2, "pairhuff gemv M=%d %llux%llu rel.err %.3e", M, (unsigned long long)r, (unsigned long long)c, e);
    }
    float *acc; uint16_t *y; cudaMalloc(&acc, 9 * r * 4); cudaMalloc(&y, 9 * r * 2);
    EXPECT(wz_gpu_ph_gemv(g, (const uint16_t *)d, 9, y, acc, 0) == WZ_ERR_ARG, "pairhuff gemv M=9 not refused");
    cudaFree(acc); cudaFree(y);
    wz_gpu_ph_free(g);
    wz_ph_view v;
    EXPECT(wz_ph_parse(b.data(), len, &v) == WZ_OK, "pairhuff parse");
    const size_t words_at = (const uint8_t *)v.words - b.data();
    for (int k = 0; k < 10; k++) {
        auto bad = b;
        bad[words_at + rnd() % (v.h->nwords * 4)] ^= (uint8_t)(1 + rnd() % 255);
        if (wz_gpu_ph_upload(bad.data(), len, &g) != WZ_OK) continue;
        wz_gpu_ph_decode(g, d, 0);
        EXPECT(cudaDeviceSynchronize() == cudaSuccess, "pairhuff: kernel fault on a corrupt stream");
        wz_gpu_ph_free(g);
    }
    cudaFree(d);
}

// The peers' decoders: bit-exact, and a flipped stream byte is flagged or harmless, never a fault.
static void test_peers(uint64_t r, uint64_t c)
{
    std::vector<uint16_t> w(r * c);
    for (auto &x : w) x = wz_f32_to_bf16((float)(0.02 * gauss()));
    wz_codec_params p; wz_codec_params_default(&p);
    wz_codec_input in = {WZ_DT_BF16, r, c, w.data()};
    for (const wz_codec *cd : {&wz_codec_dfloat11, &wz_codec_neuzip}) {
        std::vector<uint8_t> b(cd->bound(&p, &in));
        size_t len;
        EXPECT(cd->encode(&p, &in, b.data(), b.size(), &len, NULL) == WZ_OK, "%s encode", cd->name);
        b.resize(len);
        uint16_t *d; cudaMalloc(&d, r * c * 2); cudaMemset(d, 0xff, r * c * 2);
        int df = cd == &wz_codec_dfloat11;
        wz_gpu_df *gd = NULL; wz_gpu_nz *gn = NULL;
        EXPECT(df ? wz_gpu_df_upload(b.data(), len - 1, &gd) != WZ_OK : wz_gpu_nz_upload(b.data(), len - 1, &gn) != WZ_OK, "%s: truncated blob accepted", cd->name);
        EXPECT((df ? wz_gpu_df_upload(b.data(), len, &gd) : wz_gpu_nz_upload(b.data(), len, &gn)) == WZ_OK, "%s upload %s", cd->name, wz_err_detail());
        if (df) { wz_gpu_df_decode(gd, d, 0); EXPECT(wz_gpu_df_check(gd) == WZ_OK, "dfloat11 check %s", wz_err_detail()); }
        else { wz_gpu_nz_decode(gn, d, 0); EXPECT(wz_gpu_nz_check(gn) == WZ_OK, "neuzip check %s", wz_err_detail()); }
        std::vector<uint16_t> back(r * c);
        cudaMemcpy(back.data(), d, r * c * 2, cudaMemcpyDeviceToHost);
        EXPECT(memcmp(back.data(), w.data(), r * c * 2) == 0, "%s GPU decode %llux%llu not bit-exact", cd->name, (unsigned long long)r, (unsigned long long)c);
        wz_gpu_df_free(gd); wz_gpu_nz_free(gn);
        /* Flip bytes in the coded stream (past the header): flagged or exact, no fault. */
        int flagged = 0;
        for (int k = 0; k < 10; k++) {
            auto bad = b;
            size_t at = 700 + rnd() % (len / 3);
            bad[at] ^= (uint8_t)(1 + rnd() % 255);
            gd = NULL; gn = NULL;
            if ((df ? wz_gpu_df_upload(bad.data(), len, &gd) : wz_gpu_nz_upload(bad.data(), len, &gn)) != WZ_OK) { flagged++; continue; }
            if (df) { wz_gpu_df_decode(gd, d, 0); flagged += wz_gpu_df_check(gd) != WZ_OK; }
            else { wz_gpu_nz_decode(gn, d, 0); flagged += wz_gpu_nz_check(gn) != WZ_OK; }
            EXPECT(cudaGetLastError() == cudaSuccess, "%s: kernel fault on a corrupt stream", cd->name);
            wz_gpu_df_free(gd); wz_gpu_nz_free(gn);
        }
        printf("gpu_test: %s: %d of 10 corrupted blobs flagged\n", cd->name, flagged);
        cudaFree(d);
    }
}

// Host-only (runs where no GPU is): the wgmma GEMM's endings (v48) index
// its sums through wg_layout.cuh. Each (token row, column) of the BM x 128
// tile is one accumulator of one consumer thread, the sums' order is a
// permutation of the tile, and Y's pieces read exactly the accumulators
// that PTX's D layout puts at their 8 columns.
template <int MT, int NC>
static void test_wg_layout()
{
    constexpr uint32_t BM = 64 * MT * NC, N = BM * 128;
    std::vector<int> at(N, -1), used(N, 0); // at[row 128 + col]: the sums' index there
    for (uint32_t ct = 0; ct < 128 * NC; ct++)
        for (uint32_t m = 0; m < MT; m++)
            for (uint32_t e = 0; e < 64; e++) {
                const uint32_t r = wg_acc_row(MT, ct, m, e), c = wg_acc_col(ct, e);
                const int i = wg_sum_index<NC>((int)ct, (int)m, (int)e);
                if (r >= BM || c >= 128 || i < 0 || (uint32_t)i >= N) { EXPECT(0, "wg_layout MT=%d NC=%d: ct %u m %u e %u out of the tile", MT, NC, ct, m, e); return; }
                EXPECT(at[r * 128 + c] < 0, "wg_layout MT=%d NC=%d: row %u col %u held twice", MT, NC, r, c);
                EXPECT(!used[i]++, "wg_layout MT=%d NC=%d: sums index %d used twice", MT, NC, i);
                at[r * 128 + c] = i;
                if (fails) return; // one line, not thousands
            }
    for (uint32_t r = 0; r < BM; r++)
        for (uint32_t q = 0; q < 16; q++) {
            uint32_t oa, ob;
            wg_piece<MT, NC>(r, q, oa, ob);
            for (uint32_t k = 0; k < 4; k++) {
                EXPECT((int)(oa / 4 + k) == at[r * 128 + 8 * q + 2 * k], "wg_piece MT=%d NC=%d row %u piece %u: column %u", MT, NC, r, q, 8 * q + 2 * k);
                EXPECT((int)(ob / 4 + k) == at[r * 128 + 8 * q + 2 * k + 1], "wg_piece MT=%d NC=%d row %u piece %u: column %u", MT, NC, r, q, 8 * q + 2 * k + 1);
                if (fails) return;
            }
        }
}

int main()
{
    test_wg_layout<1, 1>(); // the kernel's shapes: <1, 16, 1>, <1, 8, 2>, <2, 8, 2>
    test_wg_layout<1, 2>();
    test_wg_layout<2, 2>();
    if (fails) { printf("gpu_test: %d host-side failures\n", fails); return 1; }
    const char *why;
    if (!wz_gpu_available(&why)) { printf("gpu_test: SKIP (no GPU: %s)\n", why); return 0; }
    // WZ_GPU_TEST_ONLY=pairhuff | bitmap4: just that codec's newest tests
    // (bitmap4: the MMA order, with the wgmma GEMM past M = 64): a short device call.
    const char *only = getenv("WZ_GPU_TEST_ONLY");
    const bool all = !only || !*only;
    if (!all && strcmp(only, "pairhuff") && strcmp(only, "bitmap4")) {
        printf("gpu_test: WZ_GPU_TEST_ONLY=%s: the filters are 'pairhuff' and 'bitmap4'\n", only);
        return 2;
    }
    if (!all) { if (!strcmp(only, "pairhuff")) goto pairhuff; goto bitmap4; }
    test_decode_exact(256, 512, 64, 256, 0.02);
    test_decode_exact(96, 272, 64, 256, 0.5);    // edge tiles in both dims
    test_decode_exact(100, 301, 64, 256, 0.5);   // odd row stride: the GEMV's 16-bit activation loads
    test_decode_exact(1024, 1024, 128, 128, 1e-3);
    test_decode_exact(64, 4096, 32, 512, 0.02);
    // More tiles than resident warps (132 SMs x 32): each warp's raw-plane
    // queue runs on into its next tile (v26); 32x32 tiles make every queued
    // group cross a tile boundary.
    test_decode_exact(8192, 1024, 32, 32, 0.02);
    test_decode_exact(4608, 16384, 64, 256, 0.02, WZ_TA_MODEL_PAIR16, 0, false);
    test_decode_exact(256, 512, 64, 256, 0.02, WZ_TA_MODEL_SPLIT16);     // the v1 model
    test_decode_exact(96, 272, 64, 256, 0.5, WZ_TA_MODEL_SPLIT16);
    test_decode_exact(256, 512, 64, 256, 0.02, WZ_TA_MODEL_PAIR16, 1);   // many escapes
    test_decode_exact(96, 272, 64, 256, 0.5, WZ_TA_MODEL_PAIR16, 1);
    test_hostile();
    // Two rANS states per lane (v4, the GPU plans' choice): the same tests
    // through the ILP 2 kernels.
    g_lane_states = 2;
    test_decode_exact(256, 512, 64, 256, 0.02);
    test_decode_exact(96, 272, 64, 256, 0.5, WZ_TA_MODEL_PAIR16, 1);
    test_decode_exact(8192, 1024, 32, 32, 0.02);
    test_hostile();
    // The MMA element order (v5): decode by stmatrix, every M on tensor
    // cores; one and two states, edge tiles, odd strides, escapes, many tiles.
    g_order = WZ_TA_ORDER_MMA;
    for (int ls : {1, 2}) {
        g_lane_states = ls;
        test_decode_exact(256, 512, 64, 256, 0.02);
        test_decode_exact(96, 272, 64, 256, 0.5);
        test_decode_exact(100, 301, 64, 256, 0.5);
        test_decode_exact(96, 272, 64, 256, 0.5, WZ_TA_MODEL_PAIR16, 1);
        test_decode_exact(8192, 1024, 32, 32, 0.02);
        test_decode_exact(64, 4096, 32, 320, 0.02);
        test_decode_exact(100, 648, 32, 320, 0.5); // activations staged (v38): partial tile-row group, zero-filled last tile column
        test_decode_exact(64, 2048, 32, 1024, 0.02); // wide tiles: staged at M <= 32, from L2 beyond (the shared-memory opt-in limit)
        test_hostile();
    }
    g_order = WZ_TA_ORDER_ROWS;
    g_lane_states = 0;
    test_peers(256, 512);
    test_peers(300, 1000);
    for (const wz_codec *c : {&wz_codec_bitmap, &wz_codec_bitmap4}) {
        test_bitmap(c, 256, 512, 0.02);
        test_bitmap(c, 100, 300, 3.0);   // edge blocks, many escapes
        test_bitmap(c, 64, 256, 1e-30);  // subnormal-heavy: escapes everywhere
    }
    // bitmap4 in the MMA order (v2 blobs): decode by stmatrix, every M on
    // tensor cores; edge blocks, odd row stride, escapes, many units.
bitmap4:
    test_pipe_codecs(1000, 512); // 31 whole tile-rows and one of 8 rows
    test_pipe_codecs(64, 301);   // two tile-rows, an odd row stride
    test_bitmap(&wz_codec_bitmap4, 256, 512, 0.02, WZ_TA_ORDER_MMA);
    test_bitmap(&wz_codec_bitmap4, 128, 256, 3.0, WZ_TA_ORDER_MMA);   // wgmma (every M): escapes in most blocks
    test_bitmap(&wz_codec_bitmap4, 128, 256, 1e-30, WZ_TA_ORDER_MMA); // and everywhere
    test_bitmap(&wz_codec_bitmap4, 100, 300, 3.0, WZ_TA_ORDER_MMA);
    test_bitmap(&wz_codec_bitmap4, 100, 301, 0.5, WZ_TA_ORDER_MMA);
    test_bitmap(&wz_codec_bitmap4, 100, 296, 0.5, WZ_TA_ORDER_MMA); // activations staged (v38): partial row group and last block
    test_bitmap(&wz_codec_bitmap4, 64, 256, 1e-30, WZ_TA_ORDER_MMA);
    test_bitmap(&wz_codec_bitmap4, 4096, 1024, 0.02, WZ_TA_ORDER_MMA);
    test_bitmap(&wz_codec_bitmap4, 128, 320, 0.5, WZ_TA_ORDER_MMA); // wgmma at M <= 64 with cols % 128 != 0: the 8-decoder shape
    test_bitmap(&wz_codec_bitmap4, 128 * 140, 256, 0.02, WZ_TA_ORDER_MMA); // 140 tiles at M <= 128: more than a wave of SMs (stream-K where WZ_WG_STREAMK is on; off: a block a tile)
    if (!all) goto done;
pairhuff: // last with bitmap4's wgmma GEMM above: the newest kernels (a fault would take the context, and every later test, with it)
    test_pairhuff(256, 512, 0.02, 0);
    test_pairhuff(37, 531, 0.5, 1);     // edge blocks, odd columns, escapes, a partial segment
    test_pairhuff(8192, 8192, 0.02, 0); // 4096 segments: more than one wave of warps (3168 at 3 blocks an SM)
    test_pairhuff(64, 256, 1e-30, 0);   // subnormals: exponent 0 pairs
done:
    printf("gpu_test: %s (%d failures)\n", fails ? "FAILED" : "all passed", fails);
    return fails ? 1 : 0;
}
