/* huff4_codec.c — the `huff4` codec: canonical Huffman (<= 12-bit codes, one
 * table lookup per symbol) over the same symbol planes as tile-ans, with
 * four bit streams over the four quarters of the tensor (Huff0's way of
 * giving the CPU four independent decode chains) and a multi-symbol decode
 * table (one lookup yields every whole code in the next 12 bits). A CPU codec and the
 * Huffman reference point beside tANS and rANS. */
#include "codecs/codecs.h"
#include "codecs/huffman/huffman.h"
#include <stdlib.h>
#include <string.h>

#define H4_MAGIC 0x34485a57u /* "WZH4" */
#define H4_VERSION 2
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
/* Stream s holds symbols [s*q, min(n, (s+1)*q)), q = ceil(n/4): contiguous
 * quarters (v2; v1 interleaved symbol by symbol), so a multi-symbol lookup
 * writes its symbols to consecutive bytes. */
static uint64_t h4_quarter(uint64_t n) { return (n + H4_STREAMS - 1) / H4_STREAMS; }
static uint64_t h4_seg_end(uint64_t n, int s) { uint64_t e = (uint64_t)(s + 1) * h4_quarter(n); return e < n ? e : n; }

static size_t h4_bound(const wz_codec_params *p, const wz_codec_input *in)
{
    uint64_t n = in->rows * in->cols;
    return sizeof(h4_header) + H4_STREAMS * (h4_stream_bytes((h4_quarter(n) + 1) * WZ_HUF_MAX_BITS)) + (wz_codec_elem_bytes(in->dtype) == 2 ? n : 0);
}

static inline uint8_t h4_sym(const wz_codec_input *in, int split, int bf16, uint64_t i)
{
    return split ? wz_split_sym(((const uint16_t *)in->data)[i], bf16) : ((const uint8_t *)in->data)[i];
}

static inline void store_be32(uint8_t *o, uint32_t v) { v = __builtin_bswap32(v); memcpy(o, &v, 4); }

/* One stream, MSB-first: a 64-bit accumulator flushed 32 bits at a time
 * (<= 31 + 12 bits pending, so it never overflows); exactly
 * ceil(bits/8) bytes written. */
static void h4_put_stream(const wz_codec_input *in, int split, int bf16, uint64_t a, uint64_t b, const wz_huf_code *hc, uint8_t *o)
{
    uint64_t acc = 0;
    int nb = 0;
    for (uint64_t i = a; i < b; i++) {
        uint8_t sy = h4_sym(in, split, bf16, i);
        acc = acc << hc->len[sy] | hc->code[sy];
        nb += hc->len[sy];
        if (nb >= 32) { nb -= 32; store_be32(o, (uint32_t)(acc >> nb)); o += 4; }
    }
    for (; nb >= 8; nb -= 8) *o++ = (uint8_t)(acc >> (nb - 8));
    if (nb) *o = (uint8_t)(acc << (8 - nb));
}

static wz_err h4_encode(const wz_codec_params *p, const wz_codec_input *in, uint8_t *dst, size_t cap, size_t *len, wz_cost *cost)
{
    int eb = wz_codec_elem_bytes(in->dtype), split = eb == 2, bf16 = in->dtype == WZ_DT_BF16;
    if (!eb) return wz_fail(WZ_ERR_UNSUPPORTED, "huff4: dtype not supported");
    uint64_t n = in->rows * in->cols, cnt[256] = {0}, scnt[H4_STREAMS][256] = {{0}};
    for (int s = 0; s < H4_STREAMS; s++)
        for (uint64_t i = (uint64_t)s * h4_quarter(n), e = h4_seg_end(n, s); i < e; i++) scnt[s][h4_sym(in, split, bf16, i)]++;
    for (int s = 0; s < H4_STREAMS; s++)
        for (int k = 0; k < 256; k++) cnt[k] += scnt[s][k];
    wz_huf_code hc;
    WZ_TRY(wz_huf_build(cnt, WZ_HUF_MAX_BITS, &hc));
    h4_header h = {H4_MAGIC, H4_VERSION, (uint8_t)in->dtype, 0, in->rows, in->cols, {0}, {0}};
    memcpy(h.len, hc.len, 256);
    for (int s = 0; s < H4_STREAMS; s++)
        for (int k = 0; k < 256; k++) h.bits[s] += scnt[s][k] * hc.len[k];
    size_t off = sizeof h;
    uint8_t *st[H4_STREAMS];
    for (int s = 0; s < H4_STREAMS; s++) { st[s] = dst + off; off += h4_stream_bytes(h.bits[s]); }
    size_t total = off + (split ? n : 0);
    if (total > cap) return wz_fail(WZ_ERR_DST_SIZE, "huff4: output buffer too small");
    memcpy(dst, &h, sizeof h);
    for (int s = 0; s < H4_STREAMS; s++) h4_put_stream(in, split, bf16, (uint64_t)s * h4_quarter(n), h4_seg_end(n, s), &hc, st[s]);
    if (split) {
        const uint16_t *x16 = in->data;
        uint8_t *raw = dst + off;
        #pragma omp simd
        for (uint64_t i = 0; i < n; i++) raw[i] = wz_split_raw(x16[i], bf16);
    }
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

static inline uint64_t load_be64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return __builtin_bswap64(v); }

