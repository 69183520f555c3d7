// bench_cpu.cc — Google Benchmark shim for the CPU hot loops.
// Registers C functions in loops (histograms now; the codec registry's
// encode/decode once it exists) with SetBytesProcessed for GB/s. Run via
// `make bench`, which writes results/cpu-bench.json with provenance in
// the benchmark context (commit, command, date come from Google Benchmark
// and AddCustomContext).
#include <benchmark/benchmark.h>
#include <omp.h>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>
extern "C" {
#include "analysis/analysis.h"
#include "harness/bench_registry.h"
}

static std::vector<uint16_t> bf16_weights(size_t n)
{
    std::vector<uint16_t> x(n);
    uint64_t s = 42;
    for (size_t i = 0; i < n; i++) {
        s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
        uint64_t r = s * 0x2545F4914F6CDD1DULL;
        double u = ((r >> 11) + 0.5) / 9007199254740992.0;
        s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
        double v = ((s * 0x2545F4914F6CDD1DULL >> 11) + 0.5) / 9007199254740992.0;
        x[i] = wz_f32_to_bf16((float)(0.02 * std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v)));
    }
    return x;
}

static void BM_hist16(benchmark::State &st)
{
    static std::vector<uint16_t> x = bf16_weights(size_t(1) << 26); // 128 MB: far beyond L3
    std::vector<uint64_t> h(65536);
    omp_set_num_threads((int)st.range(0));
    for (auto _ : st) {
        wz_hist16(x.data(), x.size(), h.data());
        benchmark::DoNotOptimize(h.data());
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(x.size() * 2));
    st.counters["threads"] = (double)st.range(0);
}

int main(int argc, char **argv)
{
    int maxt = omp_get_max_threads();
    for (int t = 1; t <= maxt; t *= 2) benchmark::RegisterBenchmark("hist16_bf16", BM_hist16)->Arg(t)->UseRealTime();
    if ((maxt & (maxt - 1)) != 0) benchmark::RegisterBenchmark("hist16_bf16", BM_hist16)->Arg(maxt)->UseRealTime();
    wz_bench_register_codecs();
    const char *c = getenv("WZ_COMMIT");
    benchmark::AddCustomContext("commit", c ? c : "unknown");
    std::string cmd;
    for (int i = 0; i < argc; i++) cmd += std::string(i ? " " : "") + argv[i];
    benchmark::AddCustomContext("command", cmd);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
