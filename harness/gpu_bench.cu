// gpu_bench.cu — `wzip-gpu-bench`: encode model-shaped bf16 weights with
// tile-ans on the CPU, prove the GPU decoders bit-exact, then time
// standalone decode, fused decode+GEMV and cuBLAS bf16 in the same process,
// L2 flushed before every timed pass, medians of many repeats. Writes JSON
// with provenance (device, driver, clocks, commit, command, date).
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <algorithm>
#include <string>
#include <vector>
extern "C" {
#include "codecs/codecs.h"
#include "datasets/datasets.h"
#include "kernels/kernels.h"
}

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { fprintf(stderr, "gpu-bench: %s:%d: %s\n", __FILE__, __LINE__, cudaGetErrorString(e_)); exit(1); } } while (0)
#define CB(x) do { cublasStatus_t s_ = (x); if (s_ != CUBLAS_STATUS_SUCCESS) { fprintf(stderr, "gpu-bench: cuBLAS error %d at line %d\n", (int)s_, __LINE__); exit(1); } } while (0)
#define WZ(x) do { wz_err e_ = (x); if (e_ != WZ_OK) { fprintf(stderr, "gpu-bench: %s (%s)\n", wz_err_detail(), wz_err_name(e_)); exit(1); } } while (0)

struct Shape { const char *name; uint64_t out, in; };
// Qwen2.5-14B, one layer's linear ops (paper-facts.md §6): hidden 5120,
// intermediate 13824, 40 heads / 8 kv heads of 128 -> qkv 5120+2*1024.
static const Shape k_qwen14b[] = {{"qkv", 7168, 5120}, {"o", 5120, 5120}, {"gate_up", 27648, 5120}, {"down", 5120, 13824}};

static uint64_t mix(uint64_t x) { x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL; x ^= x >> 33; return x; }
static double unif(uint64_t k) { return ((mix(k) >> 11) + 0.5) / 9007199254740992.0; }
static double gauss(uint64_t k) { return sqrt(-2 * log(unif(2 * k))) * cos(6.283185307179586 * unif(2 * k + 1)); }

static float bf(uint16_t h) { return wz_bf16_to_f32(h); }

// The committed autotune table (kernels/plan-*.tsv, written by
// harness/autotune.py from gpu_bench runs of each candidate layout): per
// shape the tile-ans layout (tile, rANS states per lane, element order),
// per (shape, M) the path. Lines: shape out in tile lane_states order M
// path ('#' comments; plans before v30 have no order column: rows).
struct PlanRow { std::string shape, path; uint64_t out, in; uint32_t T, K; int ls, order, M; };
// A plan file's lines: the card it was tuned on from the '# <tag>' line (up
// to the ':'), then each row that is not a comment to parse(line, ln), which
// says on stderr what it expected and returns 0 where the row is bad.
template <class F>
static int read_plan_file(const char *path, const char *tag, std::string &device, F parse)
{
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "gpu_bench: cannot open plan %s\n", path); return 0; }
    char line[512];
    int ln = 0, ok = 1;
    while (ok && fgets(line, sizeof line, f)) {
        ln++;
        if (!strncmp(line, tag, strlen(tag))) {
            device.assign(line + strlen(tag));
            device = device.substr(0, device.find_first_of(":\n"));
        }
        if (line[0] == '#' || line[0] == '\n') continue;
        ok = parse(line, ln);
    }
    fclose(f);
    return ok;
}
static int read_plan(const char *path, std::vector<PlanRow> &rows, std::string &device)
{
    return read_plan_file(path, "# tile-ans plan for ", device, [&](const char *line, int ln) {
        char shape[64], tile[32], pth[32], ord[32];
        PlanRow r;
        unsigned long long o, i;
        int n = sscanf(line, "%63s %llu %llu %31s %d %31s %d %31s", shape, &o, &i, tile, &r.ls, ord, &r.M, pth);
        if (n != 8 && sscanf(line, "%63s %llu %llu %31s %d %d %31s", shape, &o, &i, tile, &r.ls, &r.M, pth) == 7) { n = 8; strcpy(ord, "rows"); }
        r.order = !strcmp(ord, "mma") ? WZ_TA_ORDER_MMA : WZ_TA_ORDER_ROWS;
        if (n != 8 || sscanf(tile, "%ux%u", &r.T, &r.K) != 2 || (r.ls != 1 && r.ls != 2) || r.M < 1 || (strcmp(ord, "rows") && strcmp(ord, "mma")) ||
            (strcmp(pth, "fused-gemv") && strcmp(pth, "fused-mma") && strcmp(pth, "decode+cublas") && strcmp(pth, "pipelined"))) {
            fprintf(stderr, "gpu_bench: %s:%d: expected 'shape out in TxK lane_states rows|mma M fused-gemv|fused-mma|decode+cublas|pipelined'\n", path, ln);
            return 0;
        }
        r.shape = shape; r.path = pth; r.out = o; r.in = i;
        rows.push_back(r);
        return 1;
    });
}
// The bitmap4 plan (kernels/plan-bm4-*.tsv, harness/autotune.py --bitmap4):
// per (shape, M) the path — warp (bitmap.cu's kernels), wgmma
// (bm4_wgmma.cu), decode+cublas or pipelined (kernels/pipeline.cu: the
// decode hidden behind cuBLAS; its slices and decoder SMs are the fastest
// of this run's sweep). Lines: shape out in M path.
struct Bm4PlanRow { std::string shape; uint64_t out, in; int M, path; };
enum { B4_WARP, B4_WGMMA, B4_DC, B4_PIPE, B4_NPATHS };
static const char *const B4_NAME[B4_NPATHS] = {"warp", "wgmma", "decode+cublas", "pipelined"};
static int read_bm4_plan(const char *path, std::vector<Bm4PlanRow> &rows, std::string &device)
{
    return read_plan_file(path, "# bitmap4 plan for ", device, [&](const char *line, int ln) {
        char shape[64], pth[32];
        unsigned long long o, i;
        Bm4PlanRow r;
        r.path = -1;
        if (sscanf(line, "%63s %llu %llu %d %31s", shape, &o, &i, &r.M, pth) == 5)
            for (int k = 0; k < B4_NPATHS; k++) if (!strcmp(pth, B4_NAME[k])) r.path = k;
        if (r.path < 0 || r.M < 1) {
            fprintf(stderr, "gpu_bench: %s:%d: expected 'shape out in M warp|wgmma|decode+cublas|pipelined'\n", path, ln);
            return 0;
        }
        r.shape = shape; r.out = o; r.in = i;
        rows.push_back(r);
        return 1;
    });
}
static const PlanRow *plan_find(const std::vector<PlanRow> &rows, const char *shape, int M)
{
    for (const PlanRow &r : rows)
        if (r.shape == shape && (M == 0 || r.M == M)) return &r;
    return NULL;
}

// L2 flush by reading (not writing) 128 MB: a memset would leave ~50 MB of
// dirty lines that the timed kernel then pays to write back.
__global__ void flush_read_kernel(const uint4 *p, size_t n, unsigned *sink)
{
    unsigned acc = 0;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) { uint4 v = p[i]; acc ^= v.x ^ v.y ^ v.z ^ v.w; }
    if (acc == 0x9e3779b9u) *sink = acc; // practically never; keeps the loads alive
}

// A pure streaming read of n 16-byte words, U loads in flight a thread:
// the best a kernel that only reads these bytes can do (read_floor_us).
template <int U>
__global__ void read_kernel(const uint4 *p, size_t n, unsigned *sink)
{
    const size_t st = (size_t)gridDim.x * blockDim.x;
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    unsigned acc = 0;
    for (; i + (U - 1) * st < n; i += U * st) {
        uint4 v[U];
#pragma unroll
        for (int j = 0; j < U; j++) v[j] = __ldcs(p + i + j * st);
#pragma unroll
        for (int j = 0; j < U; j++) acc ^= v[j].x ^ v[j].y ^ v[j].z ^ v[j].w;
    }
    for (; i < n; i += st) { uint4 v = __ldcs(p + i); acc ^= v.x ^ v.y ^ v.z ^ v.w; }
    if (acc == 0x9e3779b9u) *sink = acc;
}

