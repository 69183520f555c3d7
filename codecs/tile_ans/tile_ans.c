/* tile_ans.c — our codec: one rANS table per weight matrix, GEMM-aligned
 * tiles, each an independent stream of 32 interleaved lanes.
 *
 * Why this shape: a tile is what one warp of the GPU kernel consumes, so
 * tiles must decode independently (own states, own word range) and in the
 * order the kernel multiplies. Tile element e is symbol `step = e/32` of
 * lane `e%32`; step j covers column j % K of row group j / K, and lane l
 * holds row 32*(j/K) + l. So at every step the 32 lanes decode one column
 * of 32 consecutive rows: in a GEMV every lane multiplies by the same
 * activation and keeps its own row's sum (no cross-lane reduction), and 16
 * consecutive steps give each lane 16 consecutive weights of its row (one
 * 32-byte store in the standalone decoder). Every lane has the same static
 * symbol count (T*K/32), so output positions need no index — the reason
 * DFloat11 needs a second pass disappears. T is a multiple of 32, K of 16.
 * Edge tiles are padded with the most frequent symbol; the decoder drops
 * the padding.
 *
 * Symbol model for 16-bit floats (SPLIT16): the exponent is rANS-coded and
 * sign+mantissa travel raw. Measured on real weights (see README / results
 * bits-*.json) the raw plane costs H(exp)+8 - H(value) = 8 - H(sm|exp)
 * ~ 0.02-0.05 bit; the alternatives (high byte coded: ~0.14 bit loss; full
 * 16-bit alphabet: a 4096-slot table cannot hold ~10^4 distinct values
 * without escapes) lose more. For byte/nibble formats the symbol is the
 * whole code (CODES), which is the paper's definition exactly. */
#include "codecs/codecs.h"
#include "codecs/rans/rans.h"
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ta_supports(wz_dtype dt) { return wz_codec_elem_bytes(dt) > 0; }

static size_t align16(size_t x) { return (x + 15) & ~(size_t)15; }

typedef struct { uint64_t ntiles, te; size_t off_b, st_b, words_off, words_cap_b, raw_off, raw_b; } ta_layout;

/* Sizes of the parts; returns 0 on overflow. */
static int ta_layout_of(uint64_t tr, uint64_t tc, uint64_t te, uint64_t nwords, int split, ta_layout *L)
{
    uint64_t nt, b;
    if (__builtin_mul_overflow(tr, tc, &nt) || nt > (1ull << 32)) return 0;
    L->ntiles = nt; L->te = te;
    L->off_b = (size_t)(nt + 1) * 4;
    L->st_b = (size_t)nt * 128;
    /* 16-byte aligned: the GPU stages words with 8-byte cp.async copies. */
    L->words_off = align16(sizeof(wz_ta_header) + L->off_b + L->st_b);
    if (__builtin_mul_overflow(nwords, 2, &b) || b > (1ull << 50)) return 0;
    L->raw_off = align16(L->words_off + (size_t)b);
    if (__builtin_mul_overflow(nt, split ? te : 0, &b) || b > (1ull << 50)) return 0;
    L->raw_b = (size_t)b;
    return 1;
}

/* Tile actually used: the requested T x K when the matrix is a multiple of
 * it (every LLM linear layer), else the shape with T'<=T, K'<=K, K' a
 * multiple of 16, T' of 32, that minimises padding plus
 * per-tile cost (~9 bits per padded element, ~1100 bits per tile). */
static void choose_tile(uint64_t rows, uint64_t cols, uint32_t T, uint32_t K, uint32_t *to, uint32_t *ko)
{
    *to = T; *ko = K;
    if (rows % T == 0 && cols % K == 0) return;
    double best = -1;
    for (uint32_t k = 16; k <= K; k += 16)
        for (uint32_t t = 32; t <= T; t += 32) {
            if ((uint64_t)t * k % 512) continue;
            uint64_t tr = (rows + t - 1) / t, tc = (cols + k - 1) / k;
            double c = 9.0 * (double)(tr * t * tc * k - rows * cols) + 1100.0 * (double)(tr * tc);
            if (best < 0 || c < best) { best = c; *to = t; *ko = k; }
        }
}

static uint32_t tile_rows_for(const wz_codec_params *p, wz_dtype dt)
{
    return wz_codec_elem_bytes(dt) == 1 && p->code_tile_rows ? p->code_tile_rows : p->tile_rows;
}

