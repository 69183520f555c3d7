/* tans_codec.c — the `tans` codec: tANS (4 interleaved states, FSE-style
 * tables, one table per tensor) over the same symbol planes as tile-ans:
 * 16-bit floats split into a coded exponent/high byte and a raw byte; byte
 * and nibble formats coded whole. A CPU codec (no tiling): the comparison
 * point for "rANS vs tANS" at equal symbol model. */
#include "codecs/codecs.h"
#include "codecs/rans/rans.h"
#include "codecs/tans/tans.h"
#include <stdlib.h>
#include <string.h>

#define TN_MAGIC 0x4e545a57u /* "WZTN" */

typedef struct {
    uint32_t magic;
    uint16_t version;
    uint8_t dtype, log;
    uint64_t rows, cols, bits;
    uint16_t freq[256];
} tn_header;

static int tn_supports(wz_dtype dt) { return wz_codec_elem_bytes(dt) > 0; }

static size_t tn_bound(const wz_codec_params *p, const wz_codec_input *in)
{
    uint64_t n = in->rows * in->cols;
    return sizeof(tn_header) + (n * WZ_TANS_MAX_LOG + 64) / 8 + 8 + (wz_codec_elem_bytes(in->dtype) == 2 ? n : 0);
}

static wz_err tn_encode(const wz_codec_params *p, const wz_codec_input *in, uint8_t *dst, size_t cap, size_t *len, wz_cost *cost)
{
    int split = wz_codec_elem_bytes(in->dtype) == 2, bf16 = in->dtype == WZ_DT_BF16;
    if (!wz_codec_elem_bytes(in->dtype)) return wz_fail(WZ_ERR_UNSUPPORTED, "tans: dtype not supported");
    uint64_t n = in->rows * in->cols, cnt[256] = {0};
    uint8_t *sym = malloc(n ? n : 1);
    if (!sym) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    const uint16_t *x16 = in->data;
    for (uint64_t i = 0; i < n; i++) { sym[i] = split ? wz_split_sym(x16[i], bf16) : ((const uint8_t *)in->data)[i]; cnt[sym[i]]++; }
    int log = p->prob_bits < WZ_TANS_MIN_LOG ? WZ_TANS_MIN_LOG : p->prob_bits > WZ_TANS_MAX_LOG ? WZ_TANS_MAX_LOG : p->prob_bits;
    tn_header h = {TN_MAGIC, 1, (uint8_t)in->dtype, (uint8_t)log, in->rows, in->cols, 0, {0}};
    wz_err err = wz_rans_normalize(cnt, log, h.freq); /* same KL-greedy quantiser as rANS */
    size_t hb = sizeof h, rawb = split ? n : 0;
    if (!err && cap < hb + rawb) err = wz_fail(WZ_ERR_DST_SIZE, "tans: output buffer too small");
    if (!err) err = wz_tans_encode(h.freq, log, sym, n, dst + hb, cap - hb - rawb, &h.bits);
    free(sym);
    if (err) return err;
    size_t sb = (size_t)(h.bits + 7) / 8;
    memcpy(dst, &h, sizeof h);
    if (split) for (uint64_t i = 0; i < n; i++) dst[hb + sb + i] = wz_split_raw(x16[i], bf16);
    *len = hb + sb + rawb;
    if (cost) {
        wz_rans_table t;
        wz_rans_table_init(&t, h.freq, log);
        double hs = wz_codec_model_bits(cnt, n);
        cost->n = n;
        cost->h_full = wz_codec_input_entropy(in);
        cost->model_bits = hs + 8.0 * rawb;
        cost->ideal_bits = wz_rans_cost_bits(&t, cnt) + 8.0 * rawb;
        cost->payload_bits = (double)h.bits + 8.0 * rawb;
        cost->total_bits = 8.0 * *len;
    }
    return WZ_OK;
}

static wz_err tn_decode(const uint8_t *src, size_t len, void *out, size_t out_bytes)
{
    const tn_header *h = (const tn_header *)src;
    if (len < sizeof *h || h->magic != TN_MAGIC) return wz_fail(WZ_ERR_CORRUPT, "tans: bad header");
    if (h->version != 1 || h->dtype >= WZ_DT__COUNT || !wz_codec_elem_bytes((wz_dtype)h->dtype)) return wz_fail(WZ_ERR_UNSUPPORTED, "tans: version/dtype");
    if (h->rows > (1ull << 40) || h->cols > (1ull << 40) || h->rows * h->cols > (1ull << 44)) return wz_fail(WZ_ERR_CORRUPT, "tans: shape invalid");
    int split = wz_codec_elem_bytes((wz_dtype)h->dtype) == 2, bf16 = h->dtype == WZ_DT_BF16;
    uint64_t n = h->rows * h->cols, sb = (h->bits + 7) / 8;
    if (h->bits > 8 * (uint64_t)len || sizeof *h + sb + (split ? n : 0) != len) return wz_fail(WZ_ERR_CORRUPT, "tans: blob size does not match header (truncated?)");
    if (out_bytes != n * (split ? 2 : 1)) return wz_fail(WZ_ERR_DST_SIZE, "tans: output size");
    wz_tans_cell *dt = malloc(sizeof *dt << WZ_TANS_MAX_LOG);
    uint8_t *sym = split ? malloc(n ? n : 1) : out;
    if (!dt || !sym) { free(dt); if (split) free(sym); return wz_fail(WZ_ERR_NOMEM, "out of memory"); }
    wz_err err = wz_tans_dtable(h->freq, h->log, dt);
    if (!err) err = wz_tans_decode(dt, h->log, src + sizeof *h, sb, h->bits, sym, n);
    if (!err && split) {
        const uint8_t *raw = src + sizeof *h + sb;
        for (uint64_t i = 0; i < n; i++) ((uint16_t *)out)[i] = wz_split_merge(sym[i], raw[i], bf16);
    }
    free(dt);
    if (split) free(sym);
    return err;
}

const wz_codec wz_codec_tans = {
    "tans", "tANS (FSE-style, 4 interleaved states), one table per tensor, same planes as tile-ans", tn_supports, tn_bound, tn_encode, tn_decode,
};
