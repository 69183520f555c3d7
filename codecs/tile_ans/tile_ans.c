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
 * Symbol models for 16-bit floats: the exponent is rANS-coded and
 * sign+mantissa travel raw. Measured on real weights (see README / results
 * bits-*.json) the raw plane costs H(exp)+8 - H(value) = 8 - H(sm|exp)
 * ~ 0.02-0.05 bit; the alternatives (high byte coded: ~0.14 bit loss; full
 * 16-bit alphabet: a 4096-slot table cannot hold ~10^4 distinct values
 * without escapes) lose more. SPLIT16 codes one exponent per rANS step;
 * PAIR16 (the bf16 default) codes the exponents of two consecutive weights
 * of a lane (columns 2i, 2i+1 of its row) as one symbol over a window of 15
 * exponents plus an escape, so the GPU pays one lookup, one state update and
 * one refill per two weights (results/bits-*-pair*.json has both models'
 * gap terms). For byte/nibble formats the symbol is the whole code (CODES),
 * which is the paper's definition exactly.
 *
 * PAIR16 tiles may instead use the MMA element order (v5, codecs.h): the
 * same 32-row x 16-column block per group, each lane's pairs placed where
 * mma.sync's A fragment wants them, so the fused kernel multiplies decoded
 * registers on tensor cores at any M without staging or FMAs. */
#include "codecs/codecs.h"
#include "codecs/rans/rans.h"
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ta_supports(wz_dtype dt) { return wz_codec_elem_bytes(dt) > 0; }

static size_t align16(size_t x) { return (x + 15) & ~(size_t)15; }

typedef struct { uint64_t ntiles, te; size_t off_b, st_b, eo_b, words_off, raw_off, raw_b, esc_off, total; } ta_layout;