/* A stream being decoded: byte p, bit bc (0-7) within it, output o..oe. */
typedef struct { const uint8_t *st, *se, *p; unsigned bc; uint8_t *o, *oe; } h4_stream;

/* Next 12 bits at (p, bc), zeros past the blob end (never read). */
static inline uint32_t h4_peek(const h4_stream *t, const uint8_t *end)
{
    uint64_t w = 0;
    if (end - t->p >= 8) w = load_be64(t->p);
    else for (int k = 0; k < 8 && t->p + k < end; k++) w |= (uint64_t)t->p[k] << (56 - 8 * k);
    return (uint32_t)((w << t->bc) >> (64 - WZ_HUF_MAX_BITS));
}

/* Decode every stream's o..oe. Fast rounds (Huff0-style: prove the bounds
 * once, then run unchecked): per stream one 8-byte load and four lookups
 * of <= 12 bits (<= 48 + 7 bits of the window), each writing 4 bytes and
 * keeping 1-4. Reads stay inside the blob; a corrupt stream that runs into
 * its neighbour fails the final length check. Then one symbol per lookup. */
static uint64_t h4_run(h4_stream *t, const uint8_t *end, const uint64_t *mt, const uint16_t *dt)
{
    uint64_t flags = 0;
    for (;;) {
        int ok = 1;
        for (int s = 0; s < H4_STREAMS; s++) ok &= (end - t[s].p >= 8) & (t[s].oe - t[s].o >= 16);
        if (!ok) break;
        uint64_t w[H4_STREAMS];
        for (int s = 0; s < H4_STREAMS; s++) w[s] = load_be64(t[s].p);
        for (int k = 0; k < 4; k++)
            for (int s = 0; s < H4_STREAMS; s++) {
                uint64_t e = mt[(w[s] << t[s].bc) >> (64 - WZ_HUF_MAX_BITS)];
                uint32_t v = WZ_HUF_MS_SYMS(e);
                memcpy(t[s].o, &v, 4);
                t[s].o += WZ_HUF_MS_CNT(e);
                t[s].bc += WZ_HUF_MS_BITS(e);
                flags |= e;
            }
        for (int s = 0; s < H4_STREAMS; s++) { t[s].p += t[s].bc >> 3; t[s].bc &= 7; }
    }
    for (int s = 0; s < H4_STREAMS; s++)
        while (t[s].o < t[s].oe) {
            uint16_t e = dt[h4_peek(&t[s], end)];
            if (!(e >> 8)) return (uint64_t)1 << 48; /* no code starts here */
            *t[s].o++ = (uint8_t)e;
            t[s].bc += e >> 8;
            t[s].p += t[s].bc >> 3;
            t[s].bc &= 7;
        }
    return flags;
}

/* bf16/fp16 output goes through a 4 x 16 K scratch (L1/L2-resident, no
 * page faults of a tensor-sized buffer) and is merged with the raw plane
 * block by block. */
#define H4_BLOCK 16384

