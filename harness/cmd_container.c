/* cmd_container.c — `wzip compress IN -o OUT.wz [--codec NAME] [tile-ans layout]` and
 * `wzip decompress IN.wz -o OUT`. */
#include "codecs/codecs.h"
#include "harness/harness.h"
#include <stdio.h>
#include <string.h>

int wz_cmd_compress(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *codec = "tile-ans";
    wz_codec_params cp;
    wz_codec_params_default(&cp);
    int lay;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--codec") && i + 1 < argc) codec = argv[++i];
        else if ((lay = wz_parse_ta_layout(argc, argv, &i, &cp)) != 0) { if (lay < 0) { in = NULL; break; } } /* a GPU plan's layout (kernels/plan-*.tsv) */
        else if (argv[i][0] != '-' && !in) in = argv[i];
        else { in = NULL; break; }
    }
    if (!in || !out) { fprintf(stderr, "usage: wzip compress IN.safetensors|DIR -o OUT.wz [--codec NAME] [--tile TxK] [--lane-states 1|2] [--order rows|mma]\n"); return 2; }
    const wz_codec *c = wz_codec_find(codec);
    if (!c) { fprintf(stderr, "wzip compress: unknown codec '%s'\n", codec); return 2; }
    wz_container_stats st;
    double t0 = wz_now();
    wz_err e = wz_container_compress(in, out, c, &cp, &st);
    if (e) return wz_report(in, e);
    printf("%s -> %s: %u file(s), %.1f MB coded to %.1f MB (%.2f%%), %.1f MB stored raw, %.2f s\n", in, out, st.files, st.coded_in / 1e6,
           st.coded_out / 1e6, st.coded_in ? 100.0 * st.coded_out / st.coded_in : 0, st.raw_bytes / 1e6, wz_now() - t0);
    return 0;
}

int wz_cmd_decompress(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (argv[i][0] != '-' && !in) in = argv[i];
        else { in = NULL; break; }
    }
    if (!in || !out) { fprintf(stderr, "usage: wzip decompress IN.wz -o OUT\n"); return 2; }
    wz_err e = wz_container_decompress(in, out);
    if (e) return wz_report(in, e);
    return 0;
}
