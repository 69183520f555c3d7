/* cmd_convert.c — `wzip convert IN -o OUT.safetensors --to FMT [...]`:
 * casts and quantizers of datasets/quantize.c applied to every weight
 * matrix (float tensor, >= 2 dims, >= --min-numel elements); other tensors
 * are copied unchanged. Two passes over the input (sizes, then data), one
 * tensor in memory at a time. */
#include "datasets/datasets.h"
#include "harness/harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { TO_BF16, TO_F16, TO_Q } to_kind;

static const char *k_convert_usage =
    "usage: wzip convert IN -o OUT.safetensors --to bf16|fp16|fp8-e4m3|fp8-e5m2|int8|int4|fp4\n"
    "                    [--granularity tensor|channel|group:N] [--sym|--asym] [--smooth ALPHA] [--min-numel N]\n"
    "  int4 with group:128 --asym is written in AutoAWQ layout (qweight/qzeros/scales).\n";

static int is_float(wz_dtype d) { return d == WZ_DT_F32 || d == WZ_DT_F16 || d == WZ_DT_BF16; }

static float *to_f32(const wz_tensor *t)
{
    float *f = malloc(sizeof(float) * (t->numel ? t->numel : 1));
    if (!f) return NULL;
    for (uint64_t i = 0; i < t->numel; i++) {
        if (t->dtype == WZ_DT_F32) memcpy(&f[i], t->data + 4 * i, 4);
        else { uint16_t h; memcpy(&h, t->data + 2 * i, 2); f[i] = t->dtype == WZ_DT_BF16 ? wz_bf16_to_f32(h) : wz_f16_to_f32(h); }
    }
    return f;
}

static void suffixed(char *dst, size_t n, const char *name, const char *suf) { snprintf(dst, n, "%s%s", name, suf); }
static void stem(char *dst, size_t n, const char *name)
{
    size_t l = strlen(name);
    if (l > 7 && !strcmp(name + l - 7, ".weight")) l -= 7;
    snprintf(dst, n, "%.*s", (int)l, name);
}

