/* dtype.c — the dtype table and scalar conversions. */
#include "common/dtype.h"
#include <string.h>

static const wz_dtype_info k_info[WZ_DT__COUNT] = {
    [WZ_DT_F32]     = {"F32", 32, 1, 8, 23, 1, 4},
    [WZ_DT_F16]     = {"F16", 16, 1, 5, 10, 1, 2},
    [WZ_DT_BF16]    = {"BF16", 16, 1, 8, 7, 1, 2},
    [WZ_DT_F64]     = {"F64", 64, 1, 11, 52, 1, 8},
    [WZ_DT_F8_E4M3] = {"F8_E4M3", 8, 1, 4, 3, 1, 1},
    [WZ_DT_F8_E5M2] = {"F8_E5M2", 8, 1, 5, 2, 1, 1},
    [WZ_DT_I8]      = {"I8", 8, 0, 0, 0, 1, 1},
    [WZ_DT_U8]      = {"U8", 8, 0, 0, 0, 1, 1},
    [WZ_DT_I16]     = {"I16", 16, 0, 0, 0, 1, 2},
    [WZ_DT_U16]     = {"U16", 16, 0, 0, 0, 1, 2},
    [WZ_DT_I32]     = {"I32", 32, 0, 0, 0, 1, 4},
    [WZ_DT_U32]     = {"U32", 32, 0, 0, 0, 1, 4},
    [WZ_DT_I64]     = {"I64", 64, 0, 0, 0, 1, 8},
    [WZ_DT_U64]     = {"U64", 64, 0, 0, 0, 1, 8},
    [WZ_DT_BOOL]    = {"BOOL", 8, 0, 0, 0, 1, 1},
    [WZ_DT_I4]      = {"I4", 4, 0, 0, 0, 2, 1},
    [WZ_DT_F4_E2M1] = {"F4_E2M1", 4, 1, 2, 1, 2, 1},
    /* GGUF blocks: sizes from ggml's block_q* structs. */
    [WZ_DT_Q8_0]    = {"Q8_0", 8, 0, 0, 0, 32, 34},   /* f16 d + 32 x i8 */
    [WZ_DT_Q4_0]    = {"Q4_0", 4, 0, 0, 0, 32, 18},   /* f16 d + 16 B nibbles */
    [WZ_DT_Q4_1]    = {"Q4_1", 4, 0, 0, 0, 32, 20},   /* f16 d, m + 16 B */
    [WZ_DT_Q5_0]    = {"Q5_0", 5, 0, 0, 0, 32, 22},   /* f16 d, 4 B high bits, 16 B nibbles */
    [WZ_DT_Q5_1]    = {"Q5_1", 5, 0, 0, 0, 32, 24},   /* f16 d, m, 4 B high bits, 16 B */
    [WZ_DT_Q4_K]    = {"Q4_K", 4, 0, 0, 0, 256, 144}, /* d, dmin, 12 B scales, 128 B */
    [WZ_DT_Q6_K]    = {"Q6_K", 6, 0, 0, 0, 256, 210}, /* ql 128, qh 64, sc 16, d */
};

const wz_dtype_info *wz_dtype_info_of(wz_dtype dt)
{
    return (unsigned)dt < WZ_DT__COUNT ? &k_info[dt] : NULL;
}

int wz_dtype_from_name(const char *s, wz_dtype *out)
{
    for (int i = 0; i < WZ_DT__COUNT; i++)
        if (strcmp(s, k_info[i].name) == 0) { *out = (wz_dtype)i; return 0; }
    /* Aliases used by safetensors writers. */
    if (strcmp(s, "F8_E4M3FN") == 0) { *out = WZ_DT_F8_E4M3; return 0; }
    return -1;
}

uint64_t wz_dtype_bytes(wz_dtype dt, uint64_t n, int *ok)
{
    const wz_dtype_info *in = wz_dtype_info_of(dt);
    *ok = 0;
    if (!in || n % in->block_elems) return 0;
    uint64_t blocks = n / in->block_elems;
    if (blocks > UINT64_MAX / in->block_bytes) return 0;
    *ok = 1;
    return blocks * in->block_bytes;
}

double wz_dtype_stored_bits(wz_dtype dt)
{
    const wz_dtype_info *in = wz_dtype_info_of(dt);
    return in ? 8.0 * in->block_bytes / in->block_elems : 0;
}

static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

uint16_t wz_f32_to_bf16(float f)
{
    uint32_t u = f2u(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1); /* RNE; Inf stays Inf, overflow rounds to Inf */
    return (uint16_t)(u >> 16);
}

float wz_bf16_to_f32(uint16_t h) { return u2f((uint32_t)h << 16); }

uint16_t wz_f32_to_f16(float f)
{
    uint32_t u = f2u(f), sign = (u >> 16) & 0x8000u;
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520 rounds to Inf */
    if (a < 0x38800000u) {                                    /* f16 subnormal or zero */
        /* Scale so the f16 subnormal lsb (2^-24) becomes 1, round to even. */
        float t = u2f(a) * 16777216.0f;                       /* exact: power of two */
        uint32_t q = (uint32_t)t;
        float r = t - (float)q;
        if (r > 0.5f || (r == 0.5f && (q & 1))) q++;
        return (uint16_t)(sign | q);
    }
    uint32_t m = a + 0xfffu + ((a >> 13) & 1) - 0x38000000u; /* rebias 127 -> 15 */
    return (uint16_t)(sign | (m >> 13));
}

float wz_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ffu;
    if (e == 0) {
        float v = (float)m * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    if (e == 31) return u2f(sign | 0x7f800000u | (m << 13));
    return u2f(sign | ((e + 112) << 23) | (m << 13));
}
