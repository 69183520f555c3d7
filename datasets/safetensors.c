/* safetensors.c — parse and validate a safetensors file.
 *
 * Layout: u64 little-endian header length N, N bytes of JSON, then the data
 * section. Each JSON entry is {"dtype", "shape", "data_offsets":[b,e]} with
 * offsets relative to the data section. Nothing is trusted: N against the
 * file size, offsets against the data section, (e-b) against shape x dtype,
 * and no two tensors may overlap. */
#include "datasets/reader.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Hugging Face caps the header at 100 MB; a larger one is hostile. */
#define WZ_ST_MAX_HEADER (100u << 20)

typedef struct { uint64_t b, e; size_t idx; } span;
static int cmp_span(const void *x, const void *y)
{
    const span *a = x, *b = y;
    return a->b < b->b ? -1 : a->b > b->b ? 1 : (a->e > b->e) - (a->e < b->e);
}

static wz_err entry(wz_model *m, int fi, const char *name, json_t *v, uint64_t data_off, uint64_t data_len)
{
    if (!json_is_object(v)) return wz_fail(WZ_ERR_FORMAT, "tensor '%s': entry is not an object", name);
    json_t *jd = json_object_get(v, "dtype"), *js = json_object_get(v, "shape"), *jo = json_object_get(v, "data_offsets");
    if (!json_is_string(jd)) return wz_fail(WZ_ERR_FORMAT, "tensor '%s': missing dtype", name);
    if (!json_is_array(js)) return wz_fail(WZ_ERR_FORMAT, "tensor '%s': missing shape", name);
    if (!json_is_array(jo) || json_array_size(jo) != 2) return wz_fail(WZ_ERR_FORMAT, "tensor '%s': data_offsets must be [begin, end]", name);
    wz_tensor t = {0};
    /* I4 and F4_E2M1 (two codes per byte, low nibble first) are wzip's own
     * extensions for the int4/fp4 files `wzip convert` writes. */
    if (wz_dtype_from_name(json_string_value(jd), &t.dtype) != 0 ||
        (wz_dtype_info_of(t.dtype)->block_elems != 1 && t.dtype != WZ_DT_I4 && t.dtype != WZ_DT_F4_E2M1))
        return wz_fail(WZ_ERR_UNSUPPORTED, "tensor '%s': unsupported dtype '%s'", name, json_string_value(jd));
    size_t nd = json_array_size(js);
    if (nd > WZ_MAX_DIMS) return wz_fail(WZ_ERR_FORMAT, "tensor '%s': %zu dims (max %d)", name, nd, WZ_MAX_DIMS);
    t.ndim = (int)nd;
    for (size_t i = 0; i < nd; i++) {
        json_t *d = json_array_get(js, i);
        if (!json_is_integer(d)) return wz_fail(WZ_ERR_FORMAT, "tensor '%s': non-integer dimension", name);
        t.shape[i] = json_integer_value(d);
    }
    wz_err err = wz_shape_numel(t.shape, t.ndim, &t.numel);
    if (err) { wz_err_prefix("tensor '%s'", name); return err; }
    json_t *jb = json_array_get(jo, 0), *je = json_array_get(jo, 1);
    if (!json_is_integer(jb) || !json_is_integer(je) || json_integer_value(jb) < 0 || json_integer_value(je) < 0)
        return wz_fail(WZ_ERR_FORMAT, "tensor '%s': offsets must be non-negative integers", name);
    uint64_t b = (uint64_t)json_integer_value(jb), e = (uint64_t)json_integer_value(je);
    if (b > e) return wz_fail(WZ_ERR_FORMAT, "tensor '%s': data_offsets [%llu, %llu] reversed", name, (unsigned long long)b, (unsigned long long)e);
    if (e > data_len)
        return wz_fail(WZ_ERR_FORMAT, "tensor '%s': data_offsets end %llu past data section (%llu bytes; file truncated?)", name,
                       (unsigned long long)e, (unsigned long long)data_len);
    int ok;
    uint64_t want = wz_dtype_bytes(t.dtype, t.numel, &ok);
    if (!ok || want != e - b)
        return wz_fail(WZ_ERR_FORMAT, "tensor '%s': shape x dtype = %llu bytes but data_offsets span %llu", name,
                       (unsigned long long)want, (unsigned long long)(e - b));
    t.nbytes = e - b;
    t.file_index = fi;
    t.file_offset = data_off + b;
    t.data = m->files[fi].base + t.file_offset;
    return wz_model_push(m, &t, name, strlen(name));
}

wz_err wz_safetensors_parse(wz_model *m, int fi)
{
    const wz_file *f = &m->files[fi];
    if (f->size < 8) return wz_fail(WZ_ERR_FORMAT, "file of %zu bytes is too short for a safetensors header", f->size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | f->base[i];
    if (n > f->size - 8) return wz_fail(WZ_ERR_FORMAT, "header length %llu past end of file (%zu bytes)", (unsigned long long)n, f->size);
    if (n > WZ_ST_MAX_HEADER) return wz_fail(WZ_ERR_FORMAT, "header length %llu exceeds 100 MB", (unsigned long long)n);
    json_error_t je;
    json_t *root = json_loadb((const char *)f->base + 8, (size_t)n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root) return wz_fail(WZ_ERR_FORMAT, "header JSON invalid at byte %d: %s", je.position, je.text);
    wz_err err = WZ_OK;
    if (!json_is_object(root)) err = wz_fail(WZ_ERR_FORMAT, "header JSON is not an object");
    size_t first = m->count;
    const char *key; json_t *val;
    if (!err) json_object_foreach(root, key, val) {
        if (strcmp(key, "__metadata__") == 0) continue;
        err = entry(m, fi, key, val, 8 + n, f->size - 8 - n);
        if (err) break;
    }
    json_decref(root);
    if (err) return err;
    /* Overlap check: sort spans of this file by begin. */
    size_t cnt = m->count - first;
    span *s = malloc(sizeof *s * (cnt ? cnt : 1));
    if (!s) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < cnt; i++) {
        const wz_tensor *t = &m->tensors[first + i];
        s[i] = (span){t->file_offset, t->file_offset + t->nbytes, first + i};
    }
    qsort(s, cnt, sizeof *s, cmp_span);
    for (size_t i = 1; i < cnt && !err; i++)
        if (s[i].b < s[i - 1].e && s[i].e > s[i].b)
            err = wz_fail(WZ_ERR_FORMAT, "tensors '%s' and '%s' overlap", m->tensors[s[i - 1].idx].name, m->tensors[s[i].idx].name);
    free(s);
    return err;
}