static size_t ta_bound(const wz_codec_params *p, const wz_codec_input *in)
{
    uint32_t t32, k32;
    if (!p->tile_rows || !p->tile_cols) return 0;
    choose_tile(in->rows, in->cols, tile_rows_for(p, in->dtype), p->tile_cols, &t32, &k32);
    uint64_t T = t32, K = k32, tr = (in->rows + T - 1) / T, tc = (in->cols + K - 1) / K;
    ta_layout L;
    int split = wz_codec_elem_bytes(in->dtype) == 2;
    if (!ta_layout_of(tr, tc, T * K, tr * tc * T * K, split, &L)) return 0;
    return L.raw_off + L.raw_b;
}

wz_err wz_ta_parse(const uint8_t *src, size_t len, wz_ta_view *v)
{
    const wz_ta_header *h = (const wz_ta_header *)src;
    if (len < sizeof *h) return wz_fail(WZ_ERR_CORRUPT, "tile-ans blob of %zu bytes is shorter than its header", len);
    if (h->magic != WZ_TA_MAGIC) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: bad magic");
    if (h->version != WZ_TA_VERSION) return wz_fail(WZ_ERR_UNSUPPORTED, "tile-ans: version %u", h->version);
    if (h->dtype >= WZ_DT__COUNT || wz_codec_elem_bytes((wz_dtype)h->dtype) == 0) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: bad dtype %u", h->dtype);
    int split = wz_codec_elem_bytes((wz_dtype)h->dtype) == 2;
    if (h->model != (split ? WZ_TA_MODEL_SPLIT16 : WZ_TA_MODEL_CODES)) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: model %u does not fit dtype", h->model);
    if (h->lanes != WZ_RANS_LANES) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: %u lanes", h->lanes);
    uint64_t T = h->tile_rows, K = h->tile_cols, te = T * K;
    if (!T || !K || T % 32 || K % 16 || te > (1u << 20)) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: tile %llux%llu invalid", (unsigned long long)T, (unsigned long long)K);
    WZ_TRY(wz_codec_check_shape(h->rows, h->cols, "tile-ans"));
    if (h->tiles_r != (h->rows + T - 1) / T || h->tiles_c != (h->cols + K - 1) / K) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: tile grid does not match shape");
    wz_rans_table t;
    WZ_TRY(wz_rans_table_init(&t, h->freq, h->prob_bits));
    ta_layout L;
    if (!ta_layout_of(h->tiles_r, h->tiles_c, te, h->nwords, split, &L) || L.raw_off + L.raw_b != len)
        return wz_fail(WZ_ERR_CORRUPT, "tile-ans: blob is %zu bytes, header implies another size (truncated?)", len);
    v->h = h;
    v->ntiles = L.ntiles; v->tile_elems = te;
    v->word_off = (const uint32_t *)(src + sizeof *h);
    v->states = (const uint32_t *)(src + sizeof *h + L.off_b);
    v->words = (const uint16_t *)(src + L.words_off);
    v->raw = split ? src + L.raw_off : NULL;
    if (v->word_off[0] != 0 || v->word_off[L.ntiles] != h->nwords) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: tile index does not span the stream");
    for (uint64_t i = 0; i < L.ntiles; i++)
        if (v->word_off[i + 1] < v->word_off[i] || v->word_off[i + 1] - v->word_off[i] > te)
            return wz_fail(WZ_ERR_CORRUPT, "tile-ans: tile %llu word range invalid", (unsigned long long)i);
    for (uint64_t i = 0; i < L.ntiles * 32; i++)
        if (v->states[i] < WZ_RANS_L) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: tile %llu initial state below 2^16", (unsigned long long)(i / 32));
    return WZ_OK;
}

/* Code of element e of tile (ti, tj), or -1 if it is padding. */
static inline int64_t elem_index(const wz_ta_header *h, uint64_t ti, uint64_t tj, uint64_t e)
{
    uint64_t j = e >> 5, K = h->tile_cols;
    uint64_t r = ti * h->tile_rows + (j / K) * 32 + (e & 31), c = tj * K + j % K;
    return (r < h->rows && c < h->cols) ? (int64_t)(r * h->cols + c) : -1;
}

