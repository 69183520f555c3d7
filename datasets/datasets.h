/* datasets.h — checkpoint readers: a model is a list of tensor views.
 *
 * Readers memory-map their files and never copy weights: a wz_tensor points
 * into the mapping. Every header field is validated before it is believed
 * (lengths against the file size, offsets against the data section, shape x
 * dtype against the byte length, overlaps), so hostile files produce
 * WZ_ERR_FORMAT with a detail message, never an out-of-bounds read.
 *
 * Supported: safetensors (single file, or a directory with
 * model.safetensors.index.json or plain *.safetensors shards), GGUF v2/v3,
 * llama2.c legacy checkpoints. AWQ/GPTQ int32-packed `qweight` tensors are
 * recognised and exposed as WZ_DT_I4 tensors of their logical shape. */
#ifndef WZ_DATASETS_H
#define WZ_DATASETS_H
#include <stddef.h>
#include <stdint.h>
#include "common/dtype.h"
#include "common/error.h"

#define WZ_MAX_DIMS 8

typedef enum {
    WZ_PACK_PLAIN = 0, /* elements stored one after another in `dtype` */
    WZ_PACK_AWQ,       /* int32 words, 8 nibbles, AutoAWQ order 0,2,4,6,1,3,5,7, words along out dim */
    WZ_PACK_GPTQ,      /* int32 words, 8 nibbles in order, words along the in dim */
} wz_packing;

typedef struct {
    const char *name;
    wz_dtype dtype;        /* logical element format */
    wz_packing packing;
    int ndim;
    int64_t shape[WZ_MAX_DIMS]; /* PyTorch order: last dim is contiguous */
    uint64_t numel;        /* logical elements */
    const uint8_t *data;   /* points into the mapped file */
    uint64_t nbytes;       /* stored bytes */
    int file_index;        /* which file of the model */
    uint64_t file_offset;  /* absolute offset of data in that file */
} wz_tensor;

typedef struct wz_model wz_model;

typedef enum { WZ_SRC_SAFETENSORS, WZ_SRC_GGUF, WZ_SRC_LLAMA2C } wz_source_kind;

/* Open a file or a directory (detecting the format). */
wz_err wz_model_open(const char *path, wz_model **out);
void wz_model_close(wz_model *m);
size_t wz_model_count(const wz_model *m);
const wz_tensor *wz_model_tensor(const wz_model *m, size_t i);
const wz_tensor *wz_model_find(const wz_model *m, const char *name);
const char *wz_model_file(const wz_model *m, int file_index);
wz_source_kind wz_model_kind(const wz_model *m);
/* Tensors a reader listed but cannot expose (unsupported GGUF types), as
 * "name (TYPE)" lines; NULL-terminated, owned by the model. */
const char *const *wz_model_skipped(const wz_model *m);

/* Parse one in-memory buffer (fuzzing entry points). The model borrows buf. */
wz_err wz_model_from_buffer(const uint8_t *buf, size_t len, wz_source_kind kind, wz_model **out);

/* Unpack element codes: one byte per element, in logical (row-major) order.
 * Valid for dtypes with code_bits <= 8 (int8/u8/fp8 bytes, int4/fp4 nibbles,
 * GGUF block codes). `scales`, if non-NULL, receives one float per scale
 * group (wz_tensor_scale_groups() of them): the block's d (K-quants: d*sc
 * of each sub-block). */
wz_err wz_tensor_codes(const wz_tensor *t, uint8_t *codes, float *scales);
uint64_t wz_tensor_scale_groups(const wz_tensor *t);

/* GEMM view used by tiling: rows = shape[0], cols = numel / rows. */
void wz_tensor_matrix(const wz_tensor *t, uint64_t *rows, uint64_t *cols);


/* ---- quantizers and small-float encoders (quantize.c has each formula).
 * Input is an fp32 matrix [rows = out, cols = in]. ---- */

typedef enum { WZ_Q_FP8_E4M3, WZ_Q_FP8_E5M2, WZ_Q_INT8, WZ_Q_INT4, WZ_Q_FP4 } wz_qfmt;
typedef enum { WZ_GRAN_TENSOR, WZ_GRAN_CHANNEL, WZ_GRAN_GROUP } wz_gran;

typedef struct {
    wz_qfmt fmt;
    wz_gran gran;
    uint64_t group;     /* WZ_GRAN_GROUP: inputs per group */
    int asym;           /* int4 only */
    float smooth_alpha; /* int8: SmoothQuant alpha from weight stats (0 = off) */
} wz_quant_spec;

typedef struct {
    uint8_t *codes;     /* one code per element: int8 as two's complement byte, int4/fp4 0..15 */
    float *scales;      /* one per group */
    uint8_t *zeros;     /* int4: zero point per group (8 for symmetric) */
    float *smooth;      /* per input column multiplier if smoothing was on */
    uint64_t ngroups, group;
} wz_quant_out;

wz_err wz_quantize(const float *w, uint64_t rows, uint64_t cols, const wz_quant_spec *q, wz_quant_out *o);
float wz_dequant(const wz_quant_spec *q, const wz_quant_out *o, uint64_t i);
void wz_quant_free(wz_quant_out *o);
uint8_t wz_f32_to_e4m3(float x);
uint8_t wz_f32_to_e5m2(float x);
uint8_t wz_f32_to_e2m1(float x);
float wz_small_float_value(uint8_t code, int exp_bits, int mant_bits);
/* AutoAWQ GEMM packing: codes [out][in] -> qweight [in][out/8] int32. */
void wz_awq_pack(const uint8_t *codes, uint64_t out, uint64_t in, uint32_t *qweight);

/* ---- synthetic weights (synth.c: the distribution and why) ---- */
uint64_t wz_synth_seed(uint64_t seed, const char *tensor_name);
void wz_synth_matrix_bf16(uint16_t *w, uint64_t rows, uint64_t cols, uint64_t seed);
void wz_synth_vector_bf16(uint16_t *w, uint64_t n, uint64_t seed, double mean, double std);

/* ---- model shapes (models.c reads datasets/models.tsv: data, not code) ---- */
typedef struct {
    char name[64];
    int layers, hidden, intermediate, heads, kv_heads, head_dim, experts, tied, qkv_bias;
    long vocab;
} wz_model_shape;
/* Find a model by name in the table at `path` (NULL: datasets/models.tsv,
 * or $WZ_MODELS). */
wz_err wz_model_shape_find(const char *path, const char *name, wz_model_shape *out);
/* Tensor list of layers [l0, l1) (+ embeddings/head/norm if `ends`), in
 * Hugging Face naming; calls fn for each. */
typedef void (*wz_shape_fn)(void *ctx, const char *name, int ndim, const int64_t *shape, int kind /* 0 matrix, 1 norm, 2 bias */);
void wz_model_tensors(const wz_model_shape *m, int l0, int l1, int ends, wz_shape_fn fn, void *ctx);

/* ---- safetensors writer (st_write.c): header first, then tensors streamed
 * in order; data offsets aligned to 8 bytes like Hugging Face's writer. ---- */
typedef struct { const char *name; const char *dtype; int ndim; int64_t shape[WZ_MAX_DIMS]; uint64_t nbytes; } wz_st_entry;
typedef struct wz_st_writer wz_st_writer;
wz_err wz_st_begin(const char *path, const wz_st_entry *e, size_t n, wz_st_writer **w);
/* Append the bytes of the next tensor (in entry order; may be called in pieces). */
wz_err wz_st_write(wz_st_writer *w, const void *p, size_t n);
wz_err wz_st_end(wz_st_writer *w);
#endif
