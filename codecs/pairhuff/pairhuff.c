/* pairhuff.c — Huffman-coded exponent pairs in warp-interleaved segments:
 * tile-ans's size at (we aim for) bitmap4's decode cost.
 *
 * Why: bitmap4's fused GEMV reads its bytes at 87% of the rate cuBLAS
 * reads bf16 and so tops out near 16 / 12.04 x 0.87 = 1.16x at M = 1 on an
 * H100 (kernels/NOTES.md v40-v41); 1.3x at that read rate asks <= 10.7
 * bits a weight. tile-ans has that size but its rANS chain costs ~20
 * instructions and ~7 shared-memory wavefronts a pair. A prefix code per
 * exponent pair decodes with bitmap4's one table lookup a pair plus a
 * 64-bit shift: the only new cost is finding each lane's bits, which the
 * interleaving (codecs.h, wz_ph_header) gives a warp for one ballot every
 * two pair steps, with no per-lane offsets in the blob.
 *
 * The layout is in codecs.h; this file is its CPU encoder and reference
 * decoder, the decoder written as the warp schedule a GPU kernel runs (32
 * lanes in lockstep) so the two can be checked against each other. */
#include "codecs/codecs.h"
#include "codecs/huffman/huffman.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Blocks a segment. Each segment ends its 32 lane streams with the bits
 * left in their buffers (a lane refills at <= 32 bits, not knowing its
 * stream ends), and a GPU warp's split-K unit must be a whole number of
 * segments. Synthetic Qwen2.5-14B layer (1/4 scale), v1 schedule, bits a
 * weight: 4 blocks 10.996, 8 10.844, 16 10.778, 32 10.746 (coder loss 0.30
 * / 0.15 / 0.086 / 0.056): 16 keeps units of 16 or 32 blocks, as many as
 * bitmap4's M = 1 kernel runs on the big matrices. */
#ifndef PH_SEG_BLOCKS
#define PH_SEG_BLOCKS 16
#endif

static int ph_supports(wz_dtype dt) { return dt == WZ_DT_BF16; }

typedef struct { uint64_t bro, bco, nblocks, segs_per_row, nsegs; } ph_geom;
static ph_geom geom_of(uint64_t rows, uint64_t cols, uint32_t S)
{
    ph_geom g;
    g.bro = (rows + 31) / 32, g.bco = (cols + 31) / 32, g.nblocks = g.bro * g.bco;
    g.segs_per_row = (g.bco + S - 1) / S, g.nsegs = g.bro * g.segs_per_row;
    return g;
}
/* The most words a segment of nb blocks can take: every lane its first word
 * and at most one more every two pair steps. */
static uint64_t seg_word_cap(uint64_t nb) { return 32 * (1 + 8 * nb); }
/* Blocks of segment s: its block row, first block column and count. */
static void seg_blocks_of(const ph_geom *g, uint32_t S, uint64_t s, uint64_t *br, uint64_t *b0, uint64_t *nb)
{
    *br = s / g->segs_per_row, *b0 = s % g->segs_per_row * S, *nb = *b0 + S <= g->bco ? S : g->bco - *b0;
}

typedef struct { size_t esc_off, words, raw, esc, total; } ph_offsets;
static ph_offsets ph_layout(uint64_t nsegs, uint64_t nblocks, uint64_t nwords, uint64_t nesc)
{
    ph_offsets o;
    o.esc_off = sizeof(wz_ph_header) + (nsegs + 1) * 4;
    o.words = (o.esc_off + (nsegs + 1) * 4 + 15) & ~(size_t)15;
    o.raw = (o.words + nwords * 4 + 15) & ~(size_t)15;
    o.esc = o.raw + nblocks * 1024;
    o.total = o.esc + 2 * nesc;
    return o;
}

static size_t ph_bound(const wz_codec_params *p, const wz_codec_input *in)
{
    const ph_geom g = geom_of(in->rows, in->cols, PH_SEG_BLOCKS);
    return ph_layout(g.nsegs, g.nblocks, g.nsegs * seg_word_cap(PH_SEG_BLOCKS), g.nblocks * 512).total;
}

