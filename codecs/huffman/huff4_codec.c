/* huff4_codec.c — the `huff4` codec: canonical Huffman (<= 12-bit codes, one
 * table lookup per symbol) over the same symbol planes as tile-ans, with
 * four interleaved bit streams (symbol i in stream i % 4), Huff0's way of
 * giving the CPU four independent decode chains. A CPU codec and the
 * Huffman reference point beside tANS and rANS. */
#include "codecs/codecs.h"
#include "codecs/huffman/huffman.h"
#include <stdlib.h>
#include <string.h>

#define H4_MAGIC 0x34485a57u /* "WZH4" */
#define H4_STREAMS 4

typedef struct {
    uint32_t magic;
    uint16_t version;
    uint8_t dtype, pad;
    uint64_t rows, cols;
    uint64_t bits[H4_STREAMS]; /* payload bits of each stream */
    uint8_t len[256];          /* code lengths */
} h4_header;

static int h4_supports(wz_dtype dt) { return wz_codec_elem_bytes(dt) > 0; }

static uint64_t h4_stream_bytes(uint64_t bits) { return (bits + 7) / 8; }

static size_t h4_bound(const wz_codec_params *p, const wz_codec_input *in)
{
    uint64_t n = in->rows * in->cols;
    return sizeof(h4_header) + H4_STREAMS * (h4_stream_bytes((n / H4_STREAMS + 1) * WZ_HUF_MAX_BITS)) + (wz_codec_elem_bytes(in->dtype) == 2 ? n : 0);
}

static wz_err h4_encode(const wz_codec_params *p, const wz_codec_input *in, uint8_t *dst, size_t cap, size_t *len, wz_cost *cost)
{
    int eb = wz_codec_elem_bytes(in->dtype), split = eb == 2, bf16 = in->dtype == WZ_DT_BF16;
    if (!eb) return wz_fail(WZ_ERR_UNSUPPORTED, "huff4: dtype not supported");
    uint64_t n = in->rows * in->cols, cnt[256] = {0};
    const uint16_t *x16 = in->data;
    const uint8_t *x8 = in->data;
    for (uint64_t i = 0; i < n; i++) cnt[split ? wz_split_sym(x16[i], bf16) : x8[i]]++;
    wz_huf_code hc;
    WZ_TRY(wz_huf_build(cnt, WZ_HUF_MAX_BITS, &hc));
    h4_header h = {H4_MAGIC, 1, (uint8_t)in->dtype, 0, in->rows, in->cols, {0}, {0}};
    memcpy(h.len, hc.len, 256);
    /* Stream sizes first (exact, from code lengths), then write in place. */
    for (uint64_t i = 0; i < n; i++) h.bits[i % H4_STREAMS] += hc.len[split ? wz_split_sym(x16[i], bf16) : x8[i]];
    size_t off = sizeof h;
    uint8_t *st[H4_STREAMS];
    for (int s = 0; s < H4_STREAMS; s++) { st[s] = dst + off; off += h4_stream_bytes(h.bits[s]); }
    size_t total = off + (split ? n : 0);
    if (total > cap) return wz_fail(WZ_ERR_DST_SIZE, "huff4: output buffer too small");
    memcpy(dst, &h, sizeof h);
    wz_bitw w[H4_STREAMS];
    for (int s = 0; s < H4_STREAMS; s++) wz_bitw_init(&w[s], st[s], h4_stream_bytes(h.bits[s]));
    for (uint64_t i = 0; i < n; i++) {
        uint8_t sy = split ? wz_split_sym(x16[i], bf16) : x8[i];
        wz_bitw_put(&w[i % H4_STREAMS], hc.code[sy], hc.len[sy]);
    }
    for (int s = 0; s < H4_STREAMS; s++) wz_bitw_finish(&w[s], st[s]);
    if (split) for (uint64_t i = 0; i < n; i++) dst[off + i] = wz_split_raw(x16[i], bf16);
    *len = total;
    if (cost) {
        cost->n = n;
        cost->h_full = wz_codec_input_entropy(in);
        cost->model_bits = wz_codec_model_bits(cnt, n) + (split ? 8.0 * n : 0);
        cost->ideal_bits = wz_huf_cost_bits(&hc, cnt) + (split ? 8.0 * n : 0); /* integer lengths: "table" loss */
        cost->payload_bits = 8.0 * (off - sizeof h) + (split ? 8.0 * n : 0);
        cost->total_bits = 8.0 * total;
    }
    return WZ_OK;
}

