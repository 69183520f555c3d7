/* quantize.c — the formats wzip makes itself, each with its formula.
 *
 * bf16 / fp16: round-to-nearest-even of the fp32 value (common/dtype.c),
 *   NaN/Inf preserved.
 * fp8 E4M3 (OCP): s = amax / 448 per tensor; q = RNE(x / s) in E4M3,
 *   saturating to +-448 (E4M3 has no Inf; 0x7f/0xff are NaN).
 * fp8 E5M2 (OCP): s = amax / 57344 per tensor; q = RNE(x / s), saturating
 *   to +-57344 (finite inputs never become Inf).
 * int8: symmetric, q = clamp(round(x / s), -127, 127), s = amax / 127 over
 *   the group (tensor = SmoothQuant-style per-tensor "sq8", channel = one
 *   scale per output row). Optional SmoothQuant smoothing (alpha): column j
 *   is first multiplied by m_j = max|W[:,j]|^(-alpha) (weight statistics
 *   stand in for activation scales; m is returned so X/m keeps X.W^T exact).
 * int4: per tensor, per channel (output row) or per group of N inputs;
 *   sym: s = amax / 7, q = clamp(round(x/s), -8, 7) + 8 (stored as 0..15);
 *   asym: s = (max - min) / 15, z = round(-min / s), q = clamp(round(x/s) + z, 0, 15)
 *   (AutoAWQ's formula; group 128 asym is written in AWQ layout).
 * fp4 E2M1 (MX): blocks of 32 along the input dim share a power-of-two
 *   scale 2^(floor(log2 amax) - 2) (E2M1's largest value is 6 = 1.5 * 2^2);
 *   q = nearest of {0, .5, 1, 1.5, 2, 3, 4, 6} to |x|/scale (ties to even
 *   code), sign in bit 3. */
#include "datasets/datasets.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Encode a finite float into a small float format with `e` exponent and `m`
 * mantissa bits, bias 2^(e-1)-1, RNE, saturating at `maxv`. Works for E4M3,
 * E5M2 and E2M1 because all three are sign|exp|mant with subnormals. */
static uint8_t small_float(float x, int e, int m, float maxv, int has_inf_nan_top)
{
    uint8_t sign = signbit(x) ? 1 : 0;
    float a = fabsf(x);
    if (isnan(x)) return (uint8_t)((sign << (e + m)) | ((1u << (e + m)) - 1)); /* all ones = NaN in E4M3/E5M2 */
    if (a > maxv) a = maxv;
    int bias = (1 << (e - 1)) - 1;
    /* Smallest normal exponent is 1 - bias; subnormal step 2^(1-bias-m). */
    int ex;
    frexpf(a, &ex); /* a = f * 2^ex, f in [0.5, 1) */
    int E = ex - 1; /* a in [2^E, 2^(E+1)) */
    if (a == 0 || E < 1 - bias) E = 1 - bias;
    float step = ldexpf(1.0f, E - m);
    float q = nearbyintf(a / step); /* RNE in the default rounding mode */
    float v = q * step;
    if (v > maxv) v = maxv;
    /* Re-derive fields from the rounded value (rounding may bump the exponent). */
    if (v == 0) return (uint8_t)(sign << (e + m));
    frexpf(v, &ex);
    E = ex - 1;
    uint32_t code;
    if (E < 1 - bias) code = (uint32_t)(v / ldexpf(1.0f, 1 - bias - m)); /* subnormal */
    else {
        uint32_t mant = (uint32_t)(v / ldexpf(1.0f, E - m)) - (1u << m);
        code = ((uint32_t)(E + bias) << m) | mant;
    }
    (void)has_inf_nan_top;
    return (uint8_t)((sign << (e + m)) | code);
}

uint8_t wz_f32_to_e4m3(float x) { return small_float(x, 4, 3, 448.0f, 0); }
uint8_t wz_f32_to_e5m2(float x) { return small_float(x, 5, 2, 57344.0f, 1); }
uint8_t wz_f32_to_e2m1(float x) { return small_float(x, 2, 1, 6.0f, 0); }

float wz_small_float_value(uint8_t c, int e, int m)
{
    int bias = (1 << (e - 1)) - 1, sign = (c >> (e + m)) & 1, E = (c >> m) & ((1 << e) - 1), M = c & ((1 << m) - 1);
    float v = E ? ldexpf(1.0f + (float)M / (1 << m), E - bias) : ldexpf((float)M / (1 << m), 1 - bias);
    return sign ? -v : v;
}

static float amax_of(const float *x, uint64_t n, uint64_t stride, uint64_t count)
{
    float a = 0;
    for (uint64_t i = 0; i < count; i++) { float v = fabsf(x[i * stride]); if (v > a && isfinite(v)) a = v; }
    (void)n;
    return a;
}

