/* analyze.c — one tensor's entropies under every symbol model.
 *
 * Codes up to 16 bits go through one histogram of the whole code; every
 * field model (exponent, sign+mantissa, byte planes, conditional) is a
 * marginal of that histogram, so all numbers describe the same symbols.
 * Wider codes (fp32, int32/64) are sorted instead. */
#include "analysis/analysis.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

wz_err wz_tensor_u16(const wz_tensor *t, wz_cast as, uint16_t **out, wz_dtype *dt)
{
    *out = NULL;
    uint64_t n = t->numel;
    uint16_t *b = malloc((n ? n : 1) * sizeof *b);
    if (!b) return wz_fail(WZ_ERR_NOMEM, "tensor '%s': out of memory (%llu elements)", t->name, (unsigned long long)n);
    if (t->dtype == WZ_DT_F32 && as != WZ_AS_NATIVE) {
        #pragma omp parallel for schedule(static) if (n > (1u << 20))
        for (int64_t i = 0; i < (int64_t)n; i++) {
            float f;
            memcpy(&f, t->data + 4 * i, 4);
            b[i] = as == WZ_AS_BF16 ? wz_f32_to_bf16(f) : wz_f32_to_f16(f);
        }
        *dt = as == WZ_AS_BF16 ? WZ_DT_BF16 : WZ_DT_F16;
    } else if (wz_dtype_info_of(t->dtype)->code_bits == 16 && t->packing == WZ_PACK_PLAIN) {
        memcpy(b, t->data, n * 2); /* copy: mmap'd data may be misaligned */
        *dt = t->dtype;
    } else {
        free(b);
        return wz_fail(WZ_ERR_ARG, "tensor '%s': not a 16-bit tensor", t->name);
    }
    *out = b;
    return WZ_OK;
}

/* Field marginals of a histogram over w-bit codes. */
static void field_entropies(const uint64_t *h, int w, const wz_dtype_info *in, wz_entropy_report *r)
{
    uint64_t nb = (uint64_t)1 << w;
    if (in->is_float) {
        int e = in->exp_bits, m = in->mant_bits;
        uint64_t *he = calloc((size_t)1 << e, sizeof *he), *hs = calloc((size_t)2 << m, sizeof *hs);
        uint64_t *hc = calloc((size_t)2 << m, sizeof *hc);
        if (he && hs && hc) {
            for (uint64_t c = 0; c < nb; c++) {
                if (!h[c]) continue;
                he[(c >> m) & ((1u << e) - 1)] += h[c];
                hs[((c >> (w - 1)) << m) | (c & ((1u << m) - 1))] += h[c];
            }
            r->exp = wz_entropy_of_counts(he, (uint64_t)1 << e);
            r->sign_mant = wz_entropy_of_counts(hs, (uint64_t)2 << m);
            /* H(sm | e) = sum_e p(e) H(sm | e), from the joint histogram. */
            double N = 0, cond = 0;
            for (uint64_t k = 0; k < ((uint64_t)1 << e); k++) N += (double)he[k];
            for (uint64_t ex = 0; ex < ((uint64_t)1 << e) && N > 0; ex++) {
                if (!he[ex]) continue;
                memset(hc, 0, ((size_t)2 << m) * sizeof *hc);
                for (uint64_t c = 0; c < nb; c++)
                    if (h[c] && ((c >> m) & ((1u << e) - 1)) == ex) hc[((c >> (w - 1)) << m) | (c & ((1u << m) - 1))] += h[c];
                cond += (double)he[ex] / N * wz_entropy_of_counts(hc, (uint64_t)2 << m);
            }
            r->sm_given_exp = cond;
            /* Coverage of the 7 most frequent exponents (ZipServ's window). */
            uint64_t top = 0;
            for (int k = 0; k < 7; k++) {
                uint64_t best = 0, bi = 0;
                for (uint64_t x = 0; x < ((uint64_t)1 << e); x++) if (he[x] > best) { best = he[x]; bi = x; }
                top += best; he[bi] = 0;
            }
            r->top7_exp = N > 0 ? (double)top / N : 0;
        }
        free(he); free(hs); free(hc);
    }
    if (w == 16) {
        uint64_t hh[256] = {0}, hl[256] = {0};
        for (uint64_t c = 0; c < nb; c++) { hh[c >> 8] += h[c]; hl[c & 255] += h[c]; }
        r->hi_byte = wz_entropy_of_counts(hh, 256);
        r->lo_byte = wz_entropy_of_counts(hl, 256);
    }
    uint64_t d = 0;
    for (uint64_t c = 0; c < nb; c++) d += h[c] != 0;
    r->distinct = d;
}

/* Mean over T x K tiles of the per-tile code entropy, weighted by tile size.
 * Each tile counts into a private histogram and clears only the bins it
 * touched, so a tile costs O(tile), not O(alphabet). */
