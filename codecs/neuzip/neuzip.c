/* neuzip.c — NeuZip's layout with our own rANS: the bf16 exponent bytes are
 * cut into 64 KB chunks (nvCOMP's ANS chunk size, which NeuZip uses), each
 * chunk an independent 32-lane rANS stream (codecs/rans) under one table per
 * tensor; sign+mantissa raw. Same coder as tile-ans, different framing: the
 * chunks follow memory order, not GEMM tiles, so the matrix must be decoded
 * to HBM and merged before cuBLAS can use it (NeuZip's pipeline). */
#include "codecs/codecs.h"
#include "codecs/rans/rans.h"
#include <stdlib.h>
#include <string.h>

#define NZ_MAGIC 0x5a4e5a57u /* "WZNZ" */
#define NZ_CHUNK 65536u     /* symbols (bytes) per chunk */

typedef struct {
    uint32_t magic;
    uint16_t version;
    uint8_t dtype, prob_bits;
    uint64_t rows, cols, nwords;
    uint16_t freq[256];
} nz_header;

typedef struct { uint64_t nchunks; size_t off_off, st_off, w_off, raw_off, total; } nz_layout;

static int nz_layout_of(uint64_t n, uint64_t nwords, nz_layout *L)
{
    if (n > (1ull << 48) || nwords > n + NZ_CHUNK) return 0;
    L->nchunks = (n + NZ_CHUNK - 1) / NZ_CHUNK;
    L->off_off = sizeof(nz_header);
    L->st_off = L->off_off + (size_t)(L->nchunks + 1) * 4;
    L->w_off = (L->st_off + (size_t)L->nchunks * 128 + 15) & ~(size_t)15; /* 16-B aligned: GPU cp.async */
    L->raw_off = L->w_off + (size_t)nwords * 2;
    L->total = L->raw_off + (size_t)n;
    return 1;
}

/* Steps of chunk c: the last chunk is cut to its size (rounded up to 32). */
static uint32_t nz_steps(uint64_t n, uint64_t c)
{
    uint64_t left = n - c * NZ_CHUNK;
    return (uint32_t)((left < NZ_CHUNK ? left : NZ_CHUNK) + 31) / 32;
}

static int nz_supports(wz_dtype dt) { return dt == WZ_DT_BF16; }
static size_t nz_bound(const wz_codec_params *p, const wz_codec_input *in)
{
    nz_layout L;
    uint64_t n = in->rows * in->cols;
    return nz_layout_of(n, (n + NZ_CHUNK - 1) / NZ_CHUNK * NZ_CHUNK, &L) ? L.total : 0;
}

static wz_err nz_encode(const wz_codec_params *p, const wz_codec_input *in, uint8_t *dst, size_t cap, size_t *len, wz_cost *cost)
{
    if (in->dtype != WZ_DT_BF16) return wz_fail(WZ_ERR_UNSUPPORTED, "neuzip: bf16 only");
    const uint16_t *x = in->data;
    uint64_t n = in->rows * in->cols, cnt[256] = {0};
    for (uint64_t i = 0; i < n; i++) cnt[wz_split_sym(x[i], 1)]++;
    int top = 0;
    for (int s = 1; s < 256; s++) if (cnt[s] > cnt[top]) top = s;
    nz_header h = {NZ_MAGIC, 1, WZ_DT_BF16, (uint8_t)p->prob_bits, in->rows, in->cols, 0, {0}};
    WZ_TRY(wz_rans_normalize(cnt, p->prob_bits, h.freq));
    wz_rans_table t;
    WZ_TRY(wz_rans_table_init(&t, h.freq, p->prob_bits));
    nz_layout L = {0};
    nz_layout_of(n, 0, &L);
    uint8_t *sym = malloc(NZ_CHUNK);
    uint16_t *wb = malloc((size_t)L.nchunks * NZ_CHUNK * 2);
    uint32_t *st = malloc((size_t)L.nchunks * 128), *nw = malloc((size_t)L.nchunks * 4);
    wz_err err = sym && wb && st && nw ? WZ_OK : wz_fail(WZ_ERR_NOMEM, "out of memory");
    uint64_t total = 0;
    for (uint64_t c = 0; c < L.nchunks && !err; c++) {
        for (uint64_t k = 0; k < NZ_CHUNK; k++) {
            uint64_t i = c * NZ_CHUNK + k;
            sym[k] = i < n ? wz_split_sym(x[i], 1) : (uint8_t)top;
        }
        size_t w;
        err = wz_rans32_encode(&t, sym, nz_steps(n, c), 1, wb + c * NZ_CHUNK, &w, st + 32 * c, NULL);
        nw[c] = (uint32_t)w;
        total += w;
    }
    if (!err && (!nz_layout_of(n, total, &L) || L.total > cap)) err = wz_fail(WZ_ERR_DST_SIZE, "neuzip: output buffer too small");
    if (!err) {
        h.nwords = total;
        memcpy(dst, &h, sizeof h);
        uint32_t *off = (uint32_t *)(dst + L.off_off);
        uint16_t *words = (uint16_t *)(dst + L.w_off);
        off[0] = 0;
        for (uint64_t c = 0; c < L.nchunks; c++) {
            memcpy(words + off[c], wb + c * NZ_CHUNK, nw[c] * 2);
            off[c + 1] = off[c] + nw[c];
        }
        memcpy(dst + L.st_off, st, L.nchunks * 128);
        memset(dst + L.st_off + L.nchunks * 128, 0, L.w_off - (L.st_off + L.nchunks * 128));
        for (uint64_t i = 0; i < n; i++) dst[L.raw_off + i] = wz_split_raw(x[i], 1);
        *len = L.total;
        if (cost) {
            double hs = wz_codec_model_bits(cnt, n);
            cost->n = n;
            cost->h_full = wz_codec_input_entropy(in);
            cost->model_bits = hs + 8.0 * n;
            cost->ideal_bits = wz_rans_cost_bits(&t, cnt) + 8.0 * n;
            cost->payload_bits = 16.0 * total + 1024.0 * L.nchunks + 8.0 * n;
            cost->total_bits = 8.0 * L.total;
        }
    }
    free(sym); free(wb); free(st); free(nw);
    return err;
}

