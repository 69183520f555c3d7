// bench_cpu.cc — Google Benchmark shim for the CPU hot loops.
// Registers C functions in loops (histograms now; the codec registry's
// encode/decode once it exists) with SetBytesProcessed for GB/s. Run via
// `make bench`, which writes results/cpu-bench.json with provenance in
// the benchmark context (commit, command, date come from Google Benchmark
// and AddCustomContext).
#include <benchmark/benchmark.h>
#include <omp.h>
#include <cstdlib>
#include <string>
#include <vector>
extern "C" {
#include "analysis/analysis.h"
#include "datasets/datasets.h"
#include "harness/bench_registry.h"
}

// Weights from the project's synthetic generator (datasets/synth.c), as
// gpu_bench and `wzip synth` use: 8192 x 8192 bf16 = 128 MB, far beyond L3.
static std::vector<uint16_t> bf16_weights(size_t rows, size_t cols)
{
    std::vector<uint16_t> x(rows * cols);
    wz_synth_matrix_bf16(x.data(), rows, cols, 42);
    return x;
}

static void BM_hist16(benchmark::State &st)
{
    static std::vector<uint16_t> x = bf16_weights(8192, 8192);
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