struct Timer {
    cudaEvent_t a, b;
    void *flush; size_t flush_bytes;
    unsigned *sink;
    Timer()
    {
        CK(cudaEventCreate(&a)); CK(cudaEventCreate(&b));
        flush_bytes = 128u << 20; CK(cudaMalloc(&flush, flush_bytes)); CK(cudaMemset(flush, 1, flush_bytes));
        CK(cudaMalloc(&sink, sizeof *sink));
    }
    template <class F> double median_us(F f, int reps)
    {
        std::vector<float> t;
        f(); f(); CK(cudaDeviceSynchronize()); // warm-up
        for (int i = 0; i < reps; i++) {
            flush_read_kernel<<<264, 1024>>>((const uint4 *)flush, flush_bytes / 16, sink); // evict L2 (50 MB) before each pass
            CK(cudaEventRecord(a));
            f();
            CK(cudaEventRecord(b));
            CK(cudaEventSynchronize(b));
            float ms; CK(cudaEventElapsedTime(&ms, a, b)); t.push_back(ms * 1000.f);
        }
        std::sort(t.begin(), t.end());
        return t[t.size() / 2];
    }
};

// The read floor of `bytes` bytes: the fastest of a few launch shapes of
// read_kernel (L2 flushed before each pass, as every timing here), launch
// and tail included — what a kernel that must read these bytes and do
// nothing else takes on this card. Compressed kernels are measured against
// it (kernels/NOTES.md v49): copy bandwidth counts writes a GEMM never makes.
static double read_floor_us(Timer &tm, const void *p, size_t bytes, int reps)
{
    const size_t n = bytes / 16;
    int sms = 0;
    CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    double best = 1e30;
    struct { int per_sm, threads, u; } cfg[] = {{4, 256, 4}, {8, 256, 4}, {2, 1024, 4}, {4, 512, 8}, {8, 512, 2}, {16, 128, 8}};
    for (auto c : cfg) {
        const int grid = sms * c.per_sm;
        const double t = tm.median_us([&] {
            if (c.u == 2) read_kernel<2><<<grid, c.threads>>>((const uint4 *)p, n, tm.sink);
            else if (c.u == 4) read_kernel<4><<<grid, c.threads>>>((const uint4 *)p, n, tm.sink);
            else read_kernel<8><<<grid, c.threads>>>((const uint4 *)p, n, tm.sink);
        }, reps);
        best = std::min(best, t);
    }
    CK(cudaGetLastError());
    return best;
}

// The driver's version string ("580.159.04") from NVML, loaded at run time
// (no link-time dependency: the build machine has no driver); "" where
// NVML is missing. `driver` in the provenance is the CUDA version the
// driver supports (13000), which names no driver build.
static std::string driver_version()
{
    char v[96] = "";
    void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) return v;
    typedef int (*Init)(void);
    typedef int (*Get)(char *, unsigned);
    Init init = (Init)dlsym(h, "nvmlInit_v2"), shut = (Init)dlsym(h, "nvmlShutdown");
    Get get = (Get)dlsym(h, "nvmlSystemGetDriverVersion");
    if (init && get && init() == 0) {
        if (get(v, sizeof v) != 0) v[0] = 0;
        if (shut) shut();
    }
    dlclose(h);
    return v;
}

// A GEMM check's error for the JSON: JSON has no infinity (jansson refuses
// it, and the key vanished, so a failed check read as no check), so an
// unwritten or non-finite output is null.
static json_t *json_err(double e) { return std::isfinite(e) ? json_real(e) : json_null(); }

static double rel_err(const std::vector<uint16_t> &y, const std::vector<double> &ref)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < y.size(); i++) {
        double v = bf(y[i]);
        if (!std::isfinite(v)) return INFINITY; // poisoned / unwritten output
        num += (v - ref[i]) * (v - ref[i]); den += ref[i] * ref[i];
    }
    return sqrt(num / den);
}

