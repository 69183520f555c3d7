/* registry.c — the codec table. Adding a codec: one file, one line here. */
#include "codecs/codecs.h"
#include "analysis/analysis.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const wz_codec *const k_codecs[] = {
    &wz_codec_tile_ans,
    &wz_codec_bitmap,
    &wz_codec_bitmap4,
    &wz_codec_dfloat11,
    &wz_codec_neuzip,
    &wz_codec_tans,
    &wz_codec_huff4,
    &wz_codec_pairhuff,
};

size_t wz_codec_count(void) { return sizeof k_codecs / sizeof *k_codecs; }
const wz_codec *wz_codec_at(size_t i) { return i < wz_codec_count() ? k_codecs[i] : NULL; }
const wz_codec *wz_codec_find(const char *name)
{
    for (size_t i = 0; i < wz_codec_count(); i++)
        if (!strcmp(k_codecs[i]->name, name)) return k_codecs[i];
    return NULL;
}

void wz_codec_params_default(wz_codec_params *p)
{
    /* 64 x 256: the paper's H200 tile, 16384 weights per independent stream;
     * codes (no GPU kernel yet) use 512 x 512 and 2^15 slots (codecs.h). */
    *p = (wz_codec_params){12, 64, 256, 512, 512, 0, WZ_TA_MODEL_PAIR16, 15, 0, WZ_TA_ORDER_ROWS};
}

int wz_codec_elem_bytes(wz_dtype dt)
{
    const wz_dtype_info *in = wz_dtype_info_of(dt);
    if (!in) return 0;
    if (dt == WZ_DT_BF16 || dt == WZ_DT_F16) return 2;
    return in->code_bits <= 8 ? 1 : 0;
}

double wz_codec_input_entropy(const wz_codec_input *in)
{
    uint64_t n = in->rows * in->cols;
    if (wz_codec_elem_bytes(in->dtype) == 2) {
        uint64_t *h = malloc(65536 * sizeof *h);
        if (!h) return -1;
        wz_hist16(in->data, n, h);
        double H = wz_entropy_of_counts(h, 65536);
        free(h);
        return H;
    }
    uint64_t h[256];
    wz_hist8(in->data, n, h);
    return wz_entropy_of_counts(h, 256);
}

wz_err wz_codec_check_shape(uint64_t rows, uint64_t cols, const char *codec)
{
    if (!rows || !cols || rows > (1ull << 40) || cols > (1ull << 40) || rows * cols > (1ull << 48))
        return wz_fail(WZ_ERR_CORRUPT, "%s: shape %llux%llu invalid", codec, (unsigned long long)rows, (unsigned long long)cols);
    return WZ_OK;
}

double wz_codec_model_bits(const uint64_t counts[256], uint64_t n)
{
    double b = 0;
    for (int s = 0; s < 256; s++)
        if (counts[s]) b -= (double)counts[s] * log2((double)counts[s] / (double)n);
    return b;
}

wz_gap wz_cost_gap(const wz_cost *c)
{
    double n = c->n ? (double)c->n : 1;
    wz_gap g;
    g.h_full = c->h_full;
    g.model = c->model_bits / n - c->h_full;
    g.table = (c->ideal_bits - c->model_bits) / n;
    g.coder = (c->payload_bits - c->ideal_bits) / n;
    g.framing = (c->total_bits - c->payload_bits) / n;
    g.total = c->total_bits / n;
    return g;
}
