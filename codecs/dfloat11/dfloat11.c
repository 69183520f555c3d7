/* dfloat11.c — DFloat11's format, reimplemented so its overhead is counted
 * as theirs is: Huffman on the bf16 exponent (one code per weight matrix),
 * sign+mantissa raw, and DFloat11's framing for its GPU decoder: the code
 * stream is cut into 8-byte chunks, one per GPU thread; each thread stores a
 * 5-bit "gap" (offset of the first code that starts in its chunk), and each
 * block of 256 threads a 32-bit output position. Their decoder needs a
 * first pass to count symbols per thread before it knows where to write —
 * this framing is what makes that pass necessary; tile-ans's static symbol
 * counts remove it. Differences from DFloat11: our codes are limited to 12
 * bits (one-level table) where DFloat11 allows 32 (four byte-indexed LUTs);
 * on weight exponents this changes the size by < 0.001 bit/weight.
 *
 * The CPU decoder decodes thread by thread from the gaps, exactly as the
 * GPU would, so inconsistent framing is detected as corruption. */
#include "codecs/codecs.h"
#include "codecs/huffman/huffman.h"
#include <stdlib.h>
#include <string.h>

#define DF_MAGIC 0x46445a57u /* "WZDF" */
#define DF_THREAD_BYTES WZ_DF_THREAD_BYTES
#define DF_BLOCK_THREADS WZ_DF_BLOCK_THREADS
#define DF_NO_START WZ_DF_NO_START

typedef struct {
    uint32_t magic;
    uint16_t version;
    uint8_t dtype, pad;
    uint64_t rows, cols;
    uint64_t enc_bits;     /* Huffman payload bits */
    uint8_t len[256];      /* code lengths (the code table) */
} df_header;

typedef struct { size_t gaps_off, gaps_b, bo_off, enc_off, enc_b, raw_off, total; uint64_t nthreads, nblocks; } df_layout;

static int df_layout_of(uint64_t n, uint64_t enc_bits, df_layout *L)
{
    if (enc_bits > (1ull << 52) || n > (1ull << 48)) return 0;
    L->enc_b = (size_t)((enc_bits + 63) / 64 * 8);
    L->nthreads = L->enc_b / DF_THREAD_BYTES;
    L->nblocks = (L->nthreads + DF_BLOCK_THREADS - 1) / DF_BLOCK_THREADS;
    L->gaps_off = sizeof(df_header);
    L->gaps_b = (size_t)((L->nthreads * 5 + 7) / 8);
    L->bo_off = (L->gaps_off + L->gaps_b + 3) & ~(size_t)3;
    L->enc_off = (L->bo_off + (size_t)(L->nblocks + 1) * 4 + 15) & ~(size_t)15; /* GPU threads load 8-byte words */
    L->raw_off = L->enc_off + L->enc_b;
    L->total = L->raw_off + (size_t)n;
    return 1;
}

static int df_supports(wz_dtype dt) { return dt == WZ_DT_BF16; }

static size_t df_bound(const wz_codec_params *p, const wz_codec_input *in)
{
    df_layout L;
    uint64_t n = in->rows * in->cols;
    return df_layout_of(n, n * WZ_HUF_MAX_BITS, &L) ? L.total : 0;
}

