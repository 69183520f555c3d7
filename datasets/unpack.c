/* unpack.c — element codes of small-alphabet formats, and AWQ/GPTQ layouts.
 *
 * GGUF block layouts follow ggml's dequantize_row_* (ggml-quants.c): Q4_0/1
 * keep element j in the low nibble of qs[j] and j+16 in the high nibble;
 * Q4_K packs 64-element chunks as 32 bytes (low nibbles 0..31, high 32..63)
 * with 6-bit scale/min pairs; Q6_K splits each code into 4 low bits (ql) and
 * 2 high bits (qh). AWQ (AutoAWQ GEMM) packs 8 nibbles per int32 along the
 * output dim in the order 0,2,4,6,1,3,5,7; GPTQ packs 8 nibbles in order
 * along the input dim. */
#include "datasets/reader.h"
#include <stdio.h>
#include <string.h>

static float h2f(const uint8_t *p) { return wz_f16_to_f32((uint16_t)(p[0] | p[1] << 8)); }

uint64_t wz_tensor_scale_groups(const wz_tensor *t)
{
    switch (t->dtype) {
    case WZ_DT_Q8_0: case WZ_DT_Q4_0: case WZ_DT_Q4_1: case WZ_DT_Q5_0: case WZ_DT_Q5_1: return t->numel / 32;
    case WZ_DT_Q4_K: return t->numel / 32;  /* 8 sub-blocks of 32 */
    case WZ_DT_Q6_K: return t->numel / 16;  /* 16 sub-blocks of 16 */
    default: return 0;
    }
}

/* Q4_K: 6-bit scale and min of sub-block j (ggml get_scale_min_k4). */
static void k4_scale_min(int j, const uint8_t *q, uint8_t *d, uint8_t *m)
{
    if (j < 4) { *d = q[j] & 63; *m = q[j + 4] & 63; }
    else { *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4); *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4); }
}

static const uint8_t k_awq_order[8] = {0, 4, 1, 5, 2, 6, 3, 7}; /* logical col -> nibble index */