static wz_err h4_decode(const uint8_t *src, size_t len, void *out, size_t out_bytes)
{
    const h4_header *h = (const h4_header *)src;
    if (len < sizeof *h || h->magic != H4_MAGIC) return wz_fail(WZ_ERR_CORRUPT, "huff4: bad header");
    if (h->version != 1 || h->dtype >= WZ_DT__COUNT || !wz_codec_elem_bytes((wz_dtype)h->dtype)) return wz_fail(WZ_ERR_UNSUPPORTED, "huff4: version/dtype");
    WZ_TRY(wz_codec_check_shape(h->rows, h->cols, "huff4"));
    int split = wz_codec_elem_bytes((wz_dtype)h->dtype) == 2, bf16 = h->dtype == WZ_DT_BF16;
    uint64_t n = h->rows * h->cols, off = sizeof *h;
    const uint8_t *st[H4_STREAMS];
    for (int s = 0; s < H4_STREAMS; s++) {
        if (h->bits[s] > 8 * (uint64_t)len) return wz_fail(WZ_ERR_CORRUPT, "huff4: stream %d longer than the blob", s);
        st[s] = src + off;
        off += h4_stream_bytes(h->bits[s]);
    }
    if (off + (split ? n : 0) != len) return wz_fail(WZ_ERR_CORRUPT, "huff4: blob size does not match header (truncated?)");
    if (out_bytes != n * (split ? 2 : 1)) return wz_fail(WZ_ERR_DST_SIZE, "huff4: output size");
    wz_huf_code hc;
    memcpy(hc.len, h->len, 256);
    WZ_TRY(wz_huf_assign(&hc));
    uint16_t dt[1 << WZ_HUF_MAX_BITS];
    wz_huf_dtable(&hc, dt);
    wz_bitr r[H4_STREAMS];
    for (int s = 0; s < H4_STREAMS; s++) wz_bitr_init(&r[s], st[s], h4_stream_bytes(h->bits[s]));
    const uint8_t *raw = src + off;
    uint16_t *y16 = out;
    uint8_t *y8 = out;
    uint64_t i = 0;
    int bad = 0;
    /* Four chains per iteration; a missing code (length 0) marks corruption. */
    for (; i + H4_STREAMS <= n; i += H4_STREAMS)
        for (int s = 0; s < H4_STREAMS; s++) {
            uint16_t e = dt[wz_bitr_peek(&r[s], WZ_HUF_MAX_BITS)];
            int l = e >> 8;
            bad |= !l;
            wz_bitr_skip(&r[s], l ? l : 1);
            if (split) y16[i + s] = wz_split_merge((uint8_t)e, raw[i + s], bf16);
            else y8[i + s] = (uint8_t)e;
        }
    for (; i < n; i++) {
        int s = (int)(i % H4_STREAMS);
        uint16_t e = dt[wz_bitr_peek(&r[s], WZ_HUF_MAX_BITS)];
        int l = e >> 8;
        bad |= !l;
        wz_bitr_skip(&r[s], l ? l : 1);
        if (split) y16[i] = wz_split_merge((uint8_t)e, raw[i], bf16);
        else y8[i] = (uint8_t)e;
    }
    if (bad) return wz_fail(WZ_ERR_CORRUPT, "huff4: invalid code in the stream");
    for (int s = 0; s < H4_STREAMS; s++)
        if (wz_bitr_overrun(&r[s], st[s]) || wz_bitr_pos(&r[s], st[s]) != h->bits[s])
            return wz_fail(WZ_ERR_CORRUPT, "huff4: stream %d length mismatch", s);
    return WZ_OK;
}

const wz_codec wz_codec_huff4 = {
    "huff4", "canonical Huffman (<= 12-bit codes), 4 interleaved streams, same planes as tile-ans", h4_supports, h4_bound, h4_encode, h4_decode,
};