wz_err wz_nz_parse(const uint8_t *src, size_t len, wz_nz_view *v)
{
    const nz_header *h = (const nz_header *)src;
    if (len < sizeof *h || h->magic != NZ_MAGIC) return wz_fail(WZ_ERR_CORRUPT, "neuzip: bad header");
    if (h->version != 1 || h->dtype != WZ_DT_BF16) return wz_fail(WZ_ERR_UNSUPPORTED, "neuzip: version/dtype");
    WZ_TRY(wz_codec_check_shape(h->rows, h->cols, "neuzip"));
    uint64_t n = h->rows * h->cols;
    nz_layout L;
    if (!nz_layout_of(n, h->nwords, &L) || L.total != len) return wz_fail(WZ_ERR_CORRUPT, "neuzip: blob size does not match header (truncated?)");
    wz_rans_table t;
    WZ_TRY(wz_rans_table_init(&t, h->freq, h->prob_bits));
    v->rows = h->rows; v->cols = h->cols; v->nchunks = L.nchunks; v->nwords = h->nwords; v->prob_bits = h->prob_bits;
    v->freq = h->freq;
    v->off = (const uint32_t *)(src + L.off_off);
    v->states = (const uint32_t *)(src + L.st_off);
    v->words = (const uint16_t *)(src + L.w_off);
    v->raw = src + L.raw_off;
    if (v->off[0] != 0 || v->off[L.nchunks] != h->nwords) return wz_fail(WZ_ERR_CORRUPT, "neuzip: chunk index does not span the stream");
    for (uint64_t c = 0; c < L.nchunks; c++)
        if (v->off[c + 1] < v->off[c] || v->off[c + 1] - v->off[c] > nz_steps(n, c) * 32u)
            return wz_fail(WZ_ERR_CORRUPT, "neuzip: chunk %llu range invalid", (unsigned long long)c);
    for (uint64_t i = 0; i < L.nchunks * 32; i++)
        if (v->states[i] < WZ_RANS_L) return wz_fail(WZ_ERR_CORRUPT, "neuzip: chunk %llu initial state below 2^16", (unsigned long long)(i / 32));
    return WZ_OK;
}

uint32_t wz_nz_chunk_steps(uint64_t n, uint64_t c) { return nz_steps(n, c); }

static wz_err nz_decode(const uint8_t *src, size_t len, void *out, size_t out_bytes)
{
    wz_nz_view v;
    WZ_TRY(wz_nz_parse(src, len, &v));
    const nz_header *h = (const nz_header *)src;
    uint64_t n = v.rows * v.cols;
    if (out_bytes != n * 2) return wz_fail(WZ_ERR_DST_SIZE, "neuzip: output size");
    nz_layout L = {0};
    nz_layout_of(n, h->nwords, &L);
    wz_rans_table t;
    WZ_TRY(wz_rans_table_init(&t, h->freq, h->prob_bits));
    uint64_t *dt = malloc(sizeof *dt << h->prob_bits);
    uint8_t *sym = malloc(NZ_CHUNK);
    if (!dt || !sym) { free(dt); free(sym); return wz_fail(WZ_ERR_NOMEM, "out of memory"); }
    wz_rans_dtable64_build(&t, dt);
    const uint32_t *off = (const uint32_t *)(src + L.off_off), *st = (const uint32_t *)(src + L.st_off);
    const uint16_t *words = (const uint16_t *)(src + L.w_off);
    const uint8_t *raw = src + L.raw_off;
    uint16_t *y = out;
    wz_err err = WZ_OK;
    for (uint64_t c = 0; c < L.nchunks && !err; c++) {
        err = wz_rans32_decode(dt, h->prob_bits, words + off[c], off[c + 1] - off[c], st + 32 * c, 1, nz_steps(n, c), sym, NULL);
        for (uint64_t k = 0; k < NZ_CHUNK && !err && c * NZ_CHUNK + k < n; k++) {
            uint64_t i = c * NZ_CHUNK + k;
            y[i] = wz_split_merge(sym[k], raw[i], 1);
        }
    }
    free(dt); free(sym);
    return err;
}

const wz_codec wz_codec_neuzip = {
    "neuzip", "NeuZip layout: rANS on exponent bytes in 64 KB chunks, raw sign/mantissa", nz_supports, nz_bound, nz_encode, nz_decode,
};
