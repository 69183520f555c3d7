/* make_seeds.c — regenerate tests/fuzz/seeds/codec_*.bin: a 64x64 bf16
 * synthetic matrix encoded by every codec, in fuzz_codecs.c's input layout
 * (codec index byte, 4-byte output size, blob). Run by `make fuzz-seeds`
 * whenever a codec's format changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codecs/codecs.h"
#include "datasets/datasets.h"

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/fuzz/seeds";
    enum { R = 64, C = 64 };
    static uint16_t w[R * C];
    wz_synth_matrix_bf16(w, R, C, 3);
    wz_codec_params p;
    wz_codec_params_default(&p);
    wz_codec_input in = {WZ_DT_BF16, R, C, w};
    /* Every codec at its defaults, then tile-ans with two rANS states per
     * lane (v4) and with those in the MMA element order (v5), and bitmap4
     * in the MMA order (v2 blob): parse and decode paths the default blobs
     * never take. */
    for (size_t k = 0; k <= wz_codec_count() + 2; k++) {
        const int extra = k >= wz_codec_count() ? (int)(k - wz_codec_count()) + 1 : 0;
        const wz_codec *c = extra == 3 ? &wz_codec_bitmap4 : extra ? &wz_codec_tile_ans : wz_codec_at(k);
        p.lane_states = extra == 1 || extra == 2 ? 2 : 0;
        p.order = extra >= 2 ? WZ_TA_ORDER_MMA : WZ_TA_ORDER_ROWS;
        size_t cap = c->bound(&p, &in), len = 0;
        uint8_t *blob = malloc(cap);
        if (!blob || c->encode(&p, &in, blob, cap, &len, NULL)) { fprintf(stderr, "%s: %s\n", c->name, wz_err_detail()); return 1; }
        char path[512];
        snprintf(path, sizeof path, "%s/codec_%s%s.bin", dir, c->name, extra == 3 ? "-mma" : extra == 2 ? "-ls2-mma" : extra ? "-ls2" : "");
        FILE *f = fopen(path, "wb");
        uint8_t idx = 0;
        for (size_t j = 0; j < wz_codec_count(); j++) if (wz_codec_at(j) == c) idx = (uint8_t)j;
        uint32_t ob = R * C * 2;
        if (!f || fwrite(&idx, 1, 1, f) != 1 || fwrite(&ob, 4, 1, f) != 1 || fwrite(blob, 1, len, f) != len || fclose(f)) { perror(path); return 1; }
        free(blob);
    }
    return 0;
}