static wz_err h4_decode(const uint8_t *src, size_t len, void *out, size_t out_bytes)
{
    const h4_header *h = (const h4_header *)src;
    if (len < sizeof *h || h->magic != H4_MAGIC) return wz_fail(WZ_ERR_CORRUPT, "huff4: bad header");
    if (h->version != H4_VERSION || h->dtype >= WZ_DT__COUNT || !wz_codec_elem_bytes((wz_dtype)h->dtype)) return wz_fail(WZ_ERR_UNSUPPORTED, "huff4: version/dtype");
    WZ_TRY(wz_codec_check_shape(h->rows, h->cols, "huff4"));
    int split = wz_codec_elem_bytes((wz_dtype)h->dtype) == 2, bf16 = h->dtype == WZ_DT_BF16;
    uint64_t n = h->rows * h->cols, off = sizeof *h, q = h4_quarter(n);
    const uint8_t *end = src + len;
    h4_stream t[H4_STREAMS];
    for (int s = 0; s < H4_STREAMS; s++) {
        if (h->bits[s] > 8 * (uint64_t)len) return wz_fail(WZ_ERR_CORRUPT, "huff4: stream %d longer than the blob", s);
        t[s].st = t[s].p = src + off;
        t[s].bc = 0;
        off += h4_stream_bytes(h->bits[s]);
        t[s].se = src + off;
    }
    if (off + (split ? n : 0) != len) return wz_fail(WZ_ERR_CORRUPT, "huff4: blob size does not match header (truncated?)");
    if (out_bytes != n * (split ? 2 : 1)) return wz_fail(WZ_ERR_DST_SIZE, "huff4: output size");
    wz_huf_code hc;
    memcpy(hc.len, h->len, 256);
    WZ_TRY(wz_huf_assign(&hc));
    uint64_t *mt = malloc((sizeof(uint64_t) << WZ_HUF_MAX_BITS) + (split ? H4_STREAMS * H4_BLOCK : 0));
    if (!mt) return wz_fail(WZ_ERR_NOMEM, "huff4: out of memory");
    uint8_t *scratch = (uint8_t *)(mt + (1 << WZ_HUF_MAX_BITS));
    wz_huf_dtable_multi(&hc, mt);
    uint16_t dt[1 << WZ_HUF_MAX_BITS];
    wz_huf_dtable(&hc, dt);
    uint64_t flags = 0;
    if (!split) {
        for (int s = 0; s < H4_STREAMS; s++) {
            uint64_t a = (uint64_t)s * q < n ? (uint64_t)s * q : n;
            t[s].o = (uint8_t *)out + a;
            t[s].oe = (uint8_t *)out + h4_seg_end(n, s);
        }
        flags = h4_run(t, end, mt, dt);
    } else {
        const uint8_t *raw = src + off;
        uint16_t *y = out;
        for (uint64_t r = 0; r < q && !((flags >> 48) & 0xff); r += H4_BLOCK) {
            uint64_t a[H4_STREAMS], m[H4_STREAMS];
            for (int s = 0; s < H4_STREAMS; s++) {
                uint64_t lo = (uint64_t)s * q + r, hi = h4_seg_end(n, s);
                a[s] = lo; m[s] = lo < hi ? (hi - lo < H4_BLOCK ? hi - lo : H4_BLOCK) : 0;
                t[s].o = scratch + s * H4_BLOCK;
                t[s].oe = t[s].o + m[s];
            }
            flags |= h4_run(t, end, mt, dt);
            for (int s = 0; s < H4_STREAMS; s++) {
                const uint8_t *sy = scratch + s * H4_BLOCK, *rw = raw + a[s];
                uint16_t *o = y + a[s];
                #pragma omp simd
                for (uint64_t i = 0; i < m[s]; i++) o[i] = wz_split_merge(sy[i], rw[i], bf16);
            }
        }
    }
    free(mt);
    if ((flags >> 48) & 0xff) return wz_fail(WZ_ERR_CORRUPT, "huff4: invalid code in the stream");
    for (int s = 0; s < H4_STREAMS; s++)
        if (t[s].p > t[s].se || 8 * (uint64_t)(t[s].p - t[s].st) + t[s].bc != h->bits[s])
            return wz_fail(WZ_ERR_CORRUPT, "huff4: stream %d length mismatch", s);
    return WZ_OK;
}

const wz_codec wz_codec_huff4 = {
    "huff4", "canonical Huffman (<= 12-bit codes, up to 4 symbols per lookup), 4 streams, same planes as tile-ans", h4_supports, h4_bound, h4_encode, h4_decode,
};
