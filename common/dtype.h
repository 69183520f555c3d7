/* dtype.h — every stored number format, described once.
 *
 * A dtype says how one element is stored: bit width, and for floats the
 * sign/exponent/mantissa split; for packed or block formats (int4 nibbles,
 * GGUF blocks) how many code bits an element has and how many bytes a block
 * of elements (codes + scales) takes. Codecs and analysis ask this table;
 * nothing else switches on dtype names. */
#ifndef WZ_DTYPE_H
#define WZ_DTYPE_H
#include <stddef.h>
#include <stdint.h>

typedef enum {
    WZ_DT_F32, WZ_DT_F16, WZ_DT_BF16, WZ_DT_F64,
    WZ_DT_F8_E4M3, WZ_DT_F8_E5M2,
    WZ_DT_I8, WZ_DT_U8, WZ_DT_I16, WZ_DT_U16, WZ_DT_I32, WZ_DT_U32, WZ_DT_I64, WZ_DT_U64, WZ_DT_BOOL,
    WZ_DT_I4,       /* 4-bit integer codes (AWQ/GPTQ qweight unpacked, our int4) */
    WZ_DT_F4_E2M1,  /* 4-bit float codes (MX fp4) */
    WZ_DT_Q8_0, WZ_DT_Q4_0, WZ_DT_Q4_1, WZ_DT_Q5_0, WZ_DT_Q5_1, WZ_DT_Q4_K, WZ_DT_Q6_K, /* GGUF blocks */
    WZ_DT__COUNT
} wz_dtype;

typedef struct {
    const char *name;      /* safetensors / GGUF spelling */
    uint8_t code_bits;     /* bits of one element's code (16 for bf16, 4 for Q4_0) */
    uint8_t is_float;      /* code is sign|exponent|mantissa */
    uint8_t exp_bits, mant_bits;
    uint32_t block_elems;  /* elements per storage block (1 for plain dtypes, 2 for packed nibbles) */
    uint32_t block_bytes;  /* bytes per storage block, codes + scales */
} wz_dtype_info;

const wz_dtype_info *wz_dtype_info_of(wz_dtype dt);
/* Parse a safetensors dtype string; returns -1 if unknown. */
int wz_dtype_from_name(const char *s, wz_dtype *out);
/* Bytes for n elements; returns 0 and sets *ok=0 on overflow or partial block. */
uint64_t wz_dtype_bytes(wz_dtype dt, uint64_t n, int *ok);
/* Stored bits per element, scales included (8.5 for Q8_0). */
double wz_dtype_stored_bits(wz_dtype dt);

/* Conversions, round-to-nearest-even, NaN/Inf preserved (NaN stays quiet NaN
 * with its sign). */
uint16_t wz_f32_to_bf16(float f);
uint16_t wz_f32_to_f16(float f);
float wz_bf16_to_f32(uint16_t h);
float wz_f16_to_f32(uint16_t h);

#endif