wz_err wz_quantize(const float *w, uint64_t rows, uint64_t cols, const wz_quant_spec *q, wz_quant_out *o)
{
    memset(o, 0, sizeof *o);
    uint64_t n = rows * cols;
    uint64_t g = q->gran == WZ_GRAN_TENSOR ? n : q->gran == WZ_GRAN_CHANNEL ? cols : q->group;
    if (q->gran == WZ_GRAN_GROUP && (!g || cols % g)) return wz_fail(WZ_ERR_ARG, "group size %llu must divide %llu input columns", (unsigned long long)g, (unsigned long long)cols);
    if (q->fmt == WZ_Q_FP4) g = 32; /* MX block */
    if (q->fmt == WZ_Q_FP4 && cols % 32) return wz_fail(WZ_ERR_ARG, "fp4 MX blocks need input dim %% 32 == 0 (have %llu)", (unsigned long long)cols);
    if (q->fmt == WZ_Q_FP8_E4M3 || q->fmt == WZ_Q_FP8_E5M2) g = n;
    o->codes = malloc(n ? n : 1);
    o->ngroups = n / g;
    o->scales = malloc(sizeof(float) * (o->ngroups ? o->ngroups : 1));
    o->zeros = malloc(o->ngroups ? o->ngroups : 1);
    float *tmp = NULL;
    if (q->smooth_alpha > 0) {
        tmp = malloc(sizeof(float) * n);
        o->smooth = malloc(sizeof(float) * cols);
    }
    if (!o->codes || !o->scales || !o->zeros || (q->smooth_alpha > 0 && (!tmp || !o->smooth))) { free(tmp); wz_quant_free(o); return wz_fail(WZ_ERR_NOMEM, "out of memory"); }
    if (tmp) { /* SmoothQuant-style column smoothing from weight statistics */
        for (uint64_t j = 0; j < cols; j++) {
            float a = amax_of(w + j, n, cols, rows);
            o->smooth[j] = a > 0 ? powf(a, -q->smooth_alpha) : 1.0f;
        }
        for (uint64_t i = 0; i < n; i++) tmp[i] = w[i] * o->smooth[i % cols];
        w = tmp;
    }
    for (uint64_t k = 0; k < o->ngroups; k++) {
        const float *x = w + k * g;
        float s = 1, mn = INFINITY, mx = -INFINITY, a = amax_of(x, g, 1, g);
        uint8_t z = 0;
        for (uint64_t i = 0; i < g; i++) if (isfinite(x[i])) { mn = fminf(mn, x[i]); mx = fmaxf(mx, x[i]); }
        switch (q->fmt) {
        case WZ_Q_FP8_E4M3: s = a > 0 ? a / 448.0f : 1; for (uint64_t i = 0; i < g; i++) o->codes[k * g + i] = wz_f32_to_e4m3(x[i] / s); break;
        case WZ_Q_FP8_E5M2: s = a > 0 ? a / 57344.0f : 1; for (uint64_t i = 0; i < g; i++) o->codes[k * g + i] = wz_f32_to_e5m2(x[i] / s); break;
        case WZ_Q_INT8:
            s = a > 0 ? a / 127.0f : 1;
            for (uint64_t i = 0; i < g; i++) { float r = nearbyintf(x[i] / s); r = fminf(fmaxf(r, -127), 127); o->codes[k * g + i] = (uint8_t)(int8_t)r; }
            break;
        case WZ_Q_INT4:
            if (q->asym) {
                s = mx > mn ? (mx - mn) / 15.0f : 1;
                float zf = nearbyintf(-mn / s);
                z = (uint8_t)fminf(fmaxf(zf, 0), 15);
                for (uint64_t i = 0; i < g; i++) { float r = nearbyintf(x[i] / s) + z; o->codes[k * g + i] = (uint8_t)fminf(fmaxf(r, 0), 15); }
            } else {
                s = a > 0 ? a / 7.0f : 1;
                z = 8;
                for (uint64_t i = 0; i < g; i++) { float r = nearbyintf(x[i] / s); o->codes[k * g + i] = (uint8_t)(fminf(fmaxf(r, -8), 7) + 8); }
            }
            break;
        case WZ_Q_FP4:
            s = a > 0 ? ldexpf(1.0f, (int)floorf(log2f(a)) - 2) : 1;
            for (uint64_t i = 0; i < g; i++) o->codes[k * g + i] = wz_f32_to_e2m1(x[i] / s);
            break;
        }
        o->scales[k] = s;
        o->zeros[k] = z;
    }
    o->group = g;
    free(tmp);
    return WZ_OK;
}

float wz_dequant(const wz_quant_spec *q, const wz_quant_out *o, uint64_t i)
{
    uint64_t k = i / o->group;
    float s = o->scales[k];
    uint8_t c = o->codes[i];
    switch (q->fmt) {
    case WZ_Q_FP8_E4M3: return wz_small_float_value(c, 4, 3) * s;
    case WZ_Q_FP8_E5M2: return wz_small_float_value(c, 5, 2) * s;
    case WZ_Q_INT8: return (float)(int8_t)c * s;
    case WZ_Q_INT4: return ((float)c - (float)o->zeros[k]) * s;
    case WZ_Q_FP4: return wz_small_float_value(c, 2, 1) * s;
    }
    return 0;
}

void wz_quant_free(wz_quant_out *o)
{
    free(o->codes); free(o->scales); free(o->zeros); free(o->smooth);
    memset(o, 0, sizeof *o);
}

void wz_awq_pack(const uint8_t *codes, uint64_t out, uint64_t in, uint32_t *qweight)
{
    static const int order[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    for (uint64_t i = 0; i < in; i++)
        for (uint64_t c = 0; c < out / 8; c++) {
            uint32_t w = 0;
            for (int k = 0; k < 8; k++) w |= (uint32_t)(codes[(c * 8 + (uint64_t)order[k]) * in + i] & 15) << (4 * k);
            qweight[i * (out / 8) + c] = w;
        }
}
