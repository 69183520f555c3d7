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

#endif