wz_err wz_tensor_codes(const wz_tensor *t, uint8_t *codes, float *scales)
{
    const wz_dtype_info *in = wz_dtype_info_of(t->dtype);
    if (!in || in->code_bits > 8) return wz_fail(WZ_ERR_ARG, "tensor '%s': %s has no byte codes", t->name, in ? in->name : "?");
    const uint8_t *p = t->data;
    uint64_t n = t->numel;
    if (t->packing == WZ_PACK_AWQ || t->packing == WZ_PACK_GPTQ) {
        uint64_t rows, cols; /* logical [out, in] */
        wz_tensor_matrix(t, &rows, &cols);
        /* Stored: AWQ qweight [in, out/8]; GPTQ qweight [in/8, out]. */
        for (uint64_t o = 0; o < rows; o++)
            for (uint64_t i = 0; i < cols; i++) {
                uint64_t word, nib;
                if (t->packing == WZ_PACK_AWQ) { word = i * (rows / 8) + o / 8; nib = k_awq_order[o % 8]; }
                else { word = (i / 8) * rows + o; nib = i % 8; }
                uint32_t w;
                memcpy(&w, p + 4 * word, 4);
                codes[o * cols + i] = (w >> (4 * nib)) & 15;
            }
        return WZ_OK;
    }
    switch (t->dtype) {
    case WZ_DT_I8: case WZ_DT_U8: case WZ_DT_F8_E4M3: case WZ_DT_F8_E5M2: case WZ_DT_BOOL:
        memcpy(codes, p, n);
        return WZ_OK;
    case WZ_DT_I4: case WZ_DT_F4_E2M1: /* our packing: element 2k low nibble, 2k+1 high */
        for (uint64_t i = 0; i < n; i++) codes[i] = (p[i / 2] >> (4 * (i & 1))) & 15;
        return WZ_OK;
    case WZ_DT_Q8_0:
        for (uint64_t b = 0; b < n / 32; b++, p += 34) {
            if (scales) scales[b] = h2f(p);
            memcpy(codes + 32 * b, p + 2, 32);
        }
        return WZ_OK;
    case WZ_DT_Q4_0: case WZ_DT_Q4_1: {
        size_t hdr = t->dtype == WZ_DT_Q4_0 ? 2 : 4;
        for (uint64_t b = 0; b < n / 32; b++, p += hdr + 16) {
            if (scales) scales[b] = h2f(p);
            for (int j = 0; j < 16; j++) {
                codes[32 * b + j] = p[hdr + j] & 15;
                codes[32 * b + j + 16] = p[hdr + j] >> 4;
            }
        }
        return WZ_OK;
    }
    case WZ_DT_Q5_0: case WZ_DT_Q5_1: { /* qh bit j is bit 4 of element j */
        size_t hdr = t->dtype == WZ_DT_Q5_0 ? 2 : 4;
        for (uint64_t b = 0; b < n / 32; b++, p += hdr + 20) {
            if (scales) scales[b] = h2f(p);
            uint32_t qh;
            memcpy(&qh, p + hdr, 4);
            const uint8_t *qs = p + hdr + 4;
            for (int j = 0; j < 16; j++) {
                codes[32 * b + j] = (uint8_t)((qs[j] & 15) | ((qh >> j) & 1) << 4);
                codes[32 * b + j + 16] = (uint8_t)((qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4);
            }
        }
        return WZ_OK;
    }
    case WZ_DT_Q4_K:
        for (uint64_t b = 0; b < n / 256; b++, p += 144) {
            float d = h2f(p);
            const uint8_t *sc = p + 4, *qs = p + 16;
            for (int j = 0; j < 8; j++) {
                uint8_t s, mn;
                k4_scale_min(j, sc, &s, &mn);
                if (scales) scales[8 * b + j] = d * s;
            }
            for (int c = 0; c < 4; c++)
                for (int l = 0; l < 32; l++) {
                    codes[256 * b + 64 * c + l] = qs[32 * c + l] & 15;
                    codes[256 * b + 64 * c + 32 + l] = qs[32 * c + l] >> 4;
                }
        }
        return WZ_OK;
    case WZ_DT_Q6_K:
        for (uint64_t b = 0; b < n / 256; b++, p += 210) {
            const uint8_t *ql = p, *qh = p + 128;
            const int8_t *sc = (const int8_t *)(p + 192);
            float d = h2f(p + 208);
            uint8_t *y = codes + 256 * b;
            for (int half = 0; half < 2; half++, ql += 64, qh += 32, y += 128)
                for (int l = 0; l < 32; l++) {
                    y[l] = (uint8_t)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4));
                    y[l + 32] = (uint8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
                    y[l + 64] = (uint8_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
                    y[l + 96] = (uint8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
                }
            if (scales) for (int j = 0; j < 16; j++) scales[16 * b + j] = d * sc[j];
        }
        return WZ_OK;
    default:
        return wz_fail(WZ_ERR_ARG, "tensor '%s': %s has no byte codes", t->name, in->name);
    }
}

static int ends_with(const char *s, const char *suf, size_t *stem)
{
    size_t a = strlen(s), b = strlen(suf);
    if (a < b || strcmp(s + a - b, suf) != 0) return 0;
    *stem = a - b;
    return 1;
}

wz_err wz_quant_recognise(wz_model *m)
{
    for (size_t i = 0; i < m->count; i++) {
        wz_tensor *q = &m->tensors[i];
        size_t stem;
        if (q->dtype != WZ_DT_I32 || q->ndim != 2 || !ends_with(q->name, ".qweight", &stem)) continue;
        char nm[1024];
        if (stem + 16 > sizeof nm) continue;
        snprintf(nm, sizeof nm, "%.*s.scales", (int)stem, q->name);
        const wz_tensor *s = wz_model_find(m, nm);
        if (!s || s->ndim != 2) continue;
        int64_t a = q->shape[0], b = q->shape[1];
        wz_tensor t = *q;
        if (b * 8 == s->shape[1]) {            /* AWQ: [in, out/8] */
            t.packing = WZ_PACK_AWQ; t.shape[0] = b * 8; t.shape[1] = a;
        } else if (b == s->shape[1]) {         /* GPTQ: [in/8, out] */
            t.packing = WZ_PACK_GPTQ; t.shape[0] = b; t.shape[1] = a * 8;
        } else {
            return wz_fail(WZ_ERR_FORMAT, "tensor '%s': qweight %lldx%lld does not match scales %lldx%lld", q->name,
                           (long long)a, (long long)b, (long long)s->shape[0], (long long)s->shape[1]);
        }
        t.dtype = WZ_DT_I4;
        t.numel = (uint64_t)a * (uint64_t)b * 8;
        *q = t; /* name pointer kept */
    }
    return WZ_OK;
}
