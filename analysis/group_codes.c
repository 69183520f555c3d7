/* group_codes.c — what coding g exponents per rANS symbol would cost.
 *
 * Why: the GPU decoder of tile-ans spends ~20 instructions and ~7
 * shared-memory wavefronts per rANS step, and one step yields two exponents
 * (PAIR16); kernels/NOTES.md (v30-v31) finds neither fewer instructions off
 * the state chain nor a shorter chain moves it, so the next lever is more
 * exponents per step. This measures the size side of that trade on real and
 * synthetic tensors before anyone writes the kernel: g adjacent columns of
 * a row (the pairing PAIR16 uses, extended) become one symbol over a window
 * of 2^wbits - 1 exponents plus an escape code (the exponent then travels as
 * a raw byte), coded with a 2^prob_bits-slot table quantised the way the
 * codecs quantise theirs (wz_rans_normalize_n). Sign+mantissa stay raw (8
 * bits). Framing (states, offsets, the table itself) is not counted: it is
 * the same per tile whatever g is, except the table, whose size is reported.
 *
 * g = 2, wbits = 4, prob_bits = 12 is PAIR16 exactly: its table_bits times
 * the weight count equals tile-ans's ideal_bits on a matrix its tiles cover
 * (tests/test_analysis.c checks that). */
#include "analysis/analysis.h"
#include "codecs/codecs.h"
#include "codecs/rans/rans.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

wz_err wz_group_code_cost(const uint16_t *w, uint64_t rows, uint64_t cols, int group, int wbits, int prob_bits, wz_group_cost *c)
{
    memset(c, 0, sizeof *c);
    if (group < 1 || group > 4 || wbits < 1 || wbits > 4 || group * wbits > 16)
        return wz_fail(WZ_ERR_ARG, "group codes: %d exponents of %d bits (1..4 each, at most 16 bits a symbol)", group, wbits);
    if (cols < (uint64_t)group) return wz_fail(WZ_ERR_ARG, "group codes: %llu columns for groups of %d", (unsigned long long)cols, group);
    const uint32_t W = (1u << wbits) - 1, esc = W, nsym = 1u << (group * wbits);
    const uint64_t gpr = cols / group, n = rows * gpr * group; /* a row's last cols % g weights are left out */
    uint64_t ecnt[256] = {0};
    for (uint64_t r = 0; r < rows; r++)
        for (uint64_t i = 0; i < gpr * group; i++) ecnt[wz_split_sym(w[r * cols + i], 1)]++;
    const uint32_t base = wz_best_window(ecnt, W, NULL); /* tile-ans's rule */
    uint64_t *h = calloc(nsym, sizeof *h);
    uint16_t *freq = malloc(nsym * sizeof *freq);
    if (!h || !freq) { free(h); free(freq); return wz_fail(WZ_ERR_NOMEM, "group codes: out of memory"); }
    uint64_t nesc = 0;
    for (uint64_t r = 0; r < rows; r++)
        for (uint64_t q = 0; q < gpr; q++) {
            uint32_t s = 0;
            for (int k = 0; k < group; k++) {
                uint32_t e = wz_split_sym(w[r * cols + q * group + k], 1), code = e - base < W ? e - base : esc;
                nesc += code == esc;
                s |= code << (wbits * k);
            }
            h[s]++;
        }
    wz_err err = wz_rans_normalize_n(h, nsym, prob_bits, freq);
    if (!err) {
        double ideal = 0, coded = 0;
        const uint64_t N = rows * gpr;
        for (uint32_t s = 0; s < nsym; s++) {
            if (!h[s]) continue;
            c->symbols++;
            ideal -= (double)h[s] * log2((double)h[s] / (double)N);
            coded += (double)h[s] * (prob_bits - log2((double)freq[s]));
        }
        const double raw = 8.0 * (double)n + 8.0 * (double)nesc;
        c->group = group; c->window_bits = wbits; c->prob_bits = prob_bits; c->ebase = base; c->weights = n;
        c->escape_rate = (double)nesc / (double)n;
        c->ideal_bits = (ideal + raw) / (double)n;
        c->table_bits = (coded + raw) / (double)n;
        c->table_bytes = (uint64_t)4 << prob_bits; /* a GPU slot entry of at least 4 bytes */
    }
    free(h); free(freq);
    return err;
}

/* Escapes per 32x32 block and per lane of one in the MMA element order
 * (wz_bm_pos), weights taken `step` at a time (1: a weight, 2: a pair of
 * adjacent columns): esc(ctx, row, col) is how many exponents the code
 * escapes there. Fills escapes, blocks, blocks_with_escape,
 * lanes_with_escape and weights of c. */