wz_err wz_ph_parse(const uint8_t *src, size_t len, wz_ph_view *v)
{
    const wz_ph_header *h = (const wz_ph_header *)src;
    if (len < sizeof *h) return wz_fail(WZ_ERR_CORRUPT, "pairhuff blob of %zu bytes is shorter than its header", len);
    if (h->magic != WZ_PH_MAGIC) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: bad magic");
    if (h->version != WZ_PH_VERSION) return wz_fail(WZ_ERR_UNSUPPORTED, "pairhuff: version %u", h->version);
    if (h->dtype != WZ_DT_BF16) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: dtype %u (bf16 only)", h->dtype);
    WZ_TRY(wz_codec_check_shape(h->rows, h->cols, "pairhuff"));
    if (h->seg_blocks < 1 || h->seg_blocks > 64) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: %u blocks a segment (1..64)", h->seg_blocks);
    const ph_geom g = geom_of(h->rows, h->cols, h->seg_blocks);
    if (h->nsegs != g.nsegs) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: %llu segments, the shape implies %llu", (unsigned long long)h->nsegs,
                                            (unsigned long long)g.nsegs);
    if (h->nwords > g.nsegs * seg_word_cap(h->seg_blocks)) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: %llu words exceed the bound", (unsigned long long)h->nwords);
    if (h->nesc > g.nblocks * 512) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: %llu escapes for %llu blocks", (unsigned long long)h->nesc,
                                                  (unsigned long long)g.nblocks);
    wz_huf_code c;
    memcpy(c.len, h->len, 256);
    if (wz_huf_assign(&c)) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: code lengths invalid");
    int any = 0;
    for (int s = 0; s < 256; s++) any |= h->len[s];
    if (!any) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: no symbol has a code");
    const ph_offsets o = ph_layout(h->nsegs, g.nblocks, h->nwords, h->nesc);
    if (o.total != len) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: blob is %zu bytes, header implies another size (truncated?)", len);
    v->h = h;
    v->seg_off = (const uint32_t *)(src + sizeof *h);
    v->esc_off = (const uint32_t *)(src + o.esc_off);
    v->words = (const uint32_t *)(src + o.words);
    v->raw = src + o.raw;
    v->esc = src + o.esc;
    v->nblocks = g.nblocks;
    v->segs_per_row = g.segs_per_row;
    if (v->seg_off[0] != 0 || v->seg_off[h->nsegs] != h->nwords) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: segment index does not span the words");
    for (uint64_t s = 0; s < h->nsegs; s++) {
        uint64_t br, b0, nb;
        seg_blocks_of(&g, h->seg_blocks, s, &br, &b0, &nb);
        if (v->seg_off[s + 1] < v->seg_off[s] + 32 || v->seg_off[s + 1] - v->seg_off[s] > seg_word_cap(nb))
            return wz_fail(WZ_ERR_CORRUPT, "pairhuff: segment %llu word range invalid", (unsigned long long)s);
    }
    if (v->esc_off[0] != 0 || v->esc_off[h->nsegs] != h->nesc) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: escape index does not span the list");
    for (uint64_t s = 0; s < h->nsegs; s++)
        if (v->esc_off[s + 1] < v->esc_off[s] || v->esc_off[s + 1] - v->esc_off[s] > 512u * h->seg_blocks)
            return wz_fail(WZ_ERR_CORRUPT, "pairhuff: segment %llu escape range invalid", (unsigned long long)s);
    return WZ_OK;
}

/* Block position (row << 5 | column) of the first weight of pair p of lane
 * l: wz_bm_pos, tabulated (per weight it costs bitmap's decoder 20%). */
static void pair_pos(uint16_t pos[32][16])
{
    for (int l = 0; l < 32; l++)
        for (int p = 0; p < 16; p++) {
            int r, c;
            wz_bm_pos(WZ_TA_ORDER_MMA, l, 2 * p, &r, &c);
            pos[l][p] = (uint16_t)(r << 5 | c);
        }
}