static wz_err df_encode(const wz_codec_params *p, const wz_codec_input *in, uint8_t *dst, size_t cap, size_t *len, wz_cost *cost)
{
    if (in->dtype != WZ_DT_BF16) return wz_fail(WZ_ERR_UNSUPPORTED, "dfloat11: bf16 only");
    const uint16_t *x = in->data;
    uint64_t n = in->rows * in->cols, cnt[256] = {0};
    for (uint64_t i = 0; i < n; i++) cnt[wz_split_sym(x[i], 1)]++;
    wz_huf_code hc;
    WZ_TRY(wz_huf_build(cnt, WZ_HUF_MAX_BITS, &hc));
    uint64_t enc_bits = (uint64_t)wz_huf_cost_bits(&hc, cnt);
    df_layout L;
    if (!df_layout_of(n, enc_bits, &L) || L.total > cap) return wz_fail(WZ_ERR_DST_SIZE, "dfloat11: output buffer too small");
    memset(dst, 0, L.raw_off);
    df_header h = {DF_MAGIC, 1, WZ_DT_BF16, 0, in->rows, in->cols, enc_bits, {0}};
    memcpy(h.len, hc.len, 256);
    memcpy(dst, &h, sizeof h);
    /* Payload, recording for each 64-bit chunk the offset of the first code
     * that starts in it, and for each block the index of its first symbol. */
    uint8_t *enc = dst + L.enc_off;
    uint32_t *bo = (uint32_t *)(dst + L.bo_off);
    wz_bitw w;
    wz_bitw_init(&w, enc, L.enc_b);
    wz_bitw gw;
    wz_bitw_init(&gw, dst + L.gaps_off, L.gaps_b);
    uint64_t next_chunk = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t pos = wz_bitw_bits(&w, enc);
        while (next_chunk * 64 <= pos + 0 && next_chunk < L.nthreads && pos < (next_chunk + 1) * 64) {
            wz_bitw_put(&gw, (uint32_t)(pos - next_chunk * 64), 5);
            if (next_chunk % DF_BLOCK_THREADS == 0) bo[next_chunk / DF_BLOCK_THREADS] = (uint32_t)i;
            next_chunk++;
        }
        uint8_t s = wz_split_sym(x[i], 1);
        wz_bitw_put(&w, hc.code[s], hc.len[s]);
    }
    /* Codes are <= 12 bits, so only the final chunk can hold no code start
     * (the last code began in the chunk before): it gets the gap marker 31. */
    if (next_chunk + 1 == L.nthreads) {
        wz_bitw_put(&gw, DF_NO_START, 5);
        if (next_chunk % DF_BLOCK_THREADS == 0) bo[next_chunk / DF_BLOCK_THREADS] = (uint32_t)n;
        next_chunk++;
    }
    if (next_chunk != L.nthreads) return wz_fail(WZ_ERR_ARG, "dfloat11: framing invariant broken (%llu of %llu chunks)",
                                                 (unsigned long long)next_chunk, (unsigned long long)L.nthreads);
    bo[L.nblocks] = (uint32_t)n;
    wz_bitw_finish(&w, enc);
    wz_bitw_finish(&gw, dst + L.gaps_off);
    for (uint64_t i = 0; i < n; i++) dst[L.raw_off + i] = wz_split_raw(x[i], 1);
    *len = L.total;
    if (cost) {
        double hs = wz_codec_model_bits(cnt, n);
        cost->n = n;
        cost->h_full = wz_codec_input_entropy(in);
        cost->model_bits = hs + 8.0 * n;
        cost->ideal_bits = (double)enc_bits + 8.0 * n; /* Huffman integer lengths count as "table" loss */
        cost->payload_bits = 8.0 * L.enc_b + 8.0 * n;
        cost->total_bits = 8.0 * L.total;
    }
    return WZ_OK;
}

wz_err wz_df_parse(const uint8_t *src, size_t len, wz_df_view *v)
{
    const df_header *h = (const df_header *)src;
    if (len < sizeof *h || h->magic != DF_MAGIC) return wz_fail(WZ_ERR_CORRUPT, "dfloat11: bad header");
    if (h->version != 1 || h->dtype != WZ_DT_BF16) return wz_fail(WZ_ERR_UNSUPPORTED, "dfloat11: version/dtype");
    WZ_TRY(wz_codec_check_shape(h->rows, h->cols, "dfloat11"));
    uint64_t n = h->rows * h->cols;
    df_layout L;
    if (!df_layout_of(n, h->enc_bits, &L) || L.total != len) return wz_fail(WZ_ERR_CORRUPT, "dfloat11: blob size does not match header (truncated?)");
    wz_huf_code hc;
    memcpy(hc.len, h->len, 256);
    WZ_TRY(wz_huf_assign(&hc));
    v->rows = h->rows; v->cols = h->cols; v->enc_bits = h->enc_bits; v->len = h->len;
    v->nthreads = L.nthreads; v->nblocks = L.nblocks;
    v->gaps = src + L.gaps_off;
    v->block_out = (const uint32_t *)(src + L.bo_off);
    v->enc = src + L.enc_off;
    v->raw = src + L.raw_off;
    if (v->block_out[0] != 0 || v->block_out[L.nblocks] != n) return wz_fail(WZ_ERR_CORRUPT, "dfloat11: block positions do not span the output");
    for (uint64_t b = 0; b < L.nblocks; b++)
        if (v->block_out[b + 1] < v->block_out[b]) return wz_fail(WZ_ERR_CORRUPT, "dfloat11: block %llu output range invalid", (unsigned long long)b);
    return WZ_OK;
}