static wz_err ta_encode(const wz_codec_params *p, const wz_codec_input *in, uint8_t *dst, size_t cap, size_t *len, wz_cost *cost)
{
    int eb = wz_codec_elem_bytes(in->dtype), split = eb == 2, bf16 = in->dtype == WZ_DT_BF16;
    if (!eb) return wz_fail(WZ_ERR_UNSUPPORTED, "tile-ans: dtype %s not supported", wz_dtype_info_of(in->dtype)->name);
    uint64_t n = in->rows * in->cols, T = tile_rows_for(p, in->dtype), K = p->tile_cols, te = T * K;
    if (!T || !K || T % 32 || K % 16 || te > (1u << 20)) return wz_fail(WZ_ERR_ARG, "tile-ans: tile %llux%llu must hold a multiple of 512 elements (<= 2^20), T a multiple of 32, K of 16",
                                                             (unsigned long long)T, (unsigned long long)K);
    uint32_t t32, k32;
    choose_tile(in->rows, in->cols, (uint32_t)T, (uint32_t)K, &t32, &k32);
    T = t32; K = k32; te = T * K;
    const uint16_t *x16 = in->data;
    const uint8_t *x8 = in->data;
    uint64_t cnt[256] = {0};
    for (uint64_t i = 0; i < n; i++) cnt[split ? wz_split_sym(x16[i], bf16) : x8[i]]++;
    int top = 0;
    for (int s = 1; s < 256; s++) if (cnt[s] > cnt[top]) top = s;
    wz_ta_header h = {WZ_TA_MAGIC, WZ_TA_VERSION, (uint8_t)in->dtype, (uint8_t)(split ? WZ_TA_MODEL_SPLIT16 : WZ_TA_MODEL_CODES),
                      (uint8_t)p->prob_bits, WZ_RANS_LANES, {0, 0}, (uint32_t)T, (uint32_t)K, in->rows, in->cols,
                      (uint32_t)((in->rows + T - 1) / T), (uint32_t)((in->cols + K - 1) / K), 0, {0}};
    WZ_TRY(wz_rans_normalize(cnt, p->prob_bits, h.freq));
    wz_rans_table t;
    WZ_TRY(wz_rans_table_init(&t, h.freq, p->prob_bits));
    uint64_t nt = (uint64_t)h.tiles_r * h.tiles_c;
    uint16_t *wbuf = malloc(nt * te * sizeof *wbuf);
    uint32_t *nw = malloc(nt * sizeof *nw), *states = malloc(nt * 128);
    if (!wbuf || !nw || !states) { free(wbuf); free(nw); free(states); return wz_fail(WZ_ERR_NOMEM, "tile-ans: out of memory"); }
    wz_err err = WZ_OK;
    #pragma omp parallel num_threads(p->threads > 0 ? p->threads : omp_get_max_threads())
    {
        uint8_t *sym = malloc(te);
        #pragma omp for schedule(dynamic, 4)
        for (int64_t k = 0; k < (int64_t)nt; k++) {
            if (!sym) { err = WZ_ERR_NOMEM; continue; }
            for (uint64_t e = 0; e < te; e++) {
                int64_t i = elem_index(&h, (uint64_t)k / h.tiles_c, (uint64_t)k % h.tiles_c, e);
                sym[e] = i < 0 ? (uint8_t)top : split ? wz_split_sym(x16[i], bf16) : x8[i];
            }
            size_t w;
            if (wz_rans32_encode(&t, sym, (uint32_t)(te / 32), wbuf + (size_t)k * te, &w, states + 32 * k)) err = WZ_ERR_ARG;
            nw[k] = (uint32_t)w;
        }
        free(sym);
    }
    if (err) { free(wbuf); free(nw); free(states); return wz_fail(err, "tile-ans: encoding failed"); }
    uint64_t total = 0;
    for (uint64_t k = 0; k < nt; k++) total += nw[k];
    h.nwords = total;
    ta_layout L;
    if (!ta_layout_of(h.tiles_r, h.tiles_c, te, total, split, &L) || L.raw_off + L.raw_b > cap) {
        free(wbuf); free(nw); free(states);
        return wz_fail(WZ_ERR_DST_SIZE, "tile-ans: output buffer too small");
    }
    memcpy(dst, &h, sizeof h);
    uint32_t *off = (uint32_t *)(dst + sizeof h);
    uint16_t *words = (uint16_t *)(dst + L.words_off);
    off[0] = 0;
    for (uint64_t k = 0; k < nt; k++) {
        memcpy(words + off[k], wbuf + k * te, nw[k] * sizeof *words);
        off[k + 1] = off[k] + nw[k];
    }
    memcpy(dst + sizeof h + L.off_b, states, nt * 128);
    memset(dst + sizeof h + L.off_b + nt * 128, 0, L.words_off - (sizeof h + L.off_b + nt * 128));
    memset(dst + L.words_off + total * 2, 0, L.raw_off - (L.words_off + total * 2));
    if (split) {
        uint8_t *raw = dst + L.raw_off;
        #pragma omp parallel for schedule(static)
        for (int64_t k = 0; k < (int64_t)nt; k++)
            for (uint64_t e = 0; e < te; e++) {
                int64_t i = elem_index(&h, (uint64_t)k / h.tiles_c, (uint64_t)k % h.tiles_c, e);
                raw[(uint64_t)k * te + wz_ta_raw_pos(e)] = i < 0 ? 0 : wz_split_raw(x16[i], bf16);
            }
    }
    *len = L.raw_off + L.raw_b;
    if (cost) {
        double hs = wz_codec_model_bits(cnt, n);
        cost->n = n;
        cost->h_full = wz_codec_input_entropy(in);
        cost->model_bits = hs + (split ? 8.0 * n : 0);
        cost->ideal_bits = wz_rans_cost_bits(&t, cnt) + (split ? 8.0 * n : 0);
        cost->payload_bits = 16.0 * total + 1024.0 * nt + (split ? 8.0 * n : 0);
        cost->total_bits = 8.0 * *len;
    }
    free(wbuf); free(nw); free(states);
    return WZ_OK;
}