static int cmp_desc(const void *a, const void *b, void *cnt)
{
    const uint64_t *h = cnt, x = h[*(const uint32_t *)a], y = h[*(const uint32_t *)b];
    if (x != y) return x < y ? 1 : -1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}
void wz_ph_rank_pairs(const uint64_t hist[65536], uint32_t idx[65536])
{
    for (uint32_t i = 0; i < 65536; i++) idx[i] = i;
    qsort_r(idx, 65536, sizeof *idx, cmp_desc, (void *)hist);
}

/* One lane's bit stream within a segment, MSB-first in 32-bit words. */
typedef struct { uint32_t *w; uint64_t nbits; } lane_bits;
static void put_bits(lane_bits *b, uint32_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, b->nbits++)
        if ((v >> i) & 1) b->w[b->nbits >> 5] |= 0x80000000u >> (b->nbits & 31);
}

static wz_err ph_encode(const wz_codec_params *p, const wz_codec_input *in, uint8_t *dst, size_t cap, size_t *len, wz_cost *cost)
{
    if (in->dtype != WZ_DT_BF16) return wz_fail(WZ_ERR_UNSUPPORTED, "pairhuff: bf16 only");
    const uint16_t *x = in->data;
    const uint64_t rows = in->rows, cols = in->cols, n = rows * cols;
    const uint32_t S = PH_SEG_BLOCKS;
    const ph_geom g = geom_of(rows, cols, S);
    uint16_t pos[32][16];
    pair_pos(pos);
    /* 1. Pair histogram, symbols by count, the Huffman code. */
    uint64_t *hist = calloc(65536, sizeof *hist);
    uint32_t *idx = malloc(65536 * sizeof *idx);
    int16_t *sym_of = malloc(65536 * sizeof *sym_of);
    if (!hist || !idx || !sym_of) { free(hist); free(idx); free(sym_of); return wz_fail(WZ_ERR_NOMEM, "pairhuff: out of memory"); }
    for (uint64_t r = 0; r < rows; r++)
        for (uint64_t c = 0; c < cols; c += 2) hist[wz_ph_pair_key(x, rows, cols, r, c)]++;
    for (uint32_t i = 0; i < 65536; i++) sym_of[i] = (int16_t)WZ_PH_ESC;
    wz_ph_rank_pairs(hist, idx);
    wz_ph_header h;
    memset(&h, 0, sizeof h);
    uint64_t counts[256] = {0}, npairs = 0;
    for (uint32_t i = 0; i < 65536; i++) {
        npairs += hist[idx[i]];
        if (i < WZ_PH_ESC && hist[idx[i]]) { sym_of[idx[i]] = (int16_t)i; h.pair[i] = (uint16_t)idx[i]; counts[i] = hist[idx[i]]; }
        else counts[WZ_PH_ESC] += hist[idx[i]];
    }
    free(hist); free(idx);
    wz_huf_code code;
    wz_err err = wz_huf_build(counts, WZ_HUF_MAX_BITS, &code);
    if (err) { free(sym_of); return err; }
    /* 2. Segments: each lane's stream, then the warp schedule (codecs.h);
     * escapes into a side buffer in (block, lane, pair) order. */
    const uint64_t cap_words = seg_word_cap(S);
    const size_t words_at = ph_layout(g.nsegs, g.nblocks, 0, 0).words;
    lane_bits lb[32];
    uint32_t *wbuf = calloc(32 * cap_words, 4);
    uint8_t *step_bits = malloc((size_t)S * 16 * 32), *escb = malloc(2 * counts[WZ_PH_ESC] + 1);
    int32_t *keys = malloc(sizeof(int32_t) * 512);
    if (!wbuf || !step_bits || !escb || !keys) { err = wz_fail(WZ_ERR_NOMEM, "pairhuff: out of memory"); goto done; }
    if (words_at > cap) { err = wz_fail(WZ_ERR_DST_SIZE, "pairhuff: output buffer too small"); goto done; }
    memset(dst, 0, words_at);
    uint32_t *seg_off = (uint32_t *)(dst + sizeof h), *esc_off = (uint32_t *)(dst + ph_layout(g.nsegs, g.nblocks, 0, 0).esc_off);
    uint32_t *words = (uint32_t *)(dst + words_at);
    uint64_t nw = 0, nesc = 0;
    double code_bits = 0;
    for (uint64_t s = 0; s < g.nsegs && !err; s++) {
        uint64_t br, b0, nb;
        seg_blocks_of(&g, S, s, &br, &b0, &nb);
        esc_off[s] = (uint32_t)nesc;
        memset(wbuf, 0, 32 * cap_words * 4);
        for (int l = 0; l < 32; l++) lb[l] = (lane_bits){wbuf + l * cap_words, 0};
        for (uint64_t b = 0; b < nb; b++) {
            for (int q = 0; q < 16; q++)
                for (int l = 0; l < 32; l++) {
                    const int32_t key = wz_ph_pair_key(x, rows, cols, br * 32 + (pos[l][q] >> 5), (b0 + b) * 32 + (pos[l][q] & 31));
                    const uint32_t sym = key < 0 ? 0u : (uint32_t)sym_of[key]; /* outside the matrix: symbol 0, decoded and dropped */
                    put_bits(&lb[l], code.code[sym], code.len[sym]);
                    if (key >= 0) code_bits += code.len[sym];
                    step_bits[(b * 16 + q) * 32 + l] = code.len[sym];
                    keys[l * 16 + q] = sym == WZ_PH_ESC ? key : -1;
                }
            for (int i = 0; i < 512; i++) /* the block's escapes in (lane, pair) order */
                if (keys[i] >= 0) escb[2 * nesc] = (uint8_t)(keys[i] >> 8), escb[2 * nesc + 1] = (uint8_t)keys[i], nesc++;
        }
        /* The schedule: word l first, then before every even pair step one
         * word for each lane holding <= WZ_PH_REFILL_AT bits, in lane order. */
        uint64_t next[32];
        int cnt[32];
        seg_off[s] = (uint32_t)nw;
        if (words_at + (nw + 32 + 32 * 8 * nb) * 4 > cap) { err = wz_fail(WZ_ERR_DST_SIZE, "pairhuff: output buffer too small"); break; }
        for (int l = 0; l < 32; l++) next[l] = 1, cnt[l] = 32, words[nw++] = lb[l].w[0];
        for (uint64_t t = 0; t < nb * 16; t++) {
            if (!(t & 1))
                for (int l = 0; l < 32; l++)
                    if (cnt[l] <= WZ_PH_REFILL_AT) {
                        words[nw++] = next[l] < cap_words ? lb[l].w[next[l]] : 0u;
                        next[l]++, cnt[l] += 32;
                    }
            for (int l = 0; l < 32; l++) cnt[l] -= step_bits[t * 32 + l];
        }
    }
    if (err) goto done;
    seg_off[g.nsegs] = (uint32_t)nw;
    esc_off[g.nsegs] = (uint32_t)nesc;
    const ph_offsets o = ph_layout(g.nsegs, g.nblocks, nw, nesc);
    if (o.total > cap) { err = wz_fail(WZ_ERR_DST_SIZE, "pairhuff: output buffer too small"); goto done; }
    memset(dst + words_at + nw * 4, 0, o.raw - (words_at + nw * 4));
    /* 3. The raw plane: bitmap4's (lane l's weight s at l * 32 + s); escapes. */
    uint8_t *raw = dst + o.raw;
    memset(raw, 0, g.nblocks * 1024);
    for (uint64_t b = 0; b < g.nblocks; b++) {
        const uint64_t r0 = b / g.bco * 32, c0 = b % g.bco * 32;
        for (int l = 0; l < 32; l++)
            for (int q = 0; q < 16; q++)
                for (int e = 0; e < 2; e++) {
                    const uint64_t r = r0 + (pos[l][q] >> 5), c = c0 + (pos[l][q] & 31) + (uint64_t)e;
                    if (r < rows && c < cols) raw[b * 1024 + l * 32 + 2 * q + e] = wz_split_raw(x[r * cols + c], 1);
                }
    }
    memcpy(dst + o.esc, escb, 2 * nesc);
    h.magic = WZ_PH_MAGIC, h.version = WZ_PH_VERSION, h.dtype = (uint8_t)in->dtype, h.seg_blocks = (uint8_t)S;
    h.rows = rows, h.cols = cols, h.nsegs = g.nsegs, h.nwords = nw, h.nesc = nesc;
    memcpy(h.len, code.len, 256);
    memcpy(dst, &h, sizeof h);
    *len = o.total;
    if (cost) {
        double model = 0;
        for (int s = 0; s < 256; s++)
            if (counts[s]) model -= (double)counts[s] * log2((double)counts[s] / (double)npairs);
        cost->n = n;
        cost->h_full = wz_codec_input_entropy(in);
        cost->model_bits = 8.0 * n + model + 16.0 * (double)counts[WZ_PH_ESC]; /* pair symbols at their entropy, escapes raw */
        cost->ideal_bits = 8.0 * n + code_bits + 16.0 * (double)counts[WZ_PH_ESC];
        cost->payload_bits = 8.0 * n + 32.0 * (double)nw + 16.0 * (double)nesc;
        cost->total_bits = 8.0 * o.total;
    }
done:
    free(sym_of); free(wbuf); free(step_bits); free(escb); free(keys);
    return err;
}

