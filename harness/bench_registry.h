/* bench_registry.h — lets bench_cpu.cc register one benchmark per codec. */
#ifndef WZ_BENCH_REGISTRY_H
#define WZ_BENCH_REGISTRY_H
void wz_bench_register_codecs(void); /* defined in bench_codecs.cc */
#endif