int main(int argc, char **argv)
{
    const char *out_path = "gpu-bench.json";
    int reps = 30;
    const char *only = NULL, *dump = NULL, *plan_path = NULL, *bm4_plan_path = NULL;
    std::string plan_device, bm4_plan_device;
    std::vector<PlanRow> plan;
    std::vector<Bm4PlanRow> bm4_plan;
    int bm4_order = WZ_TA_ORDER_MMA; // --bm4-order: bitmap4's element order (v32: MMA, its fused kernel at every M <= 64)
    int ta_only = 0; // --ta-only: tile-ans and cuBLAS only (autotune candidates), no baselines or peers
    int with_ph = 0; // --pairhuff: the pairhuff column (its kernels are new: not yet in the default run)
    std::vector<int> Ms = {1, 4, 16, 64, 256, 1024, 4096};
    // The pipelined path's sweep (slices x decoder SMs; 0 SMs: not confined)
    // from this many tokens: below, the GEMM is bound by the same memory the
    // decode needs, so hiding one behind the other cannot pay (--pipe-min-m).
    std::vector<std::pair<int, int>> pipe_cfgs = {{4, 8}, {4, 16}, {4, 32}, {8, 0}}; // the v50 sweeps' winners (results/gpu-bench-v50-pipe-*)
    int pipe_min_m = 256;
    wz_codec_params cp; wz_codec_params_default(&cp);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json") && i + 1 < argc) out_path = argv[++i];
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick")) { Ms = {1, 4, 64}; reps = 10; }
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--ms") && i + 1 < argc) { // after --quick: its reps, these batch sizes
            Ms.clear();
            std::string list = argv[++i]; // a copy: strtok must not cut argv, which the provenance records
            for (char *t = strtok(&list[0], ","); t; t = strtok(NULL, ",")) {
                int m = atoi(t);
                if (m < 1 || m > 65536) { fprintf(stderr, "gpu_bench: --ms takes batch sizes 1..65536, not '%s'\n", t); return 2; }
                Ms.push_back(m);
            }
            if (Ms.empty()) { fprintf(stderr, "gpu_bench: --ms needs at least one batch size\n"); return 2; }
        }
        else if (!strcmp(argv[i], "--dump") && i + 1 < argc) dump = argv[++i]; // weights + DFloat11-format blobs for harness/dfloat11_real.py
        else if (!strcmp(argv[i], "--tile") && i + 1 < argc) sscanf(argv[++i], "%ux%u", &cp.tile_rows, &cp.tile_cols);
        else if (!strcmp(argv[i], "--ta-only")) ta_only = 1;
        else if (!strcmp(argv[i], "--pairhuff")) with_ph = 1;
        else if (!strcmp(argv[i], "--pipe-min-m") && i + 1 < argc) {
            const char *m = argv[++i];
            char *end;
            const long v = strtol(m, &end, 10);
            if (end == m || *end || v < 1 || v > 65536) { fprintf(stderr, "gpu_bench: --pipe-min-m takes 1..65536, not '%s'\n", m); return 2; }
            pipe_min_m = (int)v;
        }
        else if (!strcmp(argv[i], "--pipe") && i + 1 < argc) { // slices x decoder SMs, comma-separated: 4x8,8x16
            pipe_cfgs.clear();
            std::string list = argv[++i];
            for (char *t = strtok(&list[0], ","); t; t = strtok(NULL, ",")) {
                int sl = 0, sm = -1, used = 0;
                if (sscanf(t, "%dx%d%n", &sl, &sm, &used) != 2 || t[used] || sl < 1 || sl > 256 || sm < 0 || sm > 1024) {
                    fprintf(stderr, "gpu_bench: --pipe takes SLICESxSMS,... (1..256 x 0..1024), not '%s'\n", t); return 2;
                }
                pipe_cfgs.push_back({sl, sm});
            }
            if (pipe_cfgs.empty()) { fprintf(stderr, "gpu_bench: --pipe needs at least one SLICESxSMS\n"); return 2; }
        }
        else if (!strcmp(argv[i], "--plan") && i + 1 < argc) { plan_path = argv[++i]; if (!read_plan(plan_path, plan, plan_device)) return 2; }
        else if (!strcmp(argv[i], "--bm4-plan") && i + 1 < argc) { bm4_plan_path = argv[++i]; if (!read_bm4_plan(bm4_plan_path, bm4_plan, bm4_plan_device)) return 2; }
        else if (!strcmp(argv[i], "--lane-states") && i + 1 < argc) {
            const char *m = argv[++i];
            if (strcmp(m, "1") && strcmp(m, "2")) { fprintf(stderr, "gpu_bench: --lane-states takes 1 or 2, not '%s'\n", m); return 2; }
            cp.lane_states = atoi(m);
        }
        else if (!strcmp(argv[i], "--order") && i + 1 < argc) {
            const char *m = argv[++i];
            if (strcmp(m, "rows") && strcmp(m, "mma")) { fprintf(stderr, "gpu_bench: --order takes rows or mma, not '%s'\n", m); return 2; }
            cp.order = !strcmp(m, "mma") ? WZ_TA_ORDER_MMA : WZ_TA_ORDER_ROWS;
        }
        else if (!strcmp(argv[i], "--bm4-order") && i + 1 < argc) {
            const char *m = argv[++i];
            if (strcmp(m, "rows") && strcmp(m, "mma")) { fprintf(stderr, "gpu_bench: --bm4-order takes rows or mma, not '%s'\n", m); return 2; }
            bm4_order = !strcmp(m, "mma") ? WZ_TA_ORDER_MMA : WZ_TA_ORDER_ROWS;
        }
        else if (!strcmp(argv[i], "--ta-model") && i + 1 < argc) {
            const char *m = argv[++i];
            if (strcmp(m, "split16") && strcmp(m, "pair16")) { fprintf(stderr, "gpu_bench: --ta-model takes pair16 or split16, not '%s'\n", m); return 2; }
            cp.bf16_model = !strcmp(m, "split16") ? WZ_TA_MODEL_SPLIT16 : WZ_TA_MODEL_PAIR16;
        }
        else { fprintf(stderr, "usage: gpu_bench [--json FILE] [--reps N] [--quick] [--ms M1,M2..] [--tile TxK] [--only SHAPE] [--ta-model pair16|split16] [--lane-states 1|2] [--order rows|mma] [--bm4-order rows|mma] [--plan FILE] [--bm4-plan FILE] [--ta-only] [--pairhuff] [--pipe SxK,..] [--pipe-min-m M] [--dump DIR]\n"); return 2; }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *why;
    if (!wz_gpu_available(&why)) { printf("gpu-bench: SKIP: %s\n", why); return 0; }
    cudaDeviceProp prop; CK(cudaGetDeviceProperties(&prop, 0));
    int drv = 0, rt = 0, clk = 0, memclk = 0; cudaDriverGetVersion(&drv); cudaRuntimeGetVersion(&rt);
    cudaDeviceGetAttribute(&clk, cudaDevAttrClockRate, 0); cudaDeviceGetAttribute(&memclk, cudaDevAttrMemoryClockRate, 0);
    printf("device: %s, %d SMs, driver %d, runtime %d\n", prop.name, prop.multiProcessorCount, drv, rt);
    if (plan_path && plan_device != prop.name) // still runs: the plan is a choice of layouts, any card decodes them
        printf("gpu-bench: note: plan %s was tuned on '%s', this is '%s'\n", plan_path, plan_device.c_str(), prop.name);
    if (bm4_plan_path && bm4_plan_device != prop.name)
        printf("gpu-bench: note: bitmap4 plan %s was tuned on '%s', this is '%s'\n", bm4_plan_path, bm4_plan_device.c_str(), prop.name);
    Timer tm;
    // Copy bandwidth (bytes read + written), same process.
    size_t cb = 1ull << 30; void *ca, *cb2; CK(cudaMalloc(&ca, cb)); CK(cudaMalloc(&cb2, cb)); CK(cudaMemset(ca, 1, cb));
    double copy_us = tm.median_us([&] { CK(cudaMemcpyAsync(cb2, ca, cb, cudaMemcpyDeviceToDevice)); }, 10);
    double copy_bw = 2.0 * cb / (copy_us * 1e-6);
    const double read_bw = (double)cb / (read_floor_us(tm, ca, cb, 10) * 1e-6);
    CK(cudaFree(ca)); CK(cudaFree(cb2));
    printf("copy bandwidth: %.0f GB/s (read+write); read %.0f GB/s\n", copy_bw / 1e9, read_bw / 1e9);
    cublasHandle_t h; CB(cublasCreate(&h));
    wz_gpu_pipe *pipe; WZ(wz_gpu_pipe_create(&pipe));
    for (auto &c : pipe_cfgs) // a config that would leave the GEMM no SM is refused here, not mid-run
        if (c.second >= prop.multiProcessorCount) { fprintf(stderr, "gpu_bench: --pipe %dx%d: %d SMs on this card\n", c.first, c.second, prop.multiProcessorCount); return 2; }
    int rows_exact = 1; // every codec's row-range decode (the pipelined path's producer) equals its whole decode
    json_t *jshapes = json_array();
    std::vector<double> layer_cublas(Ms.size(), 0), layer_fused(Ms.size(), 0), layer_floor(Ms.size(), 0);
    // Fixed-length baselines: bitmap (3-bit, ZipServ-style) and bitmap4 (4-bit nibbles).
    const wz_codec *FL[2] = {&wz_codec_bitmap, &wz_codec_bitmap4};
    const char *FLN[2] = {"bitmap", "bitmap4"};
    std::vector<double> layer_bm[2] = {std::vector<double>(Ms.size(), 0), std::vector<double>(Ms.size(), 0)};
    std::vector<double> layer_ph(Ms.size(), 0); // pairhuff: fused GEMV at M <= 8, else decode + cuBLAS
    std::vector<double> layer_bfloor[2] = {std::vector<double>(Ms.size(), 0), std::vector<double>(Ms.size(), 0)};
    double layer_read[3] = {0, 0, 0}; // read floors of the layer's bf16 / tile-ans / bitmap4 bytes (us)
    // The peers' pipelines: decode the whole matrix to HBM, then cuBLAS.
    std::vector<double> layer_df(Ms.size(), 0), layer_nz(Ms.size(), 0);
    int all_exact = 1;
    double max_err_fused = 0, max_err_cublas = 0;
    for (const Shape &S : k_qwen14b) {
        if (only && strcmp(only, S.name)) continue;
        uint64_t n = S.out * S.in;
        std::vector<uint16_t> W(n);
        wz_synth_matrix_bf16(W.data(), S.out, S.in, 1 + (&S - k_qwen14b)); // datasets/synth.c
        wz_codec_input in = {WZ_DT_BF16, S.out, S.in, W.data()};
        // tile-ans layout: the plan's for this shape, else the command line's.
        wz_codec_params tcp = cp;
        const PlanRow *pl = plan_find(plan, S.name, 0);
        if (pl) {
            if (pl->out != S.out || pl->in != S.in) { fprintf(stderr, "gpu_bench: plan row for %s is %llux%llu, the shape is %llux%llu\n", S.name,
                                                              (unsigned long long)pl->out, (unsigned long long)pl->in, (unsigned long long)S.out, (unsigned long long)S.in); return 2; }
            tcp.tile_rows = pl->T; tcp.tile_cols = pl->K; tcp.lane_states = pl->ls; tcp.order = pl->order;
        }
        const int ta_ls = tcp.lane_states ? tcp.lane_states : 1;
        const char *ta_ord = tcp.order == WZ_TA_ORDER_MMA && tcp.bf16_model == WZ_TA_MODEL_PAIR16 ? "mma" : "rows";
        size_t cap = wz_codec_tile_ans.bound(&tcp, &in), len;
        std::vector<uint8_t> blob(cap);
        wz_cost cost;
        double t0 = omp_get_wtime();
        WZ(wz_codec_tile_ans.encode(&tcp, &in, blob.data(), cap, &len, &cost));
        double enc_s = omp_get_wtime() - t0;
        wz_gap gap = wz_cost_gap(&cost);
        wz_gpu_ta *g; WZ(wz_gpu_ta_upload(blob.data(), len, &g));
        // The fixed-length baselines on the same weights.
        size_t blen[2];
        wz_gap bgap[2];
        wz_gpu_bm *gb[2];
        for (int f = 0; f < 2; f++) {
            gb[f] = NULL; blen[f] = 0; bgap[f] = gap;
            if (ta_only) continue;
            std::vector<uint8_t> bblob(FL[f]->bound(&cp, &in));
            wz_cost bcost;
            wz_codec_params bp = cp;
            bp.order = f == 1 ? bm4_order : WZ_TA_ORDER_ROWS; // the 3-bit bitmap has rows only
            WZ(FL[f]->encode(&bp, &in, bblob.data(), bblob.size(), &blen[f], &bcost));
            bgap[f] = wz_cost_gap(&bcost);
            WZ(wz_gpu_bm_upload(bblob.data(), blen[f], &gb[f]));
        }
        // pairhuff (Huffman-coded exponent pairs): size class of tile-ans, a
        // lookup a pair (kernels/pairhuff.cu).
        size_t phlen = 0;
        wz_gap phgap = gap;
        wz_gpu_ph *gph = NULL;
        const int ph_on = with_ph && !ta_only;
        if (ph_on) {
            std::vector<uint8_t> pb(wz_codec_pairhuff.bound(&cp, &in));
            wz_cost pc;
            WZ(wz_codec_pairhuff.encode(&cp, &in, pb.data(), pb.size(), &phlen, &pc));
            phgap = wz_cost_gap(&pc);
            WZ(wz_gpu_ph_upload(pb.data(), phlen, &gph));
        }
        size_t dlen, nlen;
        wz_gap dgap, ngap;
        wz_gpu_df *gdf = NULL;
        wz_gpu_nz *gnz = NULL;
        dlen = nlen = 0; dgap = ngap = gap;
        if (!ta_only) {
            std::vector<uint8_t> b1(wz_codec_dfloat11.bound(&cp, &in)), b2(wz_codec_neuzip.bound(&cp, &in));
            wz_cost c1, c2;
            WZ(wz_codec_dfloat11.encode(&cp, &in, b1.data(), b1.size(), &dlen, &c1));
            if (dump) { // the same tensors for the real DFloat11 kernel (harness/dfloat11_real.py)
                char pth[1024];
                snprintf(pth, sizeof pth, "%s/%s.w", dump, S.name);
                FILE *f = fopen(pth, "wb");
                int ok = f && fwrite(W.data(), 2, n, f) == n;
                if (f) ok &= fclose(f) == 0;
                snprintf(pth, sizeof pth, "%s/%s.df11", dump, S.name);
                f = fopen(pth, "wb");
                ok &= f && fwrite(b1.data(), 1, dlen, f) == dlen;
                if (f) ok &= fclose(f) == 0;
                if (!ok) { fprintf(stderr, "gpu-bench: cannot write %s\n", pth); return 1; }
            }
            WZ(wz_codec_neuzip.encode(&cp, &in, b2.data(), b2.size(), &nlen, &c2));
            dgap = wz_cost_gap(&c1); ngap = wz_cost_gap(&c2);
            WZ(wz_gpu_df_upload(b1.data(), dlen, &gdf));
            WZ(wz_gpu_nz_upload(b2.data(), nlen, &gnz));
        }
        uint16_t *dW, *dDec; CK(cudaMalloc(&dW, n * 2)); CK(cudaMalloc(&dDec, n * 2));
        CK(cudaMemcpy(dW, W.data(), n * 2, cudaMemcpyHostToDevice));
        // Read floors of the three sizes (bf16, tile-ans, bitmap4), read from dW.
        const size_t rsz[3] = {n * 2, len, ta_only ? 0 : blen[1]};
        double rfl[3] = {0, 0, 0};
        for (int j = 0; j < 3; j++)
            if (rsz[j]) { rfl[j] = read_floor_us(tm, dW, rsz[j], reps); layer_read[j] += rfl[j]; }
        printf("%-8s read floor: bf16 %.1f us, tile-ans %.1f us, bitmap4 %.1f us\n", S.name, rfl[0], rfl[1], rfl[2]);
        // 1. Bit-exact decode (output poisoned first).
        CK(cudaMemset(dDec, 0xff, n * 2));
        WZ(wz_gpu_ta_decode(g, dDec, 0)); WZ(wz_gpu_ta_check(g));
        std::vector<uint16_t> back(n);
        CK(cudaMemcpy(back.data(), dDec, n * 2, cudaMemcpyDeviceToHost));
        int exact = memcmp(back.data(), W.data(), n * 2) == 0;
        all_exact &= exact;
        double dec_us = tm.median_us([&] { wz_gpu_ta_decode(g, dDec, 0); }, reps);
        WZ(wz_gpu_ta_check(g));
        double dec_bytes = (double)len + 2.0 * n; // compressed read + bf16 written
        double pdec_us[2] = {0, 0};
        int pexact[2] = {1, 1};
        for (int f = 0; f < 2 && !ta_only; f++) {
            CK(cudaMemset(dDec, 0xff, n * 2));
            if (f == 0) { WZ(wz_gpu_df_decode(gdf, dDec, 0)); WZ(wz_gpu_df_check(gdf)); }
            else { WZ(wz_gpu_nz_decode(gnz, dDec, 0)); WZ(wz_gpu_nz_check(gnz)); }
            CK(cudaMemcpy(back.data(), dDec, n * 2, cudaMemcpyDeviceToHost));
            pexact[f] = memcmp(back.data(), W.data(), n * 2) == 0;
            all_exact &= pexact[f];
            pdec_us[f] = tm.median_us([&] { if (f == 0) wz_gpu_df_decode(gdf, dDec, 0); else wz_gpu_nz_decode(gnz, dDec, 0); }, reps);
            printf("%-8s %-8s %.4f bits/w | decode %s %.1f us = %.0f GB/s bf16 out\n", S.name, f ? "neuzip" : "dfloat11", f ? ngap.total : dgap.total,
                   pexact[f] ? "bit-exact" : "MISMATCH", pdec_us[f], 2.0 * n / pdec_us[f] / 1e3);
        }
        int bexact[2] = {1, 1};
        double bdec_us[2] = {1, 1}, bdec_bytes[2] = {0, 0};
        for (int f = 0; f < 2 && !ta_only; f++) {
            CK(cudaMemset(dDec, 0xff, n * 2));
            WZ(wz_gpu_bm_decode(gb[f], dDec, 0));
            CK(cudaDeviceSynchronize());
            CK(cudaMemcpy(back.data(), dDec, n * 2, cudaMemcpyDeviceToHost));
            bexact[f] = memcmp(back.data(), W.data(), n * 2) == 0;
            all_exact &= bexact[f];
            bdec_us[f] = tm.median_us([&] { wz_gpu_bm_decode(gb[f], dDec, 0); }, reps);
            bdec_bytes[f] = (double)blen[f] + 2.0 * n;
            printf("%-8s %-7s %.4f bits/w | decode %s %.1f us = %.0f GB/s bf16 out, %.0f%% of copy roofline\n", S.name, FLN[f], bgap[f].total,
                   bexact[f] ? "bit-exact" : "MISMATCH", bdec_us[f], 2.0 * n / bdec_us[f] / 1e3, 100.0 * (bdec_bytes[f] / copy_bw * 1e6) / bdec_us[f]);
        }
        // The row-range decode (the pipelined path's producer): 7 slices, every
        // other one on 8 SMs' worth of blocks, each at its rows of the
        // poisoned output, must give the whole matrix bit for bit.
        auto rows_exact_of = [&](const wz_gpu_rows_src &src) {
            CK(cudaMemset(dDec, 0xff, n * 2));
            const uint64_t units = (src.rows + src.align - 1) / src.align;
            for (uint64_t j = 0; j < 7; j++) {
                const uint64_t r0 = units * j / 7 * src.align, r1 = std::min<uint64_t>(units * (j + 1) / 7 * src.align, src.rows);
                if (r0 < r1) WZ(src.decode_rows(src.g, r0, r1, dDec + r0 * S.in, j % 2 ? 8 : 0, 0));
            }
            CK(cudaDeviceSynchronize());
            CK(cudaMemcpy(back.data(), dDec, n * 2, cudaMemcpyDeviceToHost));
            return memcmp(back.data(), W.data(), n * 2) == 0;
        };
        int shape_rows_exact = rows_exact_of(wz_gpu_ta_rows_src(g));
        WZ(wz_gpu_ta_check(g));
        for (int f = 0; f < 2 && !ta_only; f++) shape_rows_exact &= rows_exact_of(wz_gpu_bm_rows_src(gb[f]));
        printf("%-8s row-range decode (7 slices): %s\n", S.name, shape_rows_exact ? "bit-exact" : "MISMATCH");
        rows_exact &= shape_rows_exact;
        all_exact &= shape_rows_exact;
        int phexact = 1;
        double phdec_us = 1;
        if (ph_on) {
            CK(cudaMemset(dDec, 0xff, n * 2));
            WZ(wz_gpu_ph_decode(gph, dDec, 0));
            CK(cudaDeviceSynchronize());
            CK(cudaMemcpy(back.data(), dDec, n * 2, cudaMemcpyDeviceToHost));
            phexact = memcmp(back.data(), W.data(), n * 2) == 0;
            all_exact &= phexact;
            phdec_us = tm.median_us([&] { wz_gpu_ph_decode(gph, dDec, 0); }, reps);
            printf("%-8s pairhuff %.4f bits/w | decode %s %.1f us = %.0f GB/s bf16 out, %.0f%% of copy roofline\n", S.name, phgap.total,
                   phexact ? "bit-exact" : "MISMATCH", phdec_us, 2.0 * n / phdec_us / 1e3, 100.0 * (((double)phlen + 2.0 * n) / copy_bw * 1e6) / phdec_us);
        }
        printf("%-8s %6llux%-6llu %.4f bits/w (H %.4f) enc %.2fs | decode %s %.1f us = %.0f GB/s bf16 out, %.0f%% of copy roofline\n", S.name,
               (unsigned long long)S.out, (unsigned long long)S.in, gap.total, gap.h_full, enc_s, exact ? "bit-exact" : "MISMATCH", dec_us,
               2.0 * n / dec_us / 1e3, 100.0 * (dec_bytes / copy_bw * 1e6) / dec_us);
        json_t *jm = json_array();
        for (size_t mi = 0; mi < Ms.size(); mi++) {
            int M = Ms[mi];
            std::vector<uint16_t> X((size_t)M * S.in);
            for (size_t i = 0; i < X.size(); i++) X[i] = wz_f32_to_bf16((float)gauss(((uint64_t)M << 48) ^ (i + 977 * mi) ^ ((uint64_t)S.out << 20)));
            uint16_t *dX, *dY; float *dAcc;
            CK(cudaMalloc(&dX, X.size() * 2)); CK(cudaMalloc(&dY, (size_t)M * S.out * 2)); CK(cudaMalloc(&dAcc, (size_t)M * S.out * 4));
            CK(cudaMemcpy(dX, X.data(), X.size() * 2, cudaMemcpyHostToDevice));
            float one = 1.f, zero = 0.f;
            auto cublas = [&](const uint16_t *Wd) {
                CB(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, (int)S.out, M, (int)S.in, &one, Wd, CUDA_R_16BF, (int)S.in, dX, CUDA_R_16BF,
                                (int)S.in, &zero, dY, CUDA_R_16BF, (int)S.out, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
            };
            // tile-ans path per (shape, M): the fused kernel where one exists
            // (CUDA-core GEMV for M <= 8, tensor-core GEMM for M = 16..64),
            // else decode + cuBLAS; where both exist both are checked and
            // timed and the faster is reported (the run-time autotune; the
            // JSON keeps both times).
            int ta_fused = wz_gpu_ta_fused_ok(g, M), both = ta_fused && M > WZ_GPU_GEMV_MAX_M;
            // The bitmap codecs' fused kernels where the blob has one for this
            // M (bitmap: 1, 2, 4, 8; bitmap4 rows: also 9..64; bitmap4
            // MMA order: mma.sync below WZ_GPU_BM4_WG_MIN_M, wgmma from there
            // where the shape allows, else mma.sync to 64), else decode + cuBLAS.
            const int bfused_ok[2] = {!ta_only && wz_gpu_bm_fused_ok(gb[0], M), !ta_only && wz_gpu_bm_fused_ok(gb[1], M)};
            int use_fused = ta_fused;
            // (MMA-order blobs: tensor cores at every M, so "fused-mma" for all.)
            const char *path = !ta_fused ? "decode+cublas" : M <= WZ_GPU_GEMV_MAX_M && strcmp(ta_ord, "mma") ? "fused-gemv" : "fused-mma";
            auto fused = [&] {
                if (use_fused) wz_gpu_ta_gemv(g, dX, M, dY, dAcc, 0);
                else { wz_gpu_ta_decode(g, dDec, 0); cublas(dDec); }
            };
            // bitmap4's paths at this M: the warp kernels (bitmap.cu, M <= 64),
            // the wgmma GEMM (bm4_wgmma.cu, where the shape has it) and decode +
            // cuBLAS, each checked against fp64 and timed. bitmap4_us is the
            // path the bitmap4 plan (--bm4-plan) names for this (shape, M), else
            // the fastest of this run (the run-time autotune); the JSON keeps
            // every path's time.
            const bool pipe_on = M >= pipe_min_m;
            const int b4ok[B4_NPATHS] = {!ta_only && wz_gpu_bm_path_ok(gb[1], M, WZ_BM_WARP), !ta_only && wz_gpu_bm_path_ok(gb[1], M, WZ_BM_WGMMA),
                                         !ta_only, !ta_only && pipe_on};
            int b4sel = -1; // the bitmap4 path bfused(1) runs; -1: the library's automatic choice
            auto bfused = [&](int f) {
                if (f == 1 && b4sel == B4_WARP) wz_gpu_bm_gemm(gb[f], dX, M, dY, dAcc, WZ_BM_WARP, 0);
                else if (f == 1 && b4sel == B4_WGMMA) wz_gpu_bm_gemm(gb[f], dX, M, dY, dAcc, WZ_BM_WGMMA, 0);
                else if (bfused_ok[f] && !(f == 1 && b4sel == B4_DC)) wz_gpu_bm_gemv(gb[f], dX, M, dY, dAcc, 0);
                else { wz_gpu_bm_decode(gb[f], dDec, 0); cublas(dDec); }
            };
            const Bm4PlanRow *b4p = NULL;
            for (const Bm4PlanRow &r : bm4_plan)
                if (r.shape == S.name && r.M == M) b4p = &r;
            if (b4p && (b4p->out != S.out || b4p->in != S.in || !b4ok[b4p->path])) {
                fprintf(stderr, "gpu_bench: bitmap4 plan row %s M=%d (%s, %llux%llu) does not fit this shape's blob\n", S.name, M, B4_NAME[b4p->path],
                        (unsigned long long)b4p->out, (unsigned long long)b4p->in);
                return 2;
            }
            const int ph_fused = ph_on && wz_gpu_ph_fused_ok(gph, M);
            auto phrun = [&] {
                if (ph_fused) wz_gpu_ph_gemv(gph, dX, M, dY, dAcc, 0);
                else { wz_gpu_ph_decode(gph, dDec, 0); cublas(dDec); }
            };
            // Correctness vs fp64 reference on a sample of rows (all rows for small M).
            uint64_t rstep = M <= 16 ? 1 : 97;
            std::vector<double> ref;
            std::vector<uint64_t> rows_s;
            for (uint64_t r = 0; r < S.out; r += rstep) rows_s.push_back(r);
            ref.resize(rows_s.size() * M);
#pragma omp parallel for schedule(dynamic, 16)
            for (int64_t ri = 0; ri < (int64_t)rows_s.size(); ri++)
                for (int m = 0; m < M; m++) {
                    double s = 0;
                    const uint16_t *wr = &W[rows_s[ri] * S.in], *xr = &X[(size_t)m * S.in];
                    for (uint64_t c = 0; c < S.in; c++) s += (double)bf(wr[c]) * bf(xr[c]);
                    ref[ri * M + m] = s;
                }
            // One path's output (poisoned first) against the fp64 reference.
            auto check = [&](auto run) {
                CK(cudaMemset(dY, 0xff, (size_t)M * S.out * 2));
                run();
                WZ(wz_gpu_ta_check(g));
                std::vector<uint16_t> Y((size_t)M * S.out);
                CK(cudaMemcpy(Y.data(), dY, Y.size() * 2, cudaMemcpyDeviceToHost));
                std::vector<uint16_t> ys(rows_s.size() * M);
                for (size_t ri = 0; ri < rows_s.size(); ri++) for (int m = 0; m < M; m++) ys[ri * M + m] = Y[(size_t)m * S.out + rows_s[ri]];
                return rel_err(ys, ref);
            };
            double errs[4], err_alt = 0;
            if (both) { // the decode + cuBLAS alternative, checked the same way
                use_fused = 0;
                err_alt = check(fused);
                use_fused = 1;
            }
            errs[0] = check(fused);
            errs[1] = check([&] { cublas(dW); });
            for (int f = 0; f < 2; f++) errs[2 + f] = ta_only ? 0 : check([&] { bfused(f); });
            for (b4sel = 0; b4sel < B4_NPATHS; b4sel++)
                if (b4ok[b4sel] && b4sel != B4_PIPE) errs[3] = std::max(errs[3], check([&] { bfused(1); })); // pipelined: its sweep below
            b4sel = -1;
            const double err_ph = ph_on ? check(phrun) : 0;
            max_err_fused = std::max(max_err_fused, err_ph);
            max_err_fused = std::max(max_err_fused, std::max(errs[0], std::max(errs[2], errs[3]))); max_err_cublas = std::max(max_err_cublas, errs[1]);
            // The pipelined path (kernels/pipeline.cu) from pipe_min_m tokens:
            // every config of the sweep checked against fp64 and timed; the
            // path's time is the fastest config's (a run-time choice, like
            // the fastest path where no plan names one).
            struct PipeRun { double us = 0; int sl = 0, sm = 0; json_t *sweep = NULL; };
            auto pipe_sweep = [&](const wz_gpu_rows_src &src) {
                PipeRun r;
                r.sweep = json_array();
                for (auto &c : pipe_cfgs) {
                    auto run = [&] { WZ(wz_gpu_pipe_gemm(pipe, &src, dX, M, dY, c.first, c.second, 0)); };
                    const double e = check(run), t = tm.median_us(run, reps);
                    max_err_fused = std::max(max_err_fused, std::isfinite(e) ? e : INFINITY);
                    json_array_append_new(r.sweep, json_pack("{s:i, s:i, s:f, s:o}", "slices", c.first, "dec_sms", c.second, "us", t, "rel_err", json_err(e)));
                    if (!r.us || t < r.us) { r.us = t; r.sl = c.first; r.sm = c.second; }
                }
                return r;
            };
            PipeRun ta_pipe, b4_pipe;
            if (pipe_on) ta_pipe = pipe_sweep(wz_gpu_ta_rows_src(g));
            if (b4ok[B4_PIPE]) b4_pipe = pipe_sweep(wz_gpu_bm_rows_src(gb[1]));
            double t_cublas = tm.median_us([&] { cublas(dW); }, reps);
            double t_fused = tm.median_us(fused, reps), t_mma = 0, t_dc = 0;
            const double t_ta_dc = ta_fused ? 0 : t_fused; // decode + cuBLAS where it is the only other path
            const PlanRow *pm = plan_find(plan, S.name, M);
            const char *best = path;
            if (both) {
                t_mma = t_fused;
                use_fused = 0;
                t_dc = tm.median_us(fused, reps);
                best = t_dc < t_mma ? "decode+cublas" : "fused-mma";
                // The plan's path where it names one this shape and M have,
                // else the faster of this run (the run-time choice).
                int dc = pm ? pm->path == "decode+cublas" : t_dc < t_mma;
                if (dc) { t_fused = t_dc; path = "decode+cublas"; }
                else use_fused = 1;
                max_err_fused = std::max(max_err_fused, err_alt);
            }
            if (pm && pm->path == "pipelined" && !pipe_on) {
                fprintf(stderr, "gpu_bench: plan row %s M=%d names pipelined, which runs from --pipe-min-m %d tokens\n", S.name, M, pipe_min_m);
                return 2;
            }
            if (pipe_on) { // the pipelined path: the plan's choice, else where it is the fastest
                if (ta_pipe.us < (both ? std::min(t_mma, t_dc) : t_fused)) best = "pipelined";
                if (pm ? pm->path == "pipelined" : ta_pipe.us < t_fused) { t_fused = ta_pipe.us; path = "pipelined"; }
            }
            double t_bm[2] = {1, 1}, t_df = 1, t_nz = 1; // --ta-only: placeholders, not written to the JSON
            double t_b4[B4_NPATHS] = {0, 0, 0, 0}, t_ph = 1;
            int b4fast = -1, b4used = -1;
            if (!ta_only) {
                t_bm[0] = tm.median_us([&] { bfused(0); }, reps);
                for (b4sel = 0; b4sel < B4_NPATHS; b4sel++)
                    if (b4ok[b4sel]) {
                        t_b4[b4sel] = b4sel == B4_PIPE ? b4_pipe.us : tm.median_us([&] { bfused(1); }, reps);
                        if (b4fast < 0 || t_b4[b4sel] < t_b4[b4fast]) b4fast = b4sel;
                    }
                b4sel = -1;
                b4used = b4p ? b4p->path : b4fast;
                t_bm[1] = t_b4[b4used];
                if (ph_on) t_ph = tm.median_us(phrun, reps);
                t_df = tm.median_us([&] { wz_gpu_df_decode(gdf, dDec, 0); cublas(dDec); }, reps);
                t_nz = tm.median_us([&] { wz_gpu_nz_decode(gnz, dDec, 0); cublas(dDec); }, reps);
            }
            layer_df[mi] += t_df; layer_nz[mi] += t_nz; layer_ph[mi] += t_ph;
            WZ(wz_gpu_ta_check(g));
            // Memory floor: compressed bytes at the measured copy rate (bytes
            // read + written per second, i.e. what HBM moves in total).
            double floor_us = (double)len / copy_bw * 1e6;
            double bfloor_us[2] = {(double)blen[0] / copy_bw * 1e6, (double)blen[1] / copy_bw * 1e6};
            layer_cublas[mi] += t_cublas; layer_fused[mi] += t_fused; layer_floor[mi] += floor_us;
            for (int f = 0; f < 2; f++) { layer_bm[f][mi] += t_bm[f]; layer_bfloor[f][mi] += bfloor_us[f]; }
            printf("  M=%-5d cuBLAS %8.1f | tile-ans %-13s %8.1f (%.2fx) | bitmap %8.1f (%.2fx) | bitmap4 %8.1f (%.2fx) | rel.err %.1e %.1e %.1e %.1e\n", M,
                   t_cublas, path, t_fused, t_cublas / t_fused, t_bm[0], t_cublas / t_bm[0], t_bm[1], t_cublas / t_bm[1], errs[0], errs[2], errs[3], errs[1]);
            json_t *jr = json_pack("{s:i, s:f, s:f, s:s, s:s, s:f, s:o, s:o, s:f}", "M", M, "cublas_us", t_cublas, "tile_ans_us", t_fused, "path", path,
                                   "fastest_path", best, "speedup", t_cublas / t_fused, "rel_err_tile_ans", json_err(errs[0]), "rel_err_cublas",
                                   json_err(errs[1]), "floor_us", floor_us);
            json_object_set_new(jr, "tile_ans_pct_floor", json_real(100.0 * floor_us / t_fused));
            for (int f = 0; f < 2 && !ta_only; f++) {
                char k[64];
                snprintf(k, sizeof k, "%s_us", FLN[f]); json_object_set_new(jr, k, json_real(t_bm[f]));
                snprintf(k, sizeof k, "%s_speedup", FLN[f]); json_object_set_new(jr, k, json_real(t_cublas / t_bm[f]));
                snprintf(k, sizeof k, "rel_err_%s", FLN[f]); json_object_set_new(jr, k, json_err(errs[2 + f]));
                snprintf(k, sizeof k, "%s_floor_us", FLN[f]); json_object_set_new(jr, k, json_real(bfloor_us[f]));
                snprintf(k, sizeof k, "%s_pct_floor", FLN[f]); json_object_set_new(jr, k, json_real(100.0 * bfloor_us[f] / t_bm[f]));
            }
            // bitmap4: every path's time (bitmap4_warp_us, bitmap4_wgmma_us,
            // bitmap4_decode_cublas_us where it has one), the one bitmap4_us
            // reports (bitmap4_path: the plan's, else the fastest) and the
            // fastest of this run (bitmap4_fastest: what autotune.py reads).
            if (!ta_only) {
                printf("           bitmap4");
                for (int k = 0; k < B4_NPATHS; k++)
                    if (b4ok[k]) {
                        char key[64];
                        snprintf(key, sizeof key, "bitmap4_%s_us", k == B4_DC ? "decode_cublas" : B4_NAME[k]);
                        json_object_set_new(jr, key, json_real(t_b4[k]));
                        printf(" | %s %.1f us", B4_NAME[k], t_b4[k]);
                    }
                if (b4ok[B4_PIPE]) {
                    json_object_set_new(jr, "bitmap4_pipelined_cfg", json_pack("{s:i, s:i}", "slices", b4_pipe.sl, "dec_sms", b4_pipe.sm));
                    json_object_set_new(jr, "bitmap4_pipelined_sweep", b4_pipe.sweep);
                }
                json_object_set_new(jr, "bitmap4_path", json_string(B4_NAME[b4used]));
                json_object_set_new(jr, "bitmap4_fastest", json_string(B4_NAME[b4fast]));
                printf(" | ran %s (%s)\n", B4_NAME[b4used], b4p ? "plan" : "fastest");
            }
            if (both) {
                json_object_set_new(jr, "tile_ans_mma_us", json_real(t_mma));
                json_object_set_new(jr, "tile_ans_decode_cublas_us", json_real(t_dc));
                printf("           tile-ans fused-mma %8.1f us | decode+cublas %8.1f us\n", t_mma, t_dc);
            } else if (t_ta_dc > 0) json_object_set_new(jr, "tile_ans_decode_cublas_us", json_real(t_ta_dc));
            if (pipe_on) {
                json_object_set_new(jr, "tile_ans_pipelined_us", json_real(ta_pipe.us));
                json_object_set_new(jr, "tile_ans_pipelined_cfg", json_pack("{s:i, s:i}", "slices", ta_pipe.sl, "dec_sms", ta_pipe.sm));
                json_object_set_new(jr, "tile_ans_pipelined_sweep", ta_pipe.sweep);
                printf("           pipelined: tile-ans %8.1f us (%d slices, %d SMs)", ta_pipe.us, ta_pipe.sl, ta_pipe.sm);
                if (b4ok[B4_PIPE]) printf(" | bitmap4 %8.1f us (%d slices, %d SMs)", b4_pipe.us, b4_pipe.sl, b4_pipe.sm);
                printf("\n");
            }
            if (!ta_only) {
                if (ph_on) {
                    json_object_set_new(jr, "pairhuff_us", json_real(t_ph));
                    json_object_set_new(jr, "pairhuff_speedup", json_real(t_cublas / t_ph));
                    json_object_set_new(jr, "rel_err_pairhuff", json_err(err_ph));
                    json_object_set_new(jr, "pairhuff_path", json_string(ph_fused ? "fused-mma" : "decode+cublas"));
                    printf("           pairhuff %-13s %8.1f us (%.2fx) rel.err %.1e\n", ph_fused ? "fused-mma" : "decode+cublas", t_ph, t_cublas / t_ph, err_ph);
                }
                json_object_set_new(jr, "dfloat11_pipeline_us", json_real(t_df));
                json_object_set_new(jr, "neuzip_pipeline_us", json_real(t_nz));
                printf("           dfloat11 pipeline %8.1f us | neuzip pipeline %8.1f us\n", t_df, t_nz);
            }
            json_array_append_new(jm, jr);
            CK(cudaFree(dX)); CK(cudaFree(dY)); CK(cudaFree(dAcc));
        }
        // The tile the blob has: the codec takes the requested one only where
        // it divides the matrix, else the nearest without padding (tile_ans.c).
        wz_ta_view tv;
        WZ(wz_ta_parse(blob.data(), len, &tv));
        json_array_append_new(jshapes, json_pack("{s:s, s:I, s:I, s:[i,i], s:i, s:f, s:f, s:I, s:b, s:f, s:f, s:f, s:f, s:o}", "name", S.name, "out",
                                                 (json_int_t)S.out, "in", (json_int_t)S.in, "tile", (int)tv.h->tile_rows, (int)tv.h->tile_cols,
                                                 "lane_states", ta_ls, "bits_per_weight", gap.total, "entropy_bits", gap.h_full,
                                                 "compressed_bytes", (json_int_t)len, "decode_bit_exact", exact, "decode_us", dec_us,
                                                 "decode_gbps_bf16_out", 2.0 * n / dec_us / 1e3, "decode_pct_copy_roofline",
                                                 100.0 * (dec_bytes / copy_bw * 1e6) / dec_us, "encode_s", enc_s, "by_M", jm));
        json_object_set_new(json_array_get(jshapes, json_array_size(jshapes) - 1), "order", json_string(tv.order == WZ_TA_ORDER_MMA ? "mma" : "rows"));
        json_object_set_new(json_array_get(jshapes, json_array_size(jshapes) - 1), "decode_rows_bit_exact", json_boolean(shape_rows_exact));
        json_object_set_new(json_array_get(jshapes, json_array_size(jshapes) - 1), "read_floor_us",
                            json_pack("{s:f, s:f, s:f}", "bf16", rfl[0], "tile_ans", rfl[1], "bitmap4", rfl[2]));
        if (!ta_only) json_object_set_new(json_array_get(jshapes, json_array_size(jshapes) - 1), "dfloat11",
                            json_pack("{s:f, s:I, s:b, s:f}", "bits_per_weight", dgap.total, "compressed_bytes", (json_int_t)dlen, "decode_bit_exact",
                                      pexact[0], "decode_us", pdec_us[0]));
        if (!ta_only) json_object_set_new(json_array_get(jshapes, json_array_size(jshapes) - 1), "neuzip",
                            json_pack("{s:f, s:I, s:b, s:f}", "bits_per_weight", ngap.total, "compressed_bytes", (json_int_t)nlen, "decode_bit_exact",
                                      pexact[1], "decode_us", pdec_us[1]));
        if (ph_on) json_object_set_new(json_array_get(jshapes, json_array_size(jshapes) - 1), "pairhuff",
                            json_pack("{s:f, s:I, s:b, s:f}", "bits_per_weight", phgap.total, "compressed_bytes", (json_int_t)phlen, "decode_bit_exact",
                                      phexact, "decode_us", phdec_us));
        wz_gpu_ph_free(gph);
        wz_gpu_df_free(gdf);
        wz_gpu_nz_free(gnz);
        for (int f = 0; f < 2 && !ta_only; f++) {
            json_object_set_new(json_array_get(jshapes, json_array_size(jshapes) - 1), FLN[f],
                                json_pack("{s:f, s:I, s:I, s:b, s:f, s:f}", "bits_per_weight", bgap[f].total, "compressed_bytes", (json_int_t)blen[f],
                                          // what the GPU holds: the blob and, for bitmap4, the wgmma GEMM's escape slots and list
                                          "gpu_resident_bytes", (json_int_t)wz_gpu_bm_bytes(gb[f]),
                                          "decode_bit_exact", bexact[f], "decode_us", bdec_us[f], "decode_pct_copy_roofline",
                                          100.0 * (bdec_bytes[f] / copy_bw * 1e6) / bdec_us[f]));
            wz_gpu_bm_free(gb[f]);
        }
        wz_gpu_ta_free(g); CK(cudaFree(dW)); CK(cudaFree(dDec));
    }
    printf("\nQwen2.5-14B layer (qkv+o+gate_up+down), %s, copy %.0f GB/s\n%6s %10s %10s %8s %8s %10s %8s %10s %8s %8s\n", prop.name, copy_bw / 1e9, "M",
           "cuBLAS", "tile-ans", "speedup", "floor", "bitmap", "speedup", "bitmap4", "speedup", "floor");
    json_t *jl = json_array();
    for (size_t mi = 0; mi < Ms.size(); mi++) {
        printf("%6d %10.1f %10.1f %7.2fx %8.1f %10.1f %7.2fx %10.1f %7.2fx %8.1f\n", Ms[mi], layer_cublas[mi], layer_fused[mi],
               layer_cublas[mi] / layer_fused[mi], layer_floor[mi], layer_bm[0][mi], layer_cublas[mi] / layer_bm[0][mi], layer_bm[1][mi],
               layer_cublas[mi] / layer_bm[1][mi], layer_bfloor[1][mi]);
        json_t *jr = json_pack("{s:i, s:f, s:f, s:f, s:f}", "M", Ms[mi], "cublas_us", layer_cublas[mi], "tile_ans_us", layer_fused[mi], "speedup",
                               layer_cublas[mi] / layer_fused[mi], "floor_us", layer_floor[mi]);
        json_object_set_new(jr, "tile_ans_pct_floor", json_real(100.0 * layer_floor[mi] / layer_fused[mi]));
        if (!ta_only) {
            for (int f = 0; f < 2; f++) {
                char k[64];
                snprintf(k, sizeof k, "%s_us", FLN[f]); json_object_set_new(jr, k, json_real(layer_bm[f][mi]));
                snprintf(k, sizeof k, "%s_speedup", FLN[f]); json_object_set_new(jr, k, json_real(layer_cublas[mi] / layer_bm[f][mi]));
                snprintf(k, sizeof k, "%s_floor_us", FLN[f]); json_object_set_new(jr, k, json_real(layer_bfloor[f][mi]));
                snprintf(k, sizeof k, "%s_pct_floor", FLN[f]); json_object_set_new(jr, k, json_real(100.0 * layer_bfloor[f][mi] / layer_bm[f][mi]));
            }
            if (with_ph) {
                json_object_set_new(jr, "pairhuff_us", json_real(layer_ph[mi]));
                json_object_set_new(jr, "pairhuff_speedup", json_real(layer_cublas[mi] / layer_ph[mi]));
                printf("       pairhuff %8.1f us (%.2fx)\n", layer_ph[mi], layer_cublas[mi] / layer_ph[mi]);
            }
            // Against the read floors: how close each kernel is to only reading its bytes, and the speed-up a kernel that did would have.
            json_object_set_new(jr, "read_floor_us", json_pack("{s:f, s:f, s:f}", "bf16", layer_read[0], "tile_ans", layer_read[1], "bitmap4", layer_read[2]));
            json_object_set_new(jr, "cublas_pct_read_floor", json_real(100.0 * layer_read[0] / layer_cublas[mi]));
            json_object_set_new(jr, "bitmap4_pct_read_floor", json_real(100.0 * layer_read[2] / layer_bm[1][mi]));
            json_object_set_new(jr, "tile_ans_pct_read_floor", json_real(100.0 * layer_read[1] / layer_fused[mi]));
            json_object_set_new(jr, "bitmap4_read_floor_speedup", json_real(layer_cublas[mi] / layer_read[2]));
            json_object_set_new(jr, "dfloat11_pipeline_us", json_real(layer_df[mi]));
            json_object_set_new(jr, "neuzip_pipeline_us", json_real(layer_nz[mi]));
            json_object_set_new(jr, "tile_ans_vs_dfloat11", json_real(layer_df[mi] / layer_fused[mi]));
            json_object_set_new(jr, "tile_ans_vs_neuzip", json_real(layer_nz[mi] / layer_fused[mi]));
            json_object_set_new(jr, "bitmap4_vs_dfloat11", json_real(layer_df[mi] / layer_bm[1][mi]));
            json_object_set_new(jr, "bitmap4_vs_neuzip", json_real(layer_nz[mi] / layer_bm[1][mi]));
            printf("       dfloat11 pipeline %8.1f us, neuzip pipeline %8.1f us: tile-ans %.2fx / %.2fx faster, bitmap4 %.2fx / %.2fx\n", layer_df[mi], layer_nz[mi],
                   layer_df[mi] / layer_fused[mi], layer_nz[mi] / layer_fused[mi], layer_df[mi] / layer_bm[1][mi], layer_nz[mi] / layer_bm[1][mi]);
        }
        json_array_append_new(jl, jr);
    }
    printf("all decoders bit-exact: %s; max rel.err fused %.2e, cuBLAS %.2e\n", all_exact ? "yes" : "NO", max_err_fused, max_err_cublas);
    char date[64]; time_t now = time(NULL); strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    std::string cmd; for (int i = 0; i < argc; i++) { cmd += i ? " " : ""; cmd += argv[i]; }
    // The commit: WZ_COMMIT, else the .commit file the device scripts carry
    // beside the working tree (a bare run there has no git), else unknown.
    const char *commit = getenv("WZ_COMMIT");
    char commit_file[64] = "";
    if (!commit || !*commit) {
        FILE *cf = fopen(".commit", "r");
        if (cf) {
            if (fscanf(cf, "%40[0-9a-f]", commit_file) == 1 && strlen(commit_file) == 40) commit = commit_file;
            fclose(cf);
        }
    }
    json_t *prov = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:s, s:s}", "device", prop.name, "sms", prop.multiProcessorCount,
                             "driver", drv, "runtime", rt, "sm_clock_khz", clk, "mem_clock_khz", memclk, "commit", commit ? commit : "unknown",
                             "command", cmd.c_str(), "date", date, "data", "synthetic (Qwen2.5-14B layer shapes, gaussian rows with lognormal scales and outlier columns)");
    json_t *root = json_pack("{s:o, s:f, s:b, s:i, s:[i,i], s:s, s:i, s:s?, s:o, s:o}", "provenance", prov, "copy_bandwidth_gbps", copy_bw / 1e9, "all_bit_exact",
                             all_exact, "reps", reps, "tile", cp.tile_rows, cp.tile_cols, "tile_ans_model",
                             cp.bf16_model == WZ_TA_MODEL_SPLIT16 ? "split16" : "pair16", "lane_states",
                             cp.lane_states ? cp.lane_states : 1, "plan", plan_path, "shapes", jshapes, "layer", jl);