/* Sizes of the parts; returns 0 on overflow. */
static int ta_layout_of(uint64_t tr, uint64_t tc, uint64_t te, uint64_t nwords, uint64_t nesc, int model, uint32_t ilp, ta_layout *L)
{
    uint64_t nt, b;
    if (__builtin_mul_overflow(tr, tc, &nt) || nt > (1ull << 32)) return 0;
    L->ntiles = nt; L->te = te;
    L->off_b = (size_t)(nt + 1) * 4;
    L->st_b = (size_t)nt * 128 * ilp;
    L->eo_b = model == WZ_TA_MODEL_PAIR16 ? (size_t)(nt + 1) * 4 : 0;
    /* 16-byte aligned: the GPU stages words with 8-byte cp.async copies. */
    L->words_off = align16(sizeof(wz_ta_header) + L->off_b + L->st_b + L->eo_b);
    if (__builtin_mul_overflow(nwords, 2, &b) || b > (1ull << 50)) return 0;
    L->raw_off = align16(L->words_off + (size_t)b);
    if (__builtin_mul_overflow(nt, model != WZ_TA_MODEL_CODES ? wz_ta_raw_bytes(te, wz_ta_carried(model, ilp)) : 0, &b) || b > (1ull << 50)) return 0;
    L->raw_b = (size_t)b;
    L->esc_off = L->raw_off + L->raw_b;
    if (nesc > (1ull << 50) || (model != WZ_TA_MODEL_PAIR16 && nesc)) return 0;
    L->total = L->esc_off + (size_t)nesc;
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
static uint32_t tile_cols_for(const wz_codec_params *p, wz_dtype dt)
{
    return wz_codec_elem_bytes(dt) == 1 && p->code_tile_cols ? p->code_tile_cols : p->tile_cols;
}

static int model_for(const wz_codec_params *p, wz_dtype dt)
{
    if (wz_codec_elem_bytes(dt) == 1) return WZ_TA_MODEL_CODES;
    return dt == WZ_DT_BF16 && p->bf16_model == WZ_TA_MODEL_PAIR16 ? WZ_TA_MODEL_PAIR16 : WZ_TA_MODEL_SPLIT16;
}

/* States per lane: 1 unless asked (the smallest blob: each extra state
 * costs ~16 bits per lane and tile); the GPU plans ask for 2 where the
 * second independent chain pays (kernels/plan-*.tsv, NOTES.md v27). */
static uint32_t ilp_for(const wz_codec_params *p)
{
    return p->lane_states ? (uint32_t)p->lane_states : 1;
}

static size_t ta_bound(const wz_codec_params *p, const wz_codec_input *in)
{
    uint32_t t32, k32;
    if (!p->tile_rows || !p->tile_cols) return 0;
    choose_tile(in->rows, in->cols, tile_rows_for(p, in->dtype), tile_cols_for(p, in->dtype), &t32, &k32);
    uint64_t T = t32, K = k32, tr = (in->rows + T - 1) / T, tc = (in->cols + K - 1) / K;
    int model = model_for(p, in->dtype);
    ta_layout L;
    if (p->lane_states < 0 || p->lane_states > WZ_RANS_MAX_ILP) return 0;
    if (!ta_layout_of(tr, tc, T * K, tr * tc * T * K, model == WZ_TA_MODEL_PAIR16 ? in->rows * in->cols : 0, model, ilp_for(p), &L)) return 0;
    return L.total;
}

wz_err wz_ta_parse(const uint8_t *src, size_t len, wz_ta_view *v)
{
    const wz_ta_header *h = (const wz_ta_header *)src;
    if (len < sizeof *h) return wz_fail(WZ_ERR_CORRUPT, "tile-ans blob of %zu bytes is shorter than its header", len);
    if (h->magic != WZ_TA_MAGIC) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: bad magic");
    if (h->version < 3 || h->version > WZ_TA_VERSION) return wz_fail(WZ_ERR_UNSUPPORTED, "tile-ans: version %u (this build reads 3 to %u)", h->version, WZ_TA_VERSION);
    /* v3 had a zero pad byte where v4 keeps the states per lane and v5 the
     * element order in its high nibble. */
    const uint32_t byte = (uint32_t)h->ilp | (uint32_t)h->order << 4;
    const uint32_t ilp = h->version == 3 ? (byte == 0 ? 1u : 0u) : h->version == 4 ? byte : h->ilp;
    if (ilp < 1 || ilp > WZ_RANS_MAX_ILP) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: %u rANS states per lane (1..%d)", byte, WZ_RANS_MAX_ILP);
    const uint32_t order = h->version >= 5 ? h->order : WZ_TA_ORDER_ROWS;
    if (order > WZ_TA_ORDER_MMA || (order != WZ_TA_ORDER_ROWS && h->model != WZ_TA_MODEL_PAIR16))
        return wz_fail(WZ_ERR_CORRUPT, "tile-ans: element order %u (rows = 0; mma = 1, PAIR16 only)", order);
    if (h->dtype >= WZ_DT__COUNT || wz_codec_elem_bytes((wz_dtype)h->dtype) == 0) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: bad dtype %u", h->dtype);
    int split = wz_codec_elem_bytes((wz_dtype)h->dtype) == 2;
    int ok_model = split ? h->model == WZ_TA_MODEL_SPLIT16 || (h->model == WZ_TA_MODEL_PAIR16 && h->dtype == WZ_DT_BF16) : h->model == WZ_TA_MODEL_CODES;
    if (!ok_model) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: model %u does not fit dtype", h->model);
    if (h->lanes != WZ_RANS_LANES) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: %u lanes", h->lanes);
    uint64_t T = h->tile_rows, K = h->tile_cols, te = T * K;
    if (!T || !K || T % 32 || K % 16 || te > (1u << 20)) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: tile %llux%llu invalid", (unsigned long long)T, (unsigned long long)K);
    WZ_TRY(wz_codec_check_shape(h->rows, h->cols, "tile-ans"));
    if (h->tiles_r != (h->rows + T - 1) / T || h->tiles_c != (h->cols + K - 1) / K) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: tile grid does not match shape");
    wz_rans_table t;
    WZ_TRY(wz_rans_table_init(&t, h->freq, h->prob_bits));
    ta_layout L;
    if (!ta_layout_of(h->tiles_r, h->tiles_c, te, h->nwords, h->nesc, h->model, ilp, &L) || L.total != len)
        return wz_fail(WZ_ERR_CORRUPT, "tile-ans: blob is %zu bytes, header implies another size (truncated?)", len);
    v->h = h;
    v->ntiles = L.ntiles; v->tile_elems = te;
    v->ilp = ilp;
    v->order = order;
    v->word_off = (const uint32_t *)(src + sizeof *h);
    v->states = (const uint32_t *)(src + sizeof *h + L.off_b);
    v->esc_off = L.eo_b ? (const uint32_t *)(src + sizeof *h + L.off_b + L.st_b) : NULL;
    v->words = (const uint16_t *)(src + L.words_off);
    v->raw = split ? src + L.raw_off : NULL;
    v->esc = src + L.esc_off;
    if (v->word_off[0] != 0 || v->word_off[L.ntiles] != h->nwords) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: tile index does not span the stream");
    for (uint64_t i = 0; i < L.ntiles; i++)
        if (v->word_off[i + 1] < v->word_off[i] || v->word_off[i + 1] - v->word_off[i] > te)
            return wz_fail(WZ_ERR_CORRUPT, "tile-ans: tile %llu word range invalid", (unsigned long long)i);
    if (v->esc_off) {
        if (v->esc_off[0] != 0 || v->esc_off[L.ntiles] != h->nesc) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: escape index does not span the escapes");
        for (uint64_t i = 0; i < L.ntiles; i++)
            if (v->esc_off[i + 1] < v->esc_off[i] || v->esc_off[i + 1] - v->esc_off[i] > te)
                return wz_fail(WZ_ERR_CORRUPT, "tile-ans: tile %llu escape range invalid", (unsigned long long)i);
    }
    for (uint64_t i = 0; i < L.ntiles * 32 * ilp; i++)
        if (v->states[i] < WZ_RANS_L) return wz_fail(WZ_ERR_CORRUPT, "tile-ans: tile %llu initial state below 2^16", (unsigned long long)(i / (32 * ilp)));
    return WZ_OK;
}

/* Row and column offsets in its tile of element e (e = step*32 + lane) in
 * the order `order` (codecs.h): ROWS, step j is column j % K of row group
 * j / K and lane l its row l; MMA, group q = j / 16 is the same 32 x 16
 * block, and lane l's pair step i = 4 rb + a holds row 16 rb + l/4 +
 * 8 (a & 1), columns 2 (l % 4) + 8 (a >> 1) + (j & 1). */
static inline void elem_pos(uint32_t order, uint64_t K, uint64_t e, uint64_t *r, uint64_t *c)
{
    uint64_t j = e >> 5, l = e & 31;
    if (order == WZ_TA_ORDER_ROWS) { *r = (j / K) * 32 + l; *c = j % K; return; }
    uint64_t q = j >> 4, i = (j & 15) >> 1, a = i & 3, kg = K / 16;
    *r = (q / kg) * 32 + (i >> 2) * 16 + (l >> 2) + 8 * (a & 1);
    *c = (q % kg) * 16 + 2 * (l & 3) + 8 * (a >> 1) + (j & 1);
}

/* Code of element e of tile (ti, tj), or -1 if it is padding. */
static inline int64_t elem_index(const wz_ta_header *h, uint64_t ti, uint64_t tj, uint64_t e)
{
    uint64_t r, c;
    elem_pos(h->order, h->tile_cols, e, &r, &c); /* v3/v4 headers read order 0 (wz_ta_parse) */
    r += ti * h->tile_rows; c += tj * h->tile_cols;
    return (r < h->rows && c < h->cols) ? (int64_t)(r * h->cols + c) : -1;
}

/* The rANS symbols of tile k (te/32 steps, or te/64 pair steps for PAIR16)
 * and, for PAIR16, its escaped exponents in decode order (esc may be NULL:
 * count only). Padding takes symbol `pad` (a code that never escapes). Also
 * counts the symbols of steps that hold a real element into real[] and all
 * symbols into all[] when those are given. Returns the escape count. */
static uint64_t tile_symbols(const wz_ta_header *h, const wz_codec_input *in, uint64_t k, uint8_t pad, uint8_t *sym, uint8_t *esc,
                             uint64_t *real, uint64_t *all)
{
    const uint64_t te = (uint64_t)h->tile_rows * h->tile_cols, ti = k / h->tiles_c, tj = k % h->tiles_c;
    const uint16_t *x16 = in->data;
    const uint8_t *x8 = in->data;
    const int bf16 = h->dtype == WZ_DT_BF16;
    uint64_t nesc = 0;
    if (h->model != WZ_TA_MODEL_PAIR16) {
        for (uint64_t e = 0; e < te; e++) {
            int64_t i = elem_index(h, ti, tj, e);
            sym[e] = i < 0 ? pad : h->model == WZ_TA_MODEL_SPLIT16 ? wz_split_sym(x16[i], bf16) : x8[i];
            if (all) all[sym[e]]++;
            if (real && i >= 0) real[sym[e]]++;
        }
        return 0;
    }
    for (uint64_t ps = 0; ps < te / 64; ps++)
        for (uint64_t l = 0; l < 32; l++) {
            uint32_t s = 0;
            int any = 0;
            for (int half = 0; half < 2; half++) {
                int64_t i = elem_index(h, ti, tj, (2 * ps + half) * 32 + l);
                uint32_t c = pad & 15;
                if (i >= 0) {
                    uint32_t ex = wz_split_sym(x16[i], 1);
                    c = wz_pair_code(ex, h->ebase);
                    if (c == WZ_TA_ESC) { if (esc) esc[nesc] = (uint8_t)ex; nesc++; }
                    any = 1;
                }
                s |= c << (4 * half);
            }
            sym[ps * 32 + l] = (uint8_t)s;
            if (all) all[s]++;
            if (real && any) real[s]++;
        }
    return nesc;
}

static wz_err ta_encode(const wz_codec_params *p, const wz_codec_input *in, uint8_t *dst, size_t cap, size_t *len, wz_cost *cost)
{
    int eb = wz_codec_elem_bytes(in->dtype), split = eb == 2, bf16 = in->dtype == WZ_DT_BF16;
    if (!eb) return wz_fail(WZ_ERR_UNSUPPORTED, "tile-ans: dtype %s not supported", wz_dtype_info_of(in->dtype)->name);
    uint64_t n = in->rows * in->cols, T = tile_rows_for(p, in->dtype), K = tile_cols_for(p, in->dtype), te = T * K;
    if (!T || !K || T % 32 || K % 16 || te > (1u << 20)) return wz_fail(WZ_ERR_ARG, "tile-ans: tile %llux%llu must hold a multiple of 512 elements (<= 2^20), T a multiple of 32, K of 16",
                                                             (unsigned long long)T, (unsigned long long)K);
    uint32_t t32, k32;
    choose_tile(in->rows, in->cols, (uint32_t)T, (uint32_t)K, &t32, &k32);
    T = t32; K = k32; te = T * K;
    const int model = model_for(p, in->dtype), pair = model == WZ_TA_MODEL_PAIR16;
    if (p->lane_states < 0 || p->lane_states > WZ_RANS_MAX_ILP) return wz_fail(WZ_ERR_ARG, "tile-ans: %d rANS states per lane (0 = default, 1, 2)", p->lane_states);
    if (p->order != WZ_TA_ORDER_ROWS && p->order != WZ_TA_ORDER_MMA) return wz_fail(WZ_ERR_ARG, "tile-ans: element order %d (0 = rows, 1 = mma)", p->order);
    const uint32_t ilp = ilp_for(p), cb = wz_ta_carried(model, ilp);
    const int pb = model == WZ_TA_MODEL_CODES && p->code_prob_bits ? p->code_prob_bits : p->prob_bits;
    const uint16_t *x16 = in->data;
    const uint8_t *x8 = in->data;
    uint64_t cnt[256] = {0};
    for (uint64_t i = 0; i < n; i++) cnt[split ? wz_split_sym(x16[i], bf16) : x8[i]]++;
    int top = 0;
    for (int s = 1; s < 256; s++) if (cnt[s] > cnt[top]) top = s;
    /* PAIR16 window: the 15 consecutive exponents holding the most weights. */
    const int ebase = pair ? (int)wz_best_window(cnt, WZ_TA_ESC, NULL) : 0;
    uint8_t pad = (uint8_t)top;
    if (pair) { uint32_t c = wz_pair_code((uint32_t)top, (uint32_t)ebase); c = c == WZ_TA_ESC ? 0 : c; pad = (uint8_t)(c | c << 4); }
    wz_ta_header h = {WZ_TA_MAGIC, WZ_TA_VERSION, (uint8_t)in->dtype, (uint8_t)model, (uint8_t)pb, WZ_RANS_LANES, (uint8_t)ebase, (uint8_t)ilp, (uint8_t)(pair ? p->order : WZ_TA_ORDER_ROWS),
                      (uint32_t)T, (uint32_t)K, in->rows, in->cols,
                      (uint32_t)((in->rows + T - 1) / T), (uint32_t)((in->cols + K - 1) / K), 0, 0, {0}};
    const uint64_t nt = (uint64_t)h.tiles_r * h.tiles_c, nsym = pair ? te / 2 : te;
    const int nth = p->threads > 0 ? p->threads : omp_get_max_threads();
    /* Symbol statistics: SPLIT16/CODES symbols are per element (cnt); PAIR16
     * symbols depend on the pairing, so one pass over the tiles counts them
     * (real: steps holding a real element; all: incl. padding) and each
     * tile's escapes. */
    uint64_t real[256] = {0}, all[256] = {0};
    uint32_t *esc_off = calloc(nt + 1, sizeof *esc_off);
    if (!esc_off) return wz_fail(WZ_ERR_NOMEM, "tile-ans: out of memory");
    if (pair) {
        #pragma omp parallel num_threads(nth)
        {
            uint64_t r_[256] = {0}, a_[256] = {0};
            uint8_t *sym = malloc(nsym);
            #pragma omp for schedule(dynamic, 4)
            for (int64_t k = 0; k < (int64_t)nt; k++)
                if (sym) esc_off[k + 1] = (uint32_t)tile_symbols(&h, in, (uint64_t)k, pad, sym, NULL, r_, a_);
            #pragma omp critical(ta_hist)
            for (int s = 0; s < 256; s++) { real[s] += r_[s]; all[s] += a_[s]; }
            free(sym);
        }
        for (uint64_t k = 0; k < nt; k++) esc_off[k + 1] += esc_off[k];
        h.nesc = esc_off[nt];
    } else {
        memcpy(real, cnt, sizeof cnt);
        memcpy(all, cnt, sizeof cnt);
        all[top] += nt * te - n; /* padding */
    }
    WZ_TRY(wz_rans_normalize(all, pb, h.freq));
    wz_rans_table t;
    WZ_TRY(wz_rans_table_init(&t, h.freq, pb));
    uint16_t *wbuf = malloc(nt * nsym * sizeof *wbuf);
    uint32_t *nw = malloc(nt * sizeof *nw), *states = malloc(nt * 128 * ilp);
    uint8_t *escb = malloc(h.nesc + 1);
    wz_err err = WZ_OK;
    if (!wbuf || !nw || !states || !escb) { err = WZ_ERR_NOMEM; goto out; }
    #pragma omp parallel num_threads(nth)
    {
        uint8_t *sym = malloc(nsym);
        #pragma omp for schedule(dynamic, 4)
        for (int64_t k = 0; k < (int64_t)nt; k++) {
            if (!sym) { err = WZ_ERR_NOMEM; continue; }
            tile_symbols(&h, in, (uint64_t)k, pad, sym, escb + esc_off[k], NULL, NULL);
            /* PAIR16: each lane's last 2*ilp raw bytes ride in its states,
             * state s holding steps te/32 - cb + 2s and + 1 (low byte first). */
            uint16_t carry[WZ_RANS_LANES * WZ_RANS_MAX_ILP];
            for (uint32_t st = 0; pair && st < ilp; st++)
                for (int l = 0; l < WZ_RANS_LANES; l++) {
                    uint8_t r[2];
                    for (int hh = 0; hh < 2; hh++) {
                        int64_t i = elem_index(&h, (uint64_t)k / h.tiles_c, (uint64_t)k % h.tiles_c, (te / 32 - cb + 2 * st + hh) * 32 + l);
                        r[hh] = i < 0 ? 0 : wz_split_raw(x16[i], bf16);
                    }
                    carry[st * WZ_RANS_LANES + l] = (uint16_t)(r[0] | r[1] << 8);
                }
            size_t w;
            if (wz_rans32_encode(&t, sym, (uint32_t)(nsym / 32), (int)ilp, wbuf + (size_t)k * nsym, &w, states + (size_t)32 * ilp * k, pair ? carry : NULL)) err = WZ_ERR_ARG;
            nw[k] = (uint32_t)w;
        }
        free(sym);
    }
    if (err) goto out;
    uint64_t total = 0;
    for (uint64_t k = 0; k < nt; k++) total += nw[k];
    h.nwords = total;
    ta_layout L;
    if (!ta_layout_of(h.tiles_r, h.tiles_c, te, total, h.nesc, model, ilp, &L) || L.total > cap) { err = WZ_ERR_DST_SIZE; goto out; }
    memset(dst, 0, L.words_off);
    memcpy(dst, &h, sizeof h);
    uint32_t *off = (uint32_t *)(dst + sizeof h);
    uint16_t *words = (uint16_t *)(dst + L.words_off);
    off[0] = 0;
    for (uint64_t k = 0; k < nt; k++) {
        memcpy(words + off[k], wbuf + k * nsym, nw[k] * sizeof *words);
        off[k + 1] = off[k] + nw[k];
    }
    memcpy(dst + sizeof h + L.off_b, states, nt * 128 * ilp);
    if (pair) memcpy(dst + sizeof h + L.off_b + L.st_b, esc_off, (nt + 1) * 4);
    memset(dst + L.words_off + total * 2, 0, L.raw_off - (L.words_off + total * 2));
    if (split) {
        uint8_t *raw = dst + L.raw_off;
        #pragma omp parallel for schedule(static) num_threads(nth)
        for (int64_t k = 0; k < (int64_t)nt; k++)
            for (uint64_t e = 0; e < te; e++) {
                uint64_t pos = wz_ta_raw_pos((uint64_t)k, nt, e, te, cb);
                if (pos == UINT64_MAX) continue;
                int64_t i = elem_index(&h, (uint64_t)k / h.tiles_c, (uint64_t)k % h.tiles_c, e);
                raw[pos] = i < 0 ? 0 : wz_split_raw(x16[i], bf16);
            }
    }
    memcpy(dst + L.esc_off, escb, h.nesc);
    *len = L.total;
    if (cost) {
        /* Coded part: n*H(exponent) (SPLIT16/CODES) or, for PAIR16, the
         * pairs' own entropy + 8 bits per escaped exponent. */
        uint64_t nreal = 0;
        for (int s = 0; s < 256; s++) nreal += real[s];
        double raw_bits = (split ? 8.0 * n : 0) + 8.0 * h.nesc;
        cost->n = n;
        cost->h_full = wz_codec_input_entropy(in);
        cost->model_bits = wz_codec_model_bits(real, nreal) + raw_bits;
        cost->ideal_bits = wz_rans_cost_bits(&t, real) + raw_bits;
        /* Raw bytes carried in the states are paid by the states' bits. */
        uint64_t carried = 0;
        for (uint64_t k = 0; pair && k < nt; k++)
            for (uint64_t e = (te / 32 - cb) * 32; e < te; e++) carried += elem_index(&h, k / h.tiles_c, k % h.tiles_c, e) >= 0;
        cost->payload_bits = 16.0 * total + 1024.0 * ilp * nt + raw_bits - 8.0 * carried;
        cost->total_bits = 8.0 * *len;
    }
out:
    free(wbuf); free(nw); free(states); free(escb); free(esc_off);
    if (err == WZ_ERR_DST_SIZE) return wz_fail(err, "tile-ans: output buffer too small");
    if (err) return wz_fail(err, "tile-ans: encoding failed");
    return WZ_OK;
}

/* PAIR16 raw byte of (step, lane) of a tile: wz_ta_raw_pos's 512-byte
 * blocks (main bytes per tile), the tile's tail (tl bytes per lane), or the
 * bytes carried in the lane's final states. */
static inline uint8_t pair_raw(const uint8_t *rmain, const uint8_t *rtail, const uint16_t *carry, uint64_t main, uint64_t tl, uint64_t step, uint64_t l)
{
    const uint64_t b = step & 15;
    if ((step >> 4) * 512 < main) return rmain[(step >> 4) * 512 + l * 16 + b];
    if (b < tl) return rtail[l * tl + b];
    return (uint8_t)(carry[(b - tl) / 2 * 32 + l] >> (8 * ((b - tl) & 1)));
}

/* Scatter tile k's decoded symbols to the output (elem_index's order; for
 * ROWS one division per step: step j is column j % K of row group j / K,
 * lane = row).
 * PAIR16 takes escaped exponents in decode order and checks their count;
 * ex: te bytes of scratch. */
static wz_err tile_scatter(const wz_ta_view *v, uint64_t k, const uint8_t *sym, const uint16_t *carry, uint8_t *ex, void *out)
{
    const wz_ta_header *h = v->h;
    const uint64_t te = v->tile_elems, K = h->tile_cols, ti = k / h->tiles_c, tj = k % h->tiles_c;
    const int bf16 = h->dtype == WZ_DT_BF16;
    const uint8_t *raw = v->raw && !carry ? v->raw + k * te : NULL;
    if (h->model == WZ_TA_MODEL_PAIR16) {
        /* Exponents resolved in decode order (pair step, lane, half: the
         * order escapes are stored in) into ex[] (tile element order), then
         * written row by row: contiguous stores, raw bytes 16 at a time. */
        const uint8_t *esc = v->esc + v->esc_off[k];
        const uint64_t ne = v->esc_off[k + 1] - v->esc_off[k], T = h->tile_rows, main = te - 512;
        uint64_t ei = 0;
        for (uint64_t ps = 0; ps < te / 64; ps++)
            for (uint64_t l = 0; l < 32; l++)
                for (int half = 0; half < 2; half++) {
                    uint32_t code = (sym[ps * 32 + l] >> (4 * half)) & 15;
                    uint8_t e8 = (uint8_t)(h->ebase + code);
                    if (code == WZ_TA_ESC) {
                        if (ei >= ne) return wz_fail(WZ_ERR_CORRUPT, "tile %llu: more escapes than its %llu escape bytes", (unsigned long long)k, (unsigned long long)ne);
                        e8 = esc[ei++];
                    }
                    ex[(2 * ps + half) * 32 + l] = e8;
                }
        if (ei != ne) return wz_fail(WZ_ERR_CORRUPT, "tile %llu: %llu of its %llu escape bytes unused", (unsigned long long)k, (unsigned long long)(ne - ei), (unsigned long long)ne);
        const uint64_t cb = wz_ta_carried(h->model, v->ilp), tl = 16 - cb; /* tail bytes per lane */
        const uint8_t *rmain = v->raw + k * main, *rtail = v->raw + v->ntiles * main + k * 32 * tl;
        const uint64_t c0 = tj * K, nc = h->cols - c0 < K ? h->cols - c0 : K;
        if (v->order == WZ_TA_ORDER_MMA) { /* group by group: elem_pos's MMA mapping with one division per group */
            const uint64_t kg = K / 16;
            for (uint64_t q = 0; q < te / 512; q++) {
                const uint64_t r0 = ti * T + (q / kg) * 32, cq = (q % kg) * 16;
                const uint8_t *rq = q * 512 < main ? rmain + q * 512 : NULL; /* all but the last group: one 512-byte block */
                for (uint64_t l = 0; l < 32; l++)
                    for (uint64_t i = 0; i < 8; i++) {
                        const uint64_t r = r0 + (i >> 2) * 16 + (l >> 2) + 8 * (i & 1), c = cq + 2 * (l & 3) + 8 * ((i >> 1) & 1);
                        if (r >= h->rows) continue;
                        uint16_t *o = (uint16_t *)out + r * h->cols + c0 + c;
                        for (uint64_t half = 0; half < 2; half++) {
                            const uint64_t step = q * 16 + 2 * i + half;
                            const uint8_t rb = rq ? rq[l * 16 + 2 * i + half] : pair_raw(rmain, rtail, carry, main, tl, step, l);
                            if (c + half < nc) o[half] = wz_split_merge(ex[step * 32 + l], rb, 1);
                        }
                    }
            }
            return WZ_OK;
        }
        for (uint64_t rg = 0; rg < T / 32; rg++)
            for (uint64_t l = 0; l < 32; l++) {
                uint64_t r = ti * T + rg * 32 + l;
                if (r >= h->rows) break;
                uint16_t *o = (uint16_t *)out + r * h->cols + c0;
                for (uint64_t jj = 0; jj < nc; jj++) {
                    uint64_t step = rg * K + jj;
                    o[jj] = wz_split_merge(ex[step * 32 + l], pair_raw(rmain, rtail, carry, main, tl, step, l), 1);
                }
            }
        return WZ_OK;
    }
    for (uint64_t j = 0; j < te / 32; j++) {
        uint64_t c = tj * K + j % K, r0 = ti * h->tile_rows + (j / K) * 32;
        if (c >= h->cols || r0 >= h->rows) continue;
        uint64_t lanes = h->rows - r0 < 32 ? h->rows - r0 : 32;
        const uint8_t *sy = sym + j * 32;
        if (raw) {
            const uint8_t *rw = raw + (j >> 4) * 512 + (j & 15);
            uint16_t *o = (uint16_t *)out + r0 * h->cols + c;
            for (uint64_t l = 0; l < lanes; l++) o[l * h->cols] = wz_split_merge(sy[l], rw[l * 16], bf16);
        } else {
            uint8_t *o = (uint8_t *)out + r0 * h->cols + c;
            for (uint64_t l = 0; l < lanes; l++) o[l * h->cols] = sy[l];
        }
    }
    return WZ_OK;
}

static wz_err ta_decode(const uint8_t *src, size_t len, void *out, size_t out_bytes)
{
    wz_ta_view v;
    WZ_TRY(wz_ta_parse(src, len, &v));
    const wz_ta_header *h = v.h;
    int split = h->model != WZ_TA_MODEL_CODES;
    if (out_bytes != h->rows * h->cols * (split ? 2 : 1)) return wz_fail(WZ_ERR_DST_SIZE, "tile-ans: output is %zu bytes, need %llu", out_bytes,
                                                                      (unsigned long long)(h->rows * h->cols * (split ? 2 : 1)));
    wz_rans_table t;
    WZ_TRY(wz_rans_table_init(&t, h->freq, h->prob_bits));
    uint64_t *dt = malloc(sizeof *dt << h->prob_bits);
    if (!dt) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    wz_rans_dtable64_build(&t, dt);
    const uint64_t nsym = h->model == WZ_TA_MODEL_PAIR16 ? v.tile_elems / 2 : v.tile_elems;
    volatile int bad = 0;
    char msg[256] = "";
    #pragma omp parallel
    {
        uint8_t *sym = malloc(nsym + v.tile_elems); /* symbols, then the exponent scratch of tile_scatter */
        #pragma omp for schedule(dynamic, 4)
        for (int64_t k = 0; k < (int64_t)v.ntiles; k++) {
            if (bad) continue;
            if (!sym) { bad = 1; continue; }
            uint16_t carry[WZ_RANS_LANES * WZ_RANS_MAX_ILP];
            const int pair = h->model == WZ_TA_MODEL_PAIR16;
            wz_err e = wz_rans32_decode(dt, h->prob_bits, v.words + v.word_off[k], v.word_off[k + 1] - v.word_off[k], v.states + (size_t)32 * v.ilp * k,
                                        (int)v.ilp, (uint32_t)(nsym / 32), sym, pair ? carry : NULL);
            if (!e) e = tile_scatter(&v, (uint64_t)k, sym, pair ? carry : NULL, sym + nsym, out);
            if (e) {
                #pragma omp critical(ta_msg)
                { bad = 1; snprintf(msg, sizeof msg, "tile %lld: %s", (long long)k, wz_err_detail()); }
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
