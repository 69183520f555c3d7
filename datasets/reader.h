/* reader.h — internal: the model object every reader fills. */
#ifndef WZ_READER_H
#define WZ_READER_H
#include "datasets/datasets.h"

typedef struct {
    char *path;
    const uint8_t *base; /* whole file */
    size_t size;
    int mapped;          /* munmap on close */
} wz_file;

struct wz_model {
    wz_source_kind kind;
    wz_file *files; int nfiles;
    wz_tensor *tensors; size_t count, cap;
    char **skipped; size_t nskipped;
};

wz_err wz_model_add_file(wz_model *m, const char *path, int *index);
/* Append a tensor; copies the name. */
wz_err wz_model_push(wz_model *m, const wz_tensor *t, const char *name, size_t name_len);
wz_err wz_model_skip(wz_model *m, const char *line);

/* Check an element count from dims with overflow detection. */
wz_err wz_shape_numel(const int64_t *shape, int ndim, uint64_t *numel);

wz_err wz_safetensors_parse(wz_model *m, int file_index);
wz_err wz_gguf_parse(wz_model *m, int file_index);
wz_err wz_llama2c_parse(wz_model *m, int file_index);
/* Rewrite AWQ/GPTQ qweight tensors into logical I4 tensors. */
wz_err wz_quant_recognise(wz_model *m);
#endif
