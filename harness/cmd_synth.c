/* cmd_synth.c — `wzip synth --model NAME [--layers N] [--first L] [--scale F]
 * [--embed] [--seed S] [--shard-mb M] -o DIR`: model-shaped synthetic bf16
 * weights (datasets/synth.c) written as sharded safetensors with a Hugging
 * Face model.safetensors.index.json. One tensor in memory at a time. */
#include "datasets/datasets.h"
#include "harness/harness.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct { char *name; int ndim; int64_t shape[2]; int kind; } ten;
typedef struct { ten *t; size_t n, cap; double scale; } tlist;

static int64_t scaled(int64_t d, double f)
{
    if (f >= 1) return d;
    int64_t v = (int64_t)(d * f + 64) / 128 * 128; /* keep GEMM-friendly multiples of 128 */
    return v < 128 ? 128 : v;
}

static void collect(void *ctx, const char *name, int ndim, const int64_t *shape, int kind)
{
    tlist *L = ctx;
    if (L->n == L->cap) { L->cap = L->cap ? 2 * L->cap : 256; L->t = realloc(L->t, L->cap * sizeof *L->t); }
    ten t = {strdup(name), ndim, {scaled(shape[0], L->scale), ndim > 1 ? scaled(shape[1], L->scale) : 0}, kind};
    if (kind == 0 && shape[0] < 128) t.shape[0] = shape[0]; /* MoE router rows = experts */
    L->t[L->n++] = t;
}

int wz_cmd_synth(int argc, char **argv)
{
    const char *model = NULL, *out = NULL;
    int layers = 1, first = 0, embed = 0;
    double scale = 1;
    uint64_t seed = 1, shard_mb = 2048;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(a, "--layers") && i + 1 < argc) layers = atoi(argv[++i]);
        else if (!strcmp(a, "--first") && i + 1 < argc) first = atoi(argv[++i]);
        else if (!strcmp(a, "--scale") && i + 1 < argc) scale = atof(argv[++i]);
        else if (!strcmp(a, "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--shard-mb") && i + 1 < argc) shard_mb = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--embed")) embed = 1;
        else if (!strcmp(a, "-o") && i + 1 < argc) out = argv[++i];
        else { model = NULL; break; }
    }
    if (!model || !out || layers < 1 || scale <= 0 || scale > 1 || !shard_mb) {
        fprintf(stderr, "usage: wzip synth --model NAME [--layers N] [--first L] [--scale F<=1] [--embed] [--seed S] [--shard-mb M] -o DIR\n"
                        "  models: see datasets/models.tsv; --scale shrinks every dimension (multiples of 128)\n");
        return 2;
    }
    wz_model_shape ms;
    wz_err e = wz_model_shape_find(NULL, model, &ms);
    if (e) return wz_report(NULL, e);
    tlist L = {NULL, 0, 0, scale};
    wz_model_tensors(&ms, first, first + layers, embed, collect, &L);
    if (mkdir(out, 0755) && errno != EEXIST) { fprintf(stderr, "wzip synth: %s: %s\n", out, strerror(errno)); return 1; }
    /* Shards: consecutive tensors up to shard_mb each. */
    size_t *shard_of = calloc(L.n, sizeof *shard_of), nshards = 0;
    uint64_t cur = 0, total = 0, cap = shard_mb << 20;
    for (size_t i = 0; i < L.n; i++) {
        uint64_t b = (uint64_t)L.t[i].shape[0] * (L.t[i].ndim > 1 ? (uint64_t)L.t[i].shape[1] : 1) * 2;
        if (cur && cur + b > cap) { nshards++; cur = 0; }
        shard_of[i] = nshards;
        cur += b; total += b;
    }
    nshards++;
    json_t *wm = json_object();
    int rc = 0;
    wz_progress pg;
    wz_progress_start(&pg, "synth", total);
    for (size_t s = 0; s < nshards && !rc; s++) {
        char fname[256], path[4096];
        snprintf(fname, sizeof fname, "model-%05zu-of-%05zu.safetensors", s + 1, nshards);
        snprintf(path, sizeof path, "%s/%s", out, fname);
        wz_st_entry *ent = calloc(L.n, sizeof *ent);
        size_t ne = 0;
        for (size_t i = 0; i < L.n; i++) {
            if (shard_of[i] != s) continue;
            ten *t = &L.t[i];
            ent[ne] = (wz_st_entry){t->name, "BF16", t->ndim, {t->shape[0], t->shape[1]}, (uint64_t)t->shape[0] * (t->ndim > 1 ? (uint64_t)t->shape[1] : 1) * 2};
            json_object_set_new(wm, t->name, json_string(fname));
            ne++;
        }
        wz_st_writer *w;
        e = wz_st_begin(path, ent, ne, &w);
        for (size_t k = 0; k < ne && !e; k++) {
            const ten *t = NULL;
            for (size_t i = 0; i < L.n; i++) if (L.t[i].name == ent[k].name) t = &L.t[i];
            uint64_t n = ent[k].nbytes / 2;
            uint16_t *buf = malloc(n * 2);
            if (!buf) { e = wz_fail(WZ_ERR_NOMEM, "out of memory for '%s'", t->name); break; }
            uint64_t sd = wz_synth_seed(seed, t->name);
            if (t->kind == 0) wz_synth_matrix_bf16(buf, (uint64_t)t->shape[0], (uint64_t)t->shape[1], sd);
            else wz_synth_vector_bf16(buf, n, sd, t->kind == 1 ? 1.0 : 0.0, t->kind == 1 ? 0.05 : 0.02);
            e = wz_st_write(w, buf, n * 2);
            free(buf);
            wz_progress_step(&pg, n * 2, t->name);
        }
        if (!e) e = wz_st_end(w);
        free(ent);
        if (e) rc = wz_report(path, e);
    }
    wz_progress_end(&pg);
    if (!rc) {
        char ip[4096];
        snprintf(ip, sizeof ip, "%s/model.safetensors.index.json", out);
        json_t *idx = json_pack("{s:{s:I, s:s, s:s, s:I, s:i, s:i, s:f}, s:o}", "metadata", "total_size", (json_int_t)total, "wzip_model", model,
                                "wzip_data", "synthetic", "wzip_seed", (json_int_t)seed, "wzip_first_layer", first, "wzip_layers", layers,
                                "wzip_scale", scale, "weight_map", wm);
        rc = wz_write_json(idx, ip);
        json_decref(idx);
        if (!rc) printf("%s: %s layers [%d, %d)%s, scale %.3g, %zu tensors, %.1f MB in %zu shard(s)\n", out, model, first, first + layers,
                        embed ? " + embeddings" : "", scale, L.n, total / 1e6, nshards);
    } else json_decref(wm);
    for (size_t i = 0; i < L.n; i++) free(L.t[i].name);
    free(L.t); free(shard_of);
    return rc;
}
