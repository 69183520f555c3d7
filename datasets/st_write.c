/* st_write.c — write a safetensors file: JSON header (jansson), padded with
 * spaces so the data section starts 8-byte aligned, then each tensor's bytes
 * in entry order. Writes to PATH.tmp and renames on success, so a failed
 * conversion never leaves a half-written file behind. */
#include "datasets/datasets.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wz_st_writer { FILE *f; char *path, *tmp; uint64_t expect, written; };

wz_err wz_st_begin(const char *path, const wz_st_entry *e, size_t n, wz_st_writer **out)
{
    *out = NULL;
    json_t *root = json_object();
    uint64_t off = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *shape = json_array();
        for (int d = 0; d < e[i].ndim; d++) json_array_append_new(shape, json_integer(e[i].shape[d]));
        json_object_set_new(root, e[i].name, json_pack("{s:s, s:o, s:[I,I]}", "dtype", e[i].dtype, "shape", shape, "data_offsets",
                                                      (json_int_t)off, (json_int_t)(off + e[i].nbytes)));
        off += e[i].nbytes;
    }
    char *js = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!js) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    size_t jl = strlen(js), pad = (8 - (8 + jl) % 8) % 8;
    wz_st_writer *w = calloc(1, sizeof *w);
    if (!w) { free(js); return wz_fail(WZ_ERR_NOMEM, "out of memory"); }
    w->path = strdup(path);
    w->tmp = malloc(strlen(path) + 5);
    sprintf(w->tmp, "%s.tmp", path);
    w->f = fopen(w->tmp, "wb");
    w->expect = off;
    if (!w->f) { wz_err er = wz_fail(WZ_ERR_IO, "%s: %s", w->tmp, strerror(errno)); free(js); free(w->path); free(w->tmp); free(w); return er; }
    uint64_t hl = jl + pad;
    uint8_t le[8];
    for (int i = 0; i < 8; i++) le[i] = (uint8_t)(hl >> (8 * i));
    int ok = fwrite(le, 1, 8, w->f) == 8 && fwrite(js, 1, jl, w->f) == jl;
    for (size_t i = 0; i < pad && ok; i++) ok = fputc(' ', w->f) != EOF;
    free(js);
    *out = w;
    return ok ? WZ_OK : wz_fail(WZ_ERR_IO, "%s: write failed", w->tmp);
}

wz_err wz_st_write(wz_st_writer *w, const void *p, size_t n)
{
    if (w->written + n > w->expect) return wz_fail(WZ_ERR_ARG, "safetensors writer: more data than the header declares");
    if (fwrite(p, 1, n, w->f) != n) return wz_fail(WZ_ERR_IO, "%s: write failed: %s", w->tmp, strerror(errno));
    w->written += n;
    return WZ_OK;
}

wz_err wz_st_end(wz_st_writer *w)
{
    wz_err err = WZ_OK;
    if (w->written != w->expect) err = wz_fail(WZ_ERR_ARG, "safetensors writer: %llu of %llu data bytes written", (unsigned long long)w->written,
                                               (unsigned long long)w->expect);
    if (fclose(w->f) && !err) err = wz_fail(WZ_ERR_IO, "%s: close failed", w->tmp);
    if (!err && rename(w->tmp, w->path)) err = wz_fail(WZ_ERR_IO, "%s: %s", w->path, strerror(errno));
    if (err) remove(w->tmp);
    free(w->path); free(w->tmp); free(w);
    return err;
}