#ifndef WZ_NVEXTRA
#define WZ_NVEXTRA ""
#endif
    json_object_set_new(root, "read_bandwidth_gbps", json_real(read_bw / 1e9)); // read_floor_us of 1 GB
    { // the pipelined path: its sweep, and the GPU memory its two slice buffers took at most (held beside the compressed weights)
        json_t *jc = json_array();
        for (auto &c : pipe_cfgs) json_array_append_new(jc, json_pack("[i,i]", c.first, c.second));
        json_object_set_new(root, "pipelined", json_pack("{s:i, s:o, s:I, s:b}", "min_M", pipe_min_m, "configs_slices_sms", jc, "buffer_bytes",
                                                         (json_int_t)wz_gpu_pipe_buffer_bytes(pipe), "decode_rows_bit_exact", rows_exact));
    }
    wz_gpu_pipe_free(pipe);
    { // how many clusters of k the wgmma GEMM's blocks fit at once (WZ_WG_CLU uses a cluster only where all of a launch's fit)
        json_t *jc = json_object();
        const int cm[2] = {64, 256};
        for (int i = 0; i < 2; i++) {
            json_t *ja = json_array();
            for (int k = 1; k <= 4; k++) json_array_append_new(ja, json_integer(wz_gpu_bm4_wg_cluster_fit(cm[i], k)));
            char key[16]; snprintf(key, sizeof key, "M%d", cm[i]);
            json_object_set_new(jc, key, ja);
        }
        json_object_set_new(root, "wgmma_cluster_fit_k1_4", jc);
    }
    json_object_set_new(prov, "build_flags", json_string(WZ_NVEXTRA)); // NVEXTRA of this build (A/B variants, experiments)
    json_object_set_new(prov, "driver_version", json_string(driver_version().c_str()));
    // Every timed output against fp64 (bf16 operands land at 1e-3..1e-2): null where one was not finite.
    json_object_set_new(root, "max_rel_err_fused", json_err(max_err_fused));
    json_object_set_new(root, "max_rel_err_cublas", json_err(max_err_cublas));
    json_object_set_new(root, "outputs_within_bf16_error", json_boolean(max_err_fused <= 1e-2 && max_err_cublas <= 1e-2));
    json_object_set_new(root, "order", json_string(cp.order == WZ_TA_ORDER_MMA ? "mma" : "rows")); // the command line's; per shape: shapes[].order
    json_object_set_new(root, "bitmap4_order", json_string(bm4_order == WZ_TA_ORDER_MMA ? "mma" : "rows"));
    if (plan_path) json_object_set_new(root, "plan_device", json_string(plan_device.c_str())); // the card the plan was tuned on
    json_object_set_new(root, "bm4_plan", bm4_plan_path ? json_string(bm4_plan_path) : json_null());
    if (bm4_plan_path) json_object_set_new(root, "bm4_plan_device", json_string(bm4_plan_device.c_str()));
    json_dump_file(root, out_path, JSON_INDENT(1));
    json_decref(root);
        return all_exact ? 0 : 1;
}