typedef uint32_t (*esc_count_fn)(const void *ctx, uint64_t row, uint64_t col);
static void count_escapes(uint64_t rows, uint64_t cols, int step, esc_count_fn esc, const void *ctx, wz_window_cost *c)
{
    const uint64_t bro = (rows + 31) / 32, bco = (cols + 31) / 32;
    for (uint64_t br = 0; br < bro; br++)
        for (uint64_t bc = 0; bc < bco; bc++) {
            uint64_t in_block = 0;
            for (int l = 0; l < 32; l++) {
                uint64_t in_lane = 0;
                for (int s = 0; s < 32; s += step) {
                    int r, k;
                    wz_bm_pos(WZ_TA_ORDER_MMA, l, s, &r, &k);
                    const uint64_t row = br * 32 + (uint64_t)r, col = bc * 32 + (uint64_t)k;
                    if (row < rows && col < cols) in_lane += esc(ctx, row, col);
                }
                c->lanes_with_escape += in_lane > 0;
                in_block += in_lane;
            }
            c->escapes += in_block;
            c->blocks_with_escape += in_block > 0;
        }
    c->weights = rows * cols;
    c->blocks = bro * bco;
}

/* Why the fixed-length codes too: bitmap4 decodes at ~6 instructions a
 * weight pair but spends 12.04 bits; kernels/NOTES.md (v39) finds its M = 1
 * kernel at 84% of the read bandwidth cuBLAS gets, so only fewer bytes at
 * the same decode cost raise its ceiling — and a narrower window moves
 * escapes from 36% of blocks to all of them. */
typedef struct { const uint16_t *w; uint64_t cols; uint32_t base, W; } window_ctx;
static uint32_t window_esc(const void *ctx, uint64_t row, uint64_t col)
{
    const window_ctx *x = ctx;
    return wz_split_sym(x->w[row * x->cols + col], 1) - x->base >= x->W;
}

wz_err wz_window_code_cost(const uint16_t *w, uint64_t rows, uint64_t cols, int code_bits, wz_window_cost *c)
{
    memset(c, 0, sizeof *c);
    if (code_bits < 1 || code_bits > 7) return wz_fail(WZ_ERR_ARG, "window codes: %d-bit codes (1..7)", code_bits);
    if (!rows || !cols) return wz_fail(WZ_ERR_ARG, "window codes: empty matrix");
    const uint32_t W = (1u << code_bits) - 1;
    uint64_t ecnt[256] = {0};
    for (uint64_t i = 0; i < rows * cols; i++) ecnt[wz_split_sym(w[i], 1)]++;
    const window_ctx x = {w, cols, wz_best_window(ecnt, W, NULL), W};
    count_escapes(rows, cols, 1, window_esc, &x, c);
    c->code_bits = code_bits;
    c->ebase = x.base;
    c->bits = 8.0 + code_bits + 8.0 * (double)c->escapes / (double)c->weights;
    return WZ_OK;
}

/* Why pairs: one 8-bit table lookup already yields two exponents in
 * bitmap4, so a code per pair costs the GPU the same lookup; only the field
 * extraction differs (code_bits < 8: fields straddle bytes, one funnel
 * shift each). Pairs of a peaked exponent distribution concentrate: on
 * stories260K the top 127 pairs cover 99.6% of them (7 bits a pair, 3.5 an
 * exponent) where a 3-bit window covers 94.5% of exponents. Pairs are
 * pairhuff's (codecs.h: wz_ph_pair_key, wz_ph_rank_pairs). */
typedef struct { const uint16_t *w; uint64_t rows, cols; const uint8_t *coded; } pair_ctx;
static uint32_t pair_esc(const void *ctx, uint64_t row, uint64_t col)
{
    const pair_ctx *x = ctx;
    return x->coded[wz_ph_pair_key(x->w, x->rows, x->cols, row, col)] ? 0 : 2;
}

wz_err wz_pair_code_cost(const uint16_t *w, uint64_t rows, uint64_t cols, int code_bits, wz_window_cost *c)
{
    memset(c, 0, sizeof *c);
    if (code_bits < 2 || code_bits > 12) return wz_fail(WZ_ERR_ARG, "pair codes: %d-bit codes (2..12)", code_bits);
    if (!rows || !cols) return wz_fail(WZ_ERR_ARG, "pair codes: empty matrix");
    uint64_t *h = calloc(65536, sizeof *h);
    uint32_t *idx = malloc(65536 * sizeof *idx);
    uint8_t *coded = calloc(65536, 1);
    if (!h || !idx || !coded) { free(h); free(idx); free(coded); return wz_fail(WZ_ERR_NOMEM, "pair codes: out of memory"); }
    for (uint64_t r = 0; r < rows; r++)
        for (uint64_t k = 0; k < cols; k += 2) h[wz_ph_pair_key(w, rows, cols, r, k)]++;
    wz_ph_rank_pairs(h, idx);
    const uint32_t ncode = (1u << code_bits) - 1;
    for (uint32_t i = 0; i < ncode && h[idx[i]]; i++) coded[idx[i]] = 1;
    const pair_ctx x = {w, rows, cols, coded};
    count_escapes(rows, cols, 2, pair_esc, &x, c);
    free(h); free(idx); free(coded);
    c->code_bits = code_bits;
    c->bits = 8.0 + code_bits / 2.0 + 8.0 * (double)c->escapes / (double)c->weights;
    return WZ_OK;
}