/* The decode table of a parsed header's code lengths (wz_huf_dtable: symbol
 * | length << 8 per 12-bit prefix, 0 where no code starts: corruption). */
static void ph_dtable(const uint8_t len[256], uint16_t dt[1 << WZ_HUF_MAX_BITS])
{
    wz_huf_code c;
    memcpy(c.len, len, 256);
    wz_huf_assign(&c); /* checked by wz_ph_parse */
    wz_huf_dtable(&c, dt);
}

void wz_ph_gpu_table(const wz_ph_header *h, uint32_t lut[4096])
{
    uint16_t dt[1 << WZ_HUF_MAX_BITS];
    ph_dtable(h->len, dt);
    for (uint32_t i = 0; i < (1u << WZ_HUF_MAX_BITS); i++) {
        const uint32_t sym = dt[i] & 0xffu, L = dt[i] >> 8;
        const uint32_t e = sym == WZ_PH_ESC ? WZ_PH_GPU_ESC : (uint32_t)(h->pair[sym] >> 8) << 7 | (uint32_t)(h->pair[sym] & 0xff) << 23;
        lut[i] = L ? e | L : 0u;
    }
}

/* One segment, as a warp runs it (codecs.h): before even steps the refills
 * in lane order (a ballot's prefix order), then every lane's pair; after a
 * block, its escapes in (lane, pair) order. */
