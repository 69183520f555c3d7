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
#include "harness/bench_registry.h"
}

namespace {
struct Data { wz_dtype dt; uint64_t rows, cols; std::vector<uint8_t> bytes; };

Data make(wz_dtype dt)
{
    Data d{dt, 4096, 4096, {}};
    uint64_t n = d.rows * d.cols, s = 7;
    d.bytes.resize(n * (size_t)wz_codec_elem_bytes(dt));
    for (uint64_t i = 0; i < n; i++) {
        s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
        uint64_t r = s * 0x2545F4914F6CDD1DULL;
        double u = ((r >> 11) + 0.5) / 9007199254740992.0, v = (((r * 0x9E3779B97F4A7C15ULL) >> 11) + 0.5) / 9007199254740992.0;
        double g = std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v);
        if (dt == WZ_DT_BF16) { uint16_t h = wz_f32_to_bf16((float)(0.02 * g)); memcpy(&d.bytes[2 * i], &h, 2); }
        else d.bytes[i] = (uint8_t)(int8_t)std::lround(std::fmax(-127, std::fmin(127, 20 * g)));
    }
    return d;
}

void bench(benchmark::State &st, const wz_codec *c, const Data *d, bool decode, int threads)
{
    omp_set_num_threads(threads);
    wz_codec_params p;
    wz_codec_params_default(&p);
    p.threads = threads;
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
                    benchmark::RegisterBenchmark(name.c_str(), bench, c, d, dec, t)->UseRealTime()->Unit(benchmark::kMillisecond);
                }
                if (maxt == 1) break;
            }
        }
    }
}
