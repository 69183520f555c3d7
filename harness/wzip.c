/* wzip.c — the command-line entry point: dispatch to subcommands. */
#include "harness/harness.h"
#include <stdio.h>
#include <string.h>

static const struct { const char *name; int (*fn)(int, char **); const char *help; } k_cmds[] = {
    {"scan", wz_cmd_scan, "empirical entropy of a checkpoint, per tensor and per model"},
    {"bits", wz_cmd_bits, "compressed bits/weight per codec, split into gap terms (round trip verified)"},
    {"groups", wz_cmd_groups, "what 1-4 exponents per rANS symbol would cost (bf16; the multi-exponent decoder's size side)"},
    {"synth", wz_cmd_synth, "model-shaped synthetic bf16 checkpoint (sharded safetensors + index)"},
    {"convert", wz_cmd_convert, "cast / quantize a checkpoint: bf16 fp16 fp8-e4m3 fp8-e5m2 int8 int4 fp4"},
    {"serve", wz_cmd_serve, "serving model: weights, KV cache, max batch, decode tokens/s per codec"},
    {"compress", wz_cmd_compress, "safetensors file/directory -> .wz container"},
    {"decompress", wz_cmd_decompress, ".wz container -> byte-identical original"},
    {"gpu-bench", wz_cmd_gpu_bench, "GPU: decoders bit-exact, then fused decode+GEMM vs cuBLAS and the peers' pipelines (gpu_bench --help)"},
};

static int usage(FILE *f)
{
    fprintf(f, "wzip — lossless compression of LLM weights\nusage: wzip COMMAND [ARGS]\n");
    for (size_t i = 0; i < sizeof k_cmds / sizeof *k_cmds; i++) fprintf(f, "  %-12s %s\n", k_cmds[i].name, k_cmds[i].help);
    return f == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
    wz_set_command_line(argc, argv);
    if (argc < 2) return usage(stderr);
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) return usage(stdout);
    for (size_t i = 0; i < sizeof k_cmds / sizeof *k_cmds; i++)
        if (!strcmp(argv[1], k_cmds[i].name)) return k_cmds[i].fn(argc - 2, argv + 2);
    fprintf(stderr, "wzip: unknown command '%s' (try 'wzip help')\n", argv[1]);
    return 2;
}