static double tile_entropy(const void *codes, int wide, uint64_t rows, uint64_t cols, uint32_t T, uint32_t K)
{
    uint64_t tr = (rows + T - 1) / T, tc = (cols + K - 1) / K, ntiles = tr * tc;
    double acc = 0;
    #pragma omp parallel reduction(+ : acc)
    {
        uint32_t *h = calloc(65536, sizeof *h);
        uint16_t *touched = malloc((size_t)T * K * sizeof *touched);
        #pragma omp for schedule(dynamic, 16)
        for (int64_t ti = 0; ti < (int64_t)ntiles; ti++) {
            if (!h || !touched) continue;
            uint64_t r0 = (uint64_t)ti / tc * T, c0 = (uint64_t)ti % tc * K;
            uint64_t r1 = r0 + T < rows ? r0 + T : rows, c1 = c0 + K < cols ? c0 + K : cols;
            uint32_t nt = 0;
            for (uint64_t r = r0; r < r1; r++)
                for (uint64_t c = c0; c < c1; c++) {
                    uint16_t v = wide ? ((const uint16_t *)codes)[r * cols + c] : ((const uint8_t *)codes)[r * cols + c];
                    if (h[v]++ == 0) touched[nt++] = v;
                }
            double n = (double)((r1 - r0) * (c1 - c0)), s = 0;
            for (uint32_t k = 0; k < nt; k++) { s += h[touched[k]] * log2((double)h[touched[k]]); h[touched[k]] = 0; }
            acc += n * log2(n) - s; /* n * H(tile) */
        }
        free(h); free(touched);
    }
    return (rows && cols) ? acc / (double)(rows * cols) : 0;
}

static wz_err analyze_wide(const wz_tensor *t, wz_entropy_report *r)
{
    const wz_dtype_info *in = wz_dtype_info_of(t->dtype);
    int w = in->code_bits, bytes = w / 8;
    uint64_t n = t->numel;
    uint64_t *x = malloc((n ? n : 1) * sizeof *x);
    if (!x) return wz_fail(WZ_ERR_NOMEM, "tensor '%s': out of memory", t->name);
    for (uint64_t i = 0; i < n; i++) { x[i] = 0; memcpy(&x[i], t->data + i * bytes, bytes); }
    wz_err err = wz_entropy_of_u64(x, n, &r->full, &r->distinct);
    if (!err) {
        uint64_t hh[256] = {0}, hl[256] = {0};
        for (uint64_t i = 0; i < n; i++) { hh[x[i] >> (w - 8)]++; hl[x[i] & 255]++; }
        r->hi_byte = wz_entropy_of_counts(hh, 256);
        r->lo_byte = wz_entropy_of_counts(hl, 256);
    }
    if (!err && in->is_float) {
        int e = in->exp_bits, m = in->mant_bits;
        uint64_t *he = calloc((size_t)1 << e, sizeof *he), dd;
        if (!he) { free(x); return wz_fail(WZ_ERR_NOMEM, "out of memory"); }
        for (uint64_t i = 0; i < n; i++) {
            he[(x[i] >> m) & ((1ull << e) - 1)]++;
            x[i] = ((x[i] >> (w - 1)) << m) | (x[i] & ((1ull << m) - 1));
        }
        r->exp = wz_entropy_of_counts(he, (uint64_t)1 << e);
        err = wz_entropy_of_u64(x, n, &r->sign_mant, &dd);
        r->sm_given_exp = r->full - r->exp; /* value <-> (exp, sm) is a bijection */
        uint64_t top = 0;
        for (int k = 0; k < 7; k++) {
            uint64_t best = 0, bi = 0;
            for (uint64_t v = 0; v < ((uint64_t)1 << e); v++) if (he[v] > best) { best = he[v]; bi = v; }
            top += best; he[bi] = 0;
        }
        r->top7_exp = n ? (double)top / (double)n : 0;
        free(he);
    }
    free(x);
    return err;
}

wz_err wz_analyze_tensor(const wz_tensor *t, const wz_analyze_opts *o, wz_entropy_report *r)
{
    static const wz_analyze_opts def = {WZ_AS_NATIVE, 0, 0};
    if (!o) o = &def;
    *r = (wz_entropy_report){0};
    r->exp = r->sign_mant = r->sm_given_exp = r->hi_byte = r->lo_byte = r->tile = r->top7_exp = WZ_NA;
    r->numel = t->numel;
    r->dtype = t->dtype;
    r->stored_bits = t->packing == WZ_PACK_PLAIN ? wz_dtype_stored_bits(t->dtype) : 4.0;
    uint64_t rows, cols;
    wz_tensor_matrix(t, &rows, &cols);
    const wz_dtype_info *in = wz_dtype_info_of(t->dtype);
    int to16 = t->dtype == WZ_DT_F32 && o->as != WZ_AS_NATIVE;
    if (!to16 && in->code_bits > 16) return analyze_wide(t, r);

    wz_err err = WZ_OK;
    int w;
    void *codes = NULL;
    uint64_t *h = NULL;
    if (to16 || in->code_bits == 16) {
        wz_dtype dt;
        WZ_TRY(wz_tensor_u16(t, o->as, (uint16_t **)&codes, &dt));
        r->dtype = dt;
        r->stored_bits = wz_dtype_stored_bits(dt);
        in = wz_dtype_info_of(dt);
        w = 16;
        h = malloc(65536 * sizeof *h);
        if (h) wz_hist16(codes, t->numel, h);
    } else {
        codes = malloc(t->numel ? t->numel : 1);
        if (!codes) return wz_fail(WZ_ERR_NOMEM, "tensor '%s': out of memory", t->name);
        err = wz_tensor_codes(t, codes, NULL);
        w = in->code_bits;
        h = malloc(256 * sizeof *h);
        if (h && !err) wz_hist8(codes, t->numel, h);
    }
    if (!h && !err) err = wz_fail(WZ_ERR_NOMEM, "out of memory");
    if (!err) {
        r->full = wz_entropy_of_counts(h, (uint64_t)1 << w);
        field_entropies(h, w, in, r);
        if (o->tile_rows && o->tile_cols)
            r->tile = tile_entropy(codes, w == 16, rows, cols, o->tile_rows, o->tile_cols);
    }
    free(h);
    free(codes);
    return err;
}