static wz_err df_decode(const uint8_t *src, size_t len, void *out, size_t out_bytes)
{
    wz_df_view v;
    WZ_TRY(wz_df_parse(src, len, &v));
    const df_header *h = (const df_header *)src;
    uint64_t n = v.rows * v.cols;
    df_layout L;
    df_layout_of(n, h->enc_bits, &L);
    if (out_bytes != n * 2) return wz_fail(WZ_ERR_DST_SIZE, "dfloat11: output is %zu bytes, need %llu", out_bytes, (unsigned long long)(n * 2));
    wz_huf_code hc;
    memcpy(hc.len, h->len, 256);
    WZ_TRY(wz_huf_assign(&hc));
    uint16_t dt[1 << WZ_HUF_MAX_BITS];
    wz_huf_dtable(&hc, dt);
    const uint8_t *enc = src + L.enc_off, *raw = src + L.raw_off;
    const uint32_t *bo = (const uint32_t *)(src + L.bo_off);
    uint16_t *y = out;
    wz_bitr g;
    wz_bitr_init(&g, src + L.gaps_off, L.gaps_b);
    uint32_t *gap = malloc((L.nthreads + 1) * sizeof *gap);
    if (!gap) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    for (uint64_t t = 0; t < L.nthreads; t++) gap[t] = wz_bitr_get(&g, 5);
    wz_err err = WZ_OK;
    /* Block by block, thread by thread: the GPU's work split. */
    for (uint64_t b = 0; b < L.nblocks && !err; b++) {
        uint64_t pos = bo[b];
        if (bo[b + 1] < bo[b] || bo[b + 1] > n) { err = wz_fail(WZ_ERR_CORRUPT, "dfloat11: block %llu output range invalid", (unsigned long long)b); break; }
        for (uint64_t t = b * DF_BLOCK_THREADS; t < (b + 1) * DF_BLOCK_THREADS && t < L.nthreads && !err; t++) {
            if (gap[t] == DF_NO_START) {
                if (t + 1 != L.nthreads) { err = wz_fail(WZ_ERR_CORRUPT, "dfloat11: empty chunk %llu before the end", (unsigned long long)t); break; }
                continue;
            }
            uint64_t start = t * 64 + gap[t], stop = (t + 1) * 64 < h->enc_bits ? (t + 1) * 64 : h->enc_bits;
            uint64_t want_end = t + 1 < L.nthreads && gap[t + 1] != DF_NO_START ? (t + 1) * 64 + gap[t + 1] : h->enc_bits;
            if (start > h->enc_bits) { err = wz_fail(WZ_ERR_CORRUPT, "dfloat11: thread %llu gap past the stream", (unsigned long long)t); break; }
            wz_bitr r;
            wz_bitr_init(&r, enc + start / 8, L.enc_b - start / 8);
            if (start % 8) wz_bitr_get(&r, (int)(start % 8));
            uint64_t at = start;
            while (at < stop && at < want_end) {
                uint16_t e = dt[wz_bitr_peek(&r, WZ_HUF_MAX_BITS)];
                int l = e >> 8;
                if (!l || pos >= bo[b + 1]) { err = wz_fail(WZ_ERR_CORRUPT, "dfloat11: invalid code or output overrun in thread %llu", (unsigned long long)t); break; }
                wz_bitr_skip(&r, l);
                at += (uint64_t)l;
                y[pos] = wz_split_merge((uint8_t)(e & 0xff), raw[pos], 1);
                pos++;
            }
            if (!err && at != want_end) err = wz_fail(WZ_ERR_CORRUPT, "dfloat11: thread %llu ends at bit %llu, next starts at %llu", (unsigned long long)t,
                                                     (unsigned long long)at, (unsigned long long)want_end);
        }
        if (!err && pos != bo[b + 1]) err = wz_fail(WZ_ERR_CORRUPT, "dfloat11: block %llu decoded %llu symbols, index says %llu", (unsigned long long)b,
                                                    (unsigned long long)(pos - bo[b]), (unsigned long long)(bo[b + 1] - bo[b]));
    }
    if (!err && bo[0] != 0) err = wz_fail(WZ_ERR_CORRUPT, "dfloat11: first block does not start at 0");
    free(gap);
    return err;
}

const wz_codec wz_codec_dfloat11 = {
    "dfloat11", "DFloat11: Huffman exponent (per matrix), raw sign/mantissa, per-thread gaps + per-block positions", df_supports, df_bound,
    df_encode, df_decode,
};
