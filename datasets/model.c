/* model.c — open files/directories, detect the format, own the mappings. */
#include "datasets/reader.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

wz_err wz_shape_numel(const int64_t *shape, int ndim, uint64_t *numel)
{
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return wz_fail(WZ_ERR_FORMAT, "negative dimension %lld", (long long)shape[i]);
        if (shape[i] != 0 && n > (UINT64_MAX >> 1) / (uint64_t)shape[i])
            return wz_fail(WZ_ERR_FORMAT, "shape overflows 63 bits");
        n *= (uint64_t)shape[i];
    }
    *numel = n;
    return WZ_OK;
}

wz_err wz_model_add_file(wz_model *m, const char *path, int *index)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return wz_fail(WZ_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return wz_fail(WZ_ERR_IO, "%s: not a regular file", path);
    }
    const uint8_t *base = NULL;
    if (st.st_size > 0) {
        base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (base == MAP_FAILED) { close(fd); return wz_fail(WZ_ERR_IO, "%s: mmap: %s", path, strerror(errno)); }
    }
    close(fd);
    wz_file *nf = realloc(m->files, sizeof *nf * (size_t)(m->nfiles + 1));
    if (!nf) { if (base) munmap((void *)base, (size_t)st.st_size); return wz_fail(WZ_ERR_NOMEM, "out of memory"); }
    m->files = nf;
    nf[m->nfiles] = (wz_file){strdup(path), base, (size_t)st.st_size, base != NULL};
    *index = m->nfiles++;
    return WZ_OK;
}

wz_err wz_model_push(wz_model *m, const wz_tensor *t, const char *name, size_t name_len)
{
    if (m->count == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        wz_tensor *nt = realloc(m->tensors, nc * sizeof *nt);
        if (!nt) return wz_fail(WZ_ERR_NOMEM, "out of memory");
        m->tensors = nt; m->cap = nc;
    }
    char *nm = malloc(name_len + 1);
    if (!nm) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    memcpy(nm, name, name_len); nm[name_len] = 0;
    m->tensors[m->count] = *t;
    m->tensors[m->count].name = nm;
    m->count++;
    return WZ_OK;
}

wz_err wz_model_skip(wz_model *m, const char *line)
{
    char **ns = realloc(m->skipped, sizeof *ns * (m->nskipped + 2));
    if (!ns) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    m->skipped = ns;
    ns[m->nskipped++] = strdup(line);
    ns[m->nskipped] = NULL;
    return WZ_OK;
}

void wz_model_close(wz_model *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->count; i++) free((char *)m->tensors[i].name);
    for (int i = 0; i < m->nfiles; i++) {
        if (m->files[i].mapped) munmap((void *)m->files[i].base, m->files[i].size);
        free(m->files[i].path);
    }
    for (size_t i = 0; i < m->nskipped; i++) free(m->skipped[i]);
    free(m->skipped); free(m->files); free(m->tensors); free(m);
}

size_t wz_model_count(const wz_model *m) { return m->count; }
const wz_tensor *wz_model_tensor(const wz_model *m, size_t i) { return i < m->count ? &m->tensors[i] : NULL; }
const char *wz_model_file(const wz_model *m, int i) { return i >= 0 && i < m->nfiles ? m->files[i].path : "?"; }
wz_source_kind wz_model_kind(const wz_model *m) { return m->kind; }
const char *const *wz_model_skipped(const wz_model *m)
{
    static const char *const none[] = {NULL};
    return m->skipped ? (const char *const *)m->skipped : none;
}