int wz_cmd_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *to = NULL;
    wz_quant_spec q = {WZ_Q_INT8, WZ_GRAN_TENSOR, 0, 0, 0};
    uint64_t min_numel = 4096;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(a, "--to") && i + 1 < argc) to = argv[++i];
        else if (!strcmp(a, "--sym")) q.asym = 0;
        else if (!strcmp(a, "--asym")) q.asym = 1;
        else if (!strcmp(a, "--smooth") && i + 1 < argc) q.smooth_alpha = (float)atof(argv[++i]);
        else if (!strcmp(a, "--min-numel") && i + 1 < argc) min_numel = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--granularity") && i + 1 < argc) {
            const char *g = argv[++i];
            if (!strcmp(g, "tensor")) q.gran = WZ_GRAN_TENSOR;
            else if (!strcmp(g, "channel")) q.gran = WZ_GRAN_CHANNEL;
            else if (!strncmp(g, "group:", 6) && atoi(g + 6) > 0) { q.gran = WZ_GRAN_GROUP; q.group = (uint64_t)atoi(g + 6); }
            else { fputs(k_convert_usage, stderr); return 2; }
        } else if (a[0] != '-' && !in) in = a;
        else { fputs(k_convert_usage, stderr); return 2; }
    }
    if (!in || !out || !to) { fputs(k_convert_usage, stderr); return 2; }
    to_kind kind = TO_Q;
    if (!strcmp(to, "bf16")) kind = TO_BF16;
    else if (!strcmp(to, "fp16")) kind = TO_F16;
    else if (!strcmp(to, "fp8-e4m3")) q.fmt = WZ_Q_FP8_E4M3;
    else if (!strcmp(to, "fp8-e5m2")) q.fmt = WZ_Q_FP8_E5M2;
    else if (!strcmp(to, "int8")) q.fmt = WZ_Q_INT8;
    else if (!strcmp(to, "int4")) q.fmt = WZ_Q_INT4;
    else if (!strcmp(to, "fp4")) q.fmt = WZ_Q_FP4;
    else { fprintf(stderr, "wzip convert: unknown format '%s'\n", to); return 2; }
    wz_model *m;
    wz_err e = wz_model_open(in, &m);
    if (e) return wz_report(NULL, e);
    size_t nt = wz_model_count(m), ne = 0;
    wz_st_entry *ent = calloc(nt * 3 + 1, sizeof *ent);
    char (*names)[512] = calloc(nt * 3 + 1, sizeof *names);
    uint8_t *mode = calloc(nt ? nt : 1, 1); /* 0 copy, 1 cast, 2 quant, 3 awq */
    int rc = 0;
    for (size_t i = 0; i < nt; i++) {
        const wz_tensor *t = wz_model_tensor(m, i);
        uint64_t rows, cols;
        wz_tensor_matrix(t, &rows, &cols);
        wz_st_entry b = {NULL, NULL, t->ndim, {0}, 0};
        memcpy(b.shape, t->shape, sizeof b.shape);
        int fl = is_float(t->dtype) && t->packing == WZ_PACK_PLAIN;
        if (fl && kind != TO_Q) {
            mode[i] = 1;
            snprintf(names[ne], 512, "%s", t->name);
            b.dtype = kind == TO_BF16 ? "BF16" : "F16"; b.nbytes = t->numel * 2;
            ent[ne] = b; ent[ne].name = names[ne]; ne++;
            continue;
        }
        int quant = fl && kind == TO_Q && t->ndim >= 2 && t->numel >= min_numel && t->numel % 2 == 0 &&
                    !(q.gran == WZ_GRAN_GROUP && cols % q.group) && !(q.fmt == WZ_Q_FP4 && cols % 32);
        if (!quant) {
            mode[i] = 0;
            snprintf(names[ne], 512, "%s", t->name);
            b.dtype = wz_dtype_info_of(t->dtype)->name; b.nbytes = t->nbytes;
            ent[ne] = b; ent[ne].name = names[ne]; ne++;
            continue;
        }
        uint64_t ng = q.fmt == WZ_Q_FP4 ? t->numel / 32 : (q.fmt == WZ_Q_FP8_E4M3 || q.fmt == WZ_Q_FP8_E5M2 || q.gran == WZ_GRAN_TENSOR) ? 1
                      : q.gran == WZ_GRAN_CHANNEL ? rows : t->numel / q.group;
        if (q.fmt == WZ_Q_INT4 && q.asym && q.gran == WZ_GRAN_GROUP && q.group == 128 && rows % 8 == 0) {
            mode[i] = 3;
            char st[480];
            stem(st, sizeof st, t->name);
            wz_st_entry qw = {NULL, "I32", 2, {(int64_t)cols, (int64_t)rows / 8}, cols * rows / 8 * 4};
            wz_st_entry qz = {NULL, "I32", 2, {(int64_t)(cols / 128), (int64_t)rows / 8}, cols / 128 * rows / 8 * 4};
            wz_st_entry sc = {NULL, "F16", 2, {(int64_t)(cols / 128), (int64_t)rows}, cols / 128 * rows * 2};
            snprintf(names[ne], 512, "%s.qweight", st); ent[ne] = qw; ent[ne].name = names[ne]; ne++;
            snprintf(names[ne], 512, "%s.qzeros", st); ent[ne] = qz; ent[ne].name = names[ne]; ne++;
            snprintf(names[ne], 512, "%s.scales", st); ent[ne] = sc; ent[ne].name = names[ne]; ne++;
            continue;
        }
        mode[i] = 2;
        static const char *dn[] = {"F8_E4M3", "F8_E5M2", "I8", "I4", "F4_E2M1"};
        b.dtype = dn[q.fmt];
        b.nbytes = q.fmt == WZ_Q_INT4 || q.fmt == WZ_Q_FP4 ? t->numel / 2 : t->numel;
        snprintf(names[ne], 512, "%s", t->name); ent[ne] = b; ent[ne].name = names[ne]; ne++;
        wz_st_entry sc = {NULL, "F32", 1, {(int64_t)ng}, ng * 4};
        suffixed(names[ne], 512, t->name, "_scale"); ent[ne] = sc; ent[ne].name = names[ne]; ne++;
        if (q.fmt == WZ_Q_INT4) { wz_st_entry z = {NULL, "U8", 1, {(int64_t)ng}, ng}; suffixed(names[ne], 512, t->name, "_zero"); ent[ne] = z; ent[ne].name = names[ne]; ne++; }
        if (q.fmt == WZ_Q_INT8 && q.smooth_alpha > 0) { wz_st_entry z = {NULL, "F32", 1, {(int64_t)cols}, cols * 4}; suffixed(names[ne], 512, t->name, "_smooth"); ent[ne] = z; ent[ne].name = names[ne]; ne++; }
    }
    wz_st_writer *w = NULL;
    e = wz_st_begin(out, ent, ne, &w);
    for (size_t i = 0; i < nt && !e; i++) {
        const wz_tensor *t = wz_model_tensor(m, i);
        uint64_t rows, cols;
        wz_tensor_matrix(t, &rows, &cols);
        if (mode[i] == 0) { e = wz_st_write(w, t->data, t->nbytes); continue; }
        float *f = to_f32(t);
        if (!f) { e = wz_fail(WZ_ERR_NOMEM, "out of memory"); break; }
        if (mode[i] == 1) {
            uint16_t *h = malloc(t->numel * 2 + 2);
            for (uint64_t k = 0; k < t->numel; k++) h[k] = kind == TO_BF16 ? wz_f32_to_bf16(f[k]) : wz_f32_to_f16(f[k]);
            e = wz_st_write(w, h, t->numel * 2);
            free(h); free(f);
            continue;
        }
        wz_quant_out qo;
        e = wz_quantize(f, rows, cols, &q, &qo);
        free(f);
        if (e) { wz_err_prefix("tensor '%s'", t->name); break; }
        if (mode[i] == 3) {
            uint64_t G = cols / 128;
            uint32_t *qw = malloc(cols * rows / 8 * 4), *qz = malloc(G * rows / 8 * 4);
            uint16_t *sc = malloc(G * rows * 2);
            uint8_t *zc = malloc(rows * G);
            wz_awq_pack(qo.codes, rows, cols, qw);
            for (uint64_t r = 0; r < rows; r++)
                for (uint64_t g = 0; g < G; g++) { sc[g * rows + r] = wz_f32_to_f16(qo.scales[r * G + g]); zc[r * G + g] = qo.zeros[r * G + g]; }
            wz_awq_pack(zc, rows, G, qz);
            e = wz_st_write(w, qw, cols * rows / 8 * 4);
            if (!e) e = wz_st_write(w, qz, G * rows / 8 * 4);
            if (!e) e = wz_st_write(w, sc, G * rows * 2);
            free(qw); free(qz); free(sc); free(zc);
        } else {
            if (q.fmt == WZ_Q_INT4 || q.fmt == WZ_Q_FP4) {
                uint8_t *p = calloc(t->numel / 2 + 1, 1);
                for (uint64_t k = 0; k < t->numel; k++) p[k / 2] |= (uint8_t)((qo.codes[k] & 15) << (4 * (k & 1)));
                e = wz_st_write(w, p, t->numel / 2);
                free(p);
            } else e = wz_st_write(w, qo.codes, t->numel);
            if (!e) e = wz_st_write(w, qo.scales, qo.ngroups * 4);
            if (!e && q.fmt == WZ_Q_INT4) e = wz_st_write(w, qo.zeros, qo.ngroups);
            if (!e && qo.smooth) e = wz_st_write(w, qo.smooth, cols * 4);
        }
        wz_quant_free(&qo);
    }
    if (w) { wz_err e2 = wz_st_end(w); if (!e) e = e2; }
    if (e) rc = wz_report(out, e);
    else printf("%s -> %s (%s): %zu tensors written\n", in, out, to, ne);
    free(ent); free(names); free(mode);
    wz_model_close(m);
    return rc;
}