static wz_err ta_decode(const uint8_t *src, size_t len, void *out, size_t out_bytes)
{
    wz_ta_view v;
    WZ_TRY(wz_ta_parse(src, len, &v));
    const wz_ta_header *h = v.h;
    int split = h->model == WZ_TA_MODEL_SPLIT16, bf16 = h->dtype == WZ_DT_BF16;
    if (out_bytes != h->rows * h->cols * (split ? 2 : 1)) return wz_fail(WZ_ERR_DST_SIZE, "tile-ans: output is %zu bytes, need %llu", out_bytes,
                                                                      (unsigned long long)(h->rows * h->cols * (split ? 2 : 1)));
    wz_rans_table t;
    WZ_TRY(wz_rans_table_init(&t, h->freq, h->prob_bits));
    uint32_t *dt = malloc(sizeof *dt << h->prob_bits);
    if (!dt) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    wz_rans_dtable_build(&t, dt);
    uint64_t te = v.tile_elems;
    volatile int bad = 0;
    char msg[256] = "";
    #pragma omp parallel
    {
        uint8_t *sym = malloc(te);
        #pragma omp for schedule(dynamic, 4)
        for (int64_t k = 0; k < (int64_t)v.ntiles; k++) {
            if (bad) continue;
            if (!sym) { bad = 1; continue; }
            wz_err e = wz_rans32_decode(dt, h->prob_bits, v.words + v.word_off[k], v.word_off[k + 1] - v.word_off[k], v.states + 32 * k,
                                        (uint32_t)(te / 32), sym);
            if (e) {
                #pragma omp critical(ta_msg)
                { bad = 1; snprintf(msg, sizeof msg, "tile %lld: %s", (long long)k, wz_err_detail()); }
                continue;
            }
            const uint8_t *raw = split ? v.raw + (uint64_t)k * te : NULL;
            /* Scatter step by step (elem_index's order, one division per step):
             * step j is column j % K of row group j / K, lane = row. */
            const uint64_t K = h->tile_cols, ti = (uint64_t)k / h->tiles_c, tj = (uint64_t)k % h->tiles_c;
            for (uint64_t j = 0; j < te / 32; j++) {
                uint64_t c = tj * K + j % K, r0 = ti * h->tile_rows + (j / K) * 32;
                if (c >= h->cols || r0 >= h->rows) continue;
                uint64_t lanes = h->rows - r0 < 32 ? h->rows - r0 : 32;
                const uint8_t *sy = sym + j * 32;
                if (split) {
                    const uint8_t *rw = raw + (j >> 4) * 512 + (j & 15);
                    uint16_t *o = (uint16_t *)out + r0 * h->cols + c;
                    for (uint64_t l = 0; l < lanes; l++) o[l * h->cols] = wz_split_merge(sy[l], rw[l * 16], bf16);
                } else {
                    uint8_t *o = (uint8_t *)out + r0 * h->cols + c;
                    for (uint64_t l = 0; l < lanes; l++) o[l * h->cols] = sy[l];
                }
            }
        }
        free(sym);
    }
    free(dt);
    if (bad) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: %s", msg[0] ? msg : "out of memory");
    return WZ_OK;
}

const wz_codec wz_codec_tile_ans = {
    "tile-ans", "ours: rANS, one table per matrix, GEMM-aligned tiles of 32 lanes", ta_supports, ta_bound, ta_encode, ta_decode,
};