const wz_tensor *wz_model_find(const wz_model *m, const char *name)
{
    for (size_t i = 0; i < m->count; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
    return NULL;
}

void wz_tensor_matrix(const wz_tensor *t, uint64_t *rows, uint64_t *cols)
{
    /* GEMM view: rows = output dim (shape[0]), cols = everything it reduces
     * over (in, or in*kh*kw for a convolution). 0/1-D tensors are one row. */
    uint64_t r = t->ndim >= 2 ? (uint64_t)t->shape[0] : 1;
    *rows = r;
    *cols = r ? t->numel / r : 0;
}

static wz_err parse_file(wz_model *m, int fi)
{
    switch (m->kind) {
    case WZ_SRC_SAFETENSORS: return wz_safetensors_parse(m, fi);
    case WZ_SRC_GGUF: return wz_gguf_parse(m, fi);
    case WZ_SRC_LLAMA2C: return wz_llama2c_parse(m, fi);
    }
    return wz_fail(WZ_ERR_ARG, "bad source kind");
}

static wz_err detect(const wz_file *f, wz_source_kind *k)
{
    if (f->size >= 4 && memcmp(f->base, "GGUF", 4) == 0) { *k = WZ_SRC_GGUF; return WZ_OK; }
    if (has_suffix(f->path, ".safetensors")) { *k = WZ_SRC_SAFETENSORS; return WZ_OK; }
    if (has_suffix(f->path, ".bin")) { *k = WZ_SRC_LLAMA2C; return WZ_OK; }
    if (f->size >= 9 && f->base[8] == '{') { *k = WZ_SRC_SAFETENSORS; return WZ_OK; }
    return wz_fail(WZ_ERR_UNSUPPORTED, "unrecognised file format (expected safetensors, GGUF or llama2.c .bin)");
}

wz_err wz_sharded_open(wz_model *m, const char *dir); /* sharded.c */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static wz_err open_dir(wz_model *m, const char *dir)
{
    char idx[4096];
    snprintf(idx, sizeof idx, "%s/model.safetensors.index.json", dir);
    if (access(idx, R_OK) == 0) { m->kind = WZ_SRC_SAFETENSORS; return wz_sharded_open(m, dir); }
    DIR *d = opendir(dir);
    if (!d) return wz_fail(WZ_ERR_IO, "%s: %s", dir, strerror(errno));
    char **names = NULL; size_t n = 0;
    struct dirent *e;
    int kind = -1;
    while ((e = readdir(d))) {
        int st = has_suffix(e->d_name, ".safetensors"), gg = has_suffix(e->d_name, ".gguf");
        if (!st && !gg) continue;
        if (kind == -1) kind = st ? WZ_SRC_SAFETENSORS : WZ_SRC_GGUF;
        if (kind != (st ? WZ_SRC_SAFETENSORS : WZ_SRC_GGUF)) continue;
        char **nn = realloc(names, sizeof *nn * (n + 1));
        if (!nn) break;
        names = nn; names[n++] = strdup(e->d_name);
    }
    closedir(d);
    wz_err err = WZ_OK;
    if (n == 0) err = wz_fail(WZ_ERR_FORMAT, "%s: no index, .safetensors or .gguf files", dir);
    qsort(names, n, sizeof *names, cmp_str);
    m->kind = (wz_source_kind)kind;
    for (size_t i = 0; i < n && !err; i++) {
        char p[4096]; int fi;
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        err = wz_model_add_file(m, p, &fi);
        if (!err) { err = parse_file(m, fi); if (err) wz_err_prefix("%s", p); }
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return err;
}

wz_err wz_model_open(const char *path, wz_model **out)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0) return wz_fail(WZ_ERR_IO, "%s: %s", path, strerror(errno));
    wz_model *m = calloc(1, sizeof *m);
    if (!m) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    wz_err err;
    if (S_ISDIR(st.st_mode)) {
        err = open_dir(m, path);
    } else {
        int fi;
        err = wz_model_add_file(m, path, &fi);
        if (!err) err = detect(&m->files[fi], &m->kind);
        if (!err) err = parse_file(m, fi);
        if (err) wz_err_prefix("%s", path);
    }
    if (!err) err = wz_quant_recognise(m);
    if (err) { wz_model_close(m); return err; }
    *out = m;
    return WZ_OK;
}

wz_err wz_model_from_buffer(const uint8_t *buf, size_t len, wz_source_kind kind, wz_model **out)
{
    *out = NULL;
    wz_model *m = calloc(1, sizeof *m);
    if (!m) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    m->files = calloc(1, sizeof *m->files);
    if (!m->files) { free(m); return wz_fail(WZ_ERR_NOMEM, "out of memory"); }
    m->files[0] = (wz_file){strdup("<buffer>"), buf, len, 0};
    m->nfiles = 1;
    m->kind = kind;
    wz_err err = parse_file(m, 0);
    if (!err) err = wz_quant_recognise(m);
    if (err) { wz_model_close(m); return err; }
    *out = m;
    return WZ_OK;
}