static wz_err ph_decode_seg(const wz_ph_view *v, const uint16_t *dt, const uint16_t pos[32][16], uint64_t s, uint16_t *y)
{
    const wz_ph_header *h = v->h;
    const uint64_t rows = h->rows, cols = h->cols;
    const ph_geom g = geom_of(rows, cols, h->seg_blocks);
    uint64_t br, b0, nb;
    seg_blocks_of(&g, h->seg_blocks, s, &br, &b0, &nb);
    const uint32_t *w = v->words + v->seg_off[s];
    const uint64_t nw = v->seg_off[s + 1] - v->seg_off[s]; /* >= 32: wz_ph_parse */
    const uint8_t *esc = v->esc + 2 * (uint64_t)v->esc_off[s], *esc_end = v->esc + 2 * (uint64_t)v->esc_off[s + 1];
    uint64_t buf[32], at = 32;
    int cnt[32];
    uint32_t key[32][16];
    for (int l = 0; l < 32; l++) buf[l] = (uint64_t)w[l] << 32, cnt[l] = 32;
    for (uint64_t b = 0; b < nb; b++) {
        const uint64_t blk = br * g.bco + b0 + b;
        const uint8_t *raw = v->raw + blk * 1024;
        uint32_t nesc = 0;
        for (int q = 0; q < 16; q++) {
            if (!(q & 1))
                for (int l = 0; l < 32; l++)
                    if (cnt[l] <= WZ_PH_REFILL_AT) {
                        if (at >= nw) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: segment %llu reads past its words", (unsigned long long)s);
                        buf[l] |= (uint64_t)w[at++] << (32 - cnt[l]);
                        cnt[l] += 32;
                    }
            for (int l = 0; l < 32; l++) {
                const uint16_t e = dt[buf[l] >> (64 - WZ_HUF_MAX_BITS)];
                if (!e) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: segment %llu holds a bit pattern no code starts", (unsigned long long)s);
                buf[l] <<= e >> 8, cnt[l] -= e >> 8;
                const uint32_t sym = e & 0xffu;
                key[l][q] = sym == WZ_PH_ESC ? UINT32_MAX : h->pair[sym];
                nesc += sym == WZ_PH_ESC;
            }
        }
        if (nesc > (uint64_t)(esc_end - esc) / 2)
            return wz_fail(WZ_ERR_CORRUPT, "pairhuff: segment %llu decodes more escapes than its list holds", (unsigned long long)s);
        for (int l = 0; l < 32; l++)
            for (int q = 0; q < 16; q++) {
                if (key[l][q] == UINT32_MAX) key[l][q] = (uint32_t)esc[0] << 8 | esc[1], esc += 2;
                const uint64_t r = br * 32 + (pos[l][q] >> 5), c = (b0 + b) * 32 + (pos[l][q] & 31);
                if (r < rows && c < cols) y[r * cols + c] = wz_split_merge((uint8_t)(key[l][q] >> 8), raw[l * 32 + 2 * q], 1);
                if (r < rows && c + 1 < cols) y[r * cols + c + 1] = wz_split_merge((uint8_t)key[l][q], raw[l * 32 + 2 * q + 1], 1);
            }
    }
    if (at != nw) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: segment %llu leaves %llu of its words unread", (unsigned long long)s,
                                 (unsigned long long)(nw - at));
    if (esc != esc_end) return wz_fail(WZ_ERR_CORRUPT, "pairhuff: segment %llu leaves escapes unread", (unsigned long long)s);
    return WZ_OK;
}

