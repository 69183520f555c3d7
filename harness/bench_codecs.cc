// bench_codecs.cc — encode/decode throughput of every codec in the registry
// (Google Benchmark), on one core and on all cores, bytes = uncompressed
// tensor bytes. Synthetic bf16 weights (gaussian, sigma 0.02) and int8
// codes; custom counter bits_per_weight.
#include <benchmark/benchmark.h>
#include <omp.h>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>
extern "C" {
#include "codecs/codecs.h"
#include "datasets/datasets.h"
#include "harness/bench_registry.h"
}

namespace {
struct Data { wz_dtype dt; uint64_t rows, cols; std::vector<uint8_t> bytes; };

Data make(wz_dtype dt)
{
    Data d{dt, 4096, 4096, {}};
    uint64_t n = d.rows * d.cols;
    d.bytes.resize(n * (size_t)wz_codec_elem_bytes(dt));
    if (dt == WZ_DT_BF16) { // the project's synthetic weights (datasets/synth.c)
        wz_synth_matrix_bf16((uint16_t *)d.bytes.data(), d.rows, d.cols, 7);
        return d;
    }
    // int8: the same weights at 20 codes per base sigma (0.02), clamped to
    // +-127 — the code spread (~6.4 bits) the earlier gaussian input had.
    std::vector<uint16_t> w(n);
    wz_synth_matrix_bf16(w.data(), d.rows, d.cols, 7);
    for (uint64_t i = 0; i < n; i++)
        d.bytes[i] = (uint8_t)(int8_t)std::lround(std::fmax(-127.0, std::fmin(127.0, wz_bf16_to_f32(w[i]) / 0.02 * 20)));
    return d;
}

// variant: 0 = the codec's defaults; 1 = tile-ans in a GPU plan's layout
// (32x256 tiles, two states per lane, MMA element order: kernels/plan-h100.tsv),
// whose CPU decoder scatters element by element; 2 = bitmap4 in the MMA
// order (the layout gpu_bench uses since v32).
void bench(benchmark::State &st, const wz_codec *c, const Data *d, bool decode, int threads, int variant)
{
    omp_set_num_threads(threads);
    wz_codec_params p;
    wz_codec_params_default(&p);
    p.threads = threads;
    if (variant == 1) { p.tile_rows = 32; p.tile_cols = 256; p.lane_states = 2; p.order = WZ_TA_ORDER_MMA; }
    if (variant == 2) p.order = WZ_TA_ORDER_MMA;
    wz_codec_input in{d->dt, d->rows, d->cols, d->bytes.data()};
    std::vector<uint8_t> blob(c->bound(&p, &in)), back(d->bytes.size());
    size_t len = 0;
    if (c->encode(&p, &in, blob.data(), blob.size(), &len, nullptr)) { st.SkipWithError(wz_err_detail()); return; }
    for (auto _ : st) {
        wz_err e = decode ? c->decode(blob.data(), len, back.data(), back.size()) : c->encode(&p, &in, blob.data(), blob.size(), &len, nullptr);
        if (e) { st.SkipWithError(wz_err_detail()); return; }
        benchmark::ClobberMemory();
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(d->bytes.size()));
    st.counters["bits_per_weight"] = 8.0 * (double)len / (double)(d->rows * d->cols);
    st.counters["threads"] = threads;
}
} // namespace

void wz_bench_register_codecs(void)
{
    static Data bf = make(WZ_DT_BF16), i8 = make(WZ_DT_I8);
    int maxt = omp_get_max_threads();
    for (size_t k = 0; k < wz_codec_count(); k++) {
        const wz_codec *c = wz_codec_at(k);
        for (const Data *d : {&bf, &i8}) {
            if (!c->supports(d->dt)) continue;
            for (int t : {1, maxt}) {
                if (t == 1 && maxt == 1 && false) continue;
                for (bool dec : {false, true}) {
                    std::string name = std::string(c->name) + "/" + (d->dt == WZ_DT_BF16 ? "bf16" : "int8") + "/" + (dec ? "decode" : "encode") +
                                       "/threads:" + std::to_string(t);
                    benchmark::RegisterBenchmark(name.c_str(), bench, c, d, dec, t, 0)->UseRealTime()->Unit(benchmark::kMillisecond);
                    if ((c == &wz_codec_tile_ans || c == &wz_codec_bitmap4) && d == &bf) {
                        const bool ta = c == &wz_codec_tile_ans;
                        std::string pn = std::string(ta ? "tile-ans-plan-mma" : "bitmap4-mma") + "/bf16/" + (dec ? "decode" : "encode") + "/threads:" + std::to_string(t);
                        benchmark::RegisterBenchmark(pn.c_str(), bench, c, d, dec, t, ta ? 1 : 2)->UseRealTime()->Unit(benchmark::kMillisecond);
                    }
                }
                if (maxt == 1) break;
            }
        }
    }
}
