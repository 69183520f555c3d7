// bench_codecs.cc — codec benchmarks (filled in by the codec registry).
#include <benchmark/benchmark.h>
extern "C" {
#include "harness/bench_registry.h"
}
void wz_bench_register_codecs(void) {}