static wz_err ph_decode(const uint8_t *src, size_t len, void *out, size_t out_bytes)
{
    wz_ph_view v;
    WZ_TRY(wz_ph_parse(src, len, &v));
    const wz_ph_header *h = v.h;
    if (out_bytes != h->rows * h->cols * 2)
        return wz_fail(WZ_ERR_DST_SIZE, "pairhuff: output is %zu bytes, need %llu", out_bytes, (unsigned long long)(h->rows * h->cols * 2));
    uint16_t *dt = malloc(sizeof(uint16_t) << WZ_HUF_MAX_BITS);
    if (!dt) return wz_fail(WZ_ERR_NOMEM, "pairhuff: out of memory");
    ph_dtable(h->len, dt);
    uint16_t pos[32][16];
    pair_pos(pos);
    int bad = 0;
    char msg[256] = "";
    /* Errors carry their detail out of the worker thread (wz_fail's buffer
     * is thread-local): the first one wins. */
    #pragma omp parallel for schedule(dynamic, 16)
    for (int64_t s = 0; s < (int64_t)h->nsegs; s++) {
        int stop;
        #pragma omp atomic read
        stop = bad;
        if (stop) continue;
        if (ph_decode_seg(&v, dt, pos, (uint64_t)s, out)) {
            #pragma omp critical(ph_msg)
            if (!bad) { bad = 1; snprintf(msg, sizeof msg, "%s", wz_err_detail()); }
        }
    }
    free(dt);
    return bad ? wz_fail(WZ_ERR_CORRUPT, "%s", msg) : WZ_OK;
}

const wz_codec wz_codec_pairhuff = {
    "pairhuff", "Huffman-coded exponent pairs (255 most frequent + escape), warp-interleaved 8-block segments, raw sign/mantissa",
    ph_supports, ph_bound, ph_encode, ph_decode,
};
