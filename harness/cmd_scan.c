/* cmd_scan.c — `wzip scan PATH... [--json FILE] [--min-numel N] [--as bf16|fp16] [--tile TxK]` */
#include "analysis/analysis.h"
#include "harness/harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *k_scan_usage =
    "usage: wzip scan PATH... [--json FILE] [--min-numel N] [--as bf16|fp16] [--tile TxK] [--quiet]\n"
    "  PATH: a .safetensors/.gguf/.bin file or a checkpoint directory (all PATHs form one model)\n"
    "  --as     analyse fp32 tensors as if cast to bf16/fp16 (round-to-nearest-even)\n"
    "  --tile   per-tile entropy with one histogram per TxK tile (default 64x256; 0 disables)\n";

static json_t *num(double v) { return v == WZ_NA ? json_null() : json_real(v); }

static void shape_str(const wz_tensor *t, char *b, size_t n)
{
    size_t o = 0;
    b[0] = 0;
    for (int i = 0; i < t->ndim && o < n; i++) o += (size_t)snprintf(b + o, n - o, "%s%lld", i ? "x" : "", (long long)t->shape[i]);
}

int wz_cmd_scan(int argc, char **argv)
{
    const char *json_path = NULL, *paths[256];
    int np = 0, quiet = 0;
    uint64_t min_numel = 0;
    wz_analyze_opts o = {WZ_AS_NATIVE, 64, 256};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json") && i + 1 < argc) json_path = argv[++i];
        else if (!strcmp(a, "--min-numel") && i + 1 < argc) min_numel = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--quiet")) quiet = 1;
        else if (!strcmp(a, "--as") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "bf16")) o.as = WZ_AS_BF16;
            else if (!strcmp(v, "fp16") || !strcmp(v, "f16")) o.as = WZ_AS_F16;
            else { fprintf(stderr, "wzip scan: --as takes bf16 or fp16, not '%s'\n", v); return 2; }
        } else if (!strcmp(a, "--tile") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "0")) o.tile_rows = o.tile_cols = 0;
            else if (sscanf(v, "%ux%u", &o.tile_rows, &o.tile_cols) != 2 || !o.tile_rows || !o.tile_cols || o.tile_rows * (uint64_t)o.tile_cols > 65536) {
                fprintf(stderr, "wzip scan: --tile takes TxK with T*K <= 65536, not '%s'\n", v); return 2;
            }
        } else if (a[0] == '-' && a[1]) { fputs(k_scan_usage, stderr); return 2; }
        else if (np < 256) paths[np++] = a;
    }
    if (!np) { fputs(k_scan_usage, stderr); return 2; }

    json_t *jt = json_array();
    double params = 0, sbits = 0, hbits = 0, hexp = 0, hsm = 0, htile = 0, nexp = 0, ntile = 0;
    int rc = 0;
    if (!quiet)
        printf("%-44s %-7s %-14s %10s %6s %7s %6s %6s %6s\n", "tensor", "dtype", "shape", "numel", "stored", "H(val)", "H(exp)",
               "H(sm|e)", "H(tile)");
    for (int pi = 0; pi < np && !rc; pi++) {
        wz_model *m;
        wz_err e = wz_model_open(paths[pi], &m);
        if (e) { rc = wz_report(NULL, e); break; }
        for (const char *const *s = wz_model_skipped(m); *s; s++) fprintf(stderr, "wzip: %s: %s\n", paths[pi], *s);
        uint64_t total = 0;
        for (size_t i = 0; i < wz_model_count(m); i++) total += wz_model_tensor(m, i)->nbytes;
        wz_progress pg;
        wz_progress_start(&pg, "scan", total);
        for (size_t i = 0; i < wz_model_count(m); i++) {
            const wz_tensor *t = wz_model_tensor(m, i);
            wz_progress_step(&pg, t->nbytes, t->name);
            if (t->numel < min_numel || t->numel == 0) continue;
            wz_entropy_report r;
            e = wz_analyze_tensor(t, &o, &r);
            if (e) {
                char ctx[1200];
                snprintf(ctx, sizeof ctx, "%s: tensor '%s'", wz_model_file(m, t->file_index), t->name);
                rc = wz_report(ctx, e);
                break;
            }
            char sh[64];
            shape_str(t, sh, sizeof sh);
            const char *dn = wz_dtype_info_of(r.dtype)->name;
            char dtn[24];
            snprintf(dtn, sizeof dtn, "%s%s", dn, t->packing == WZ_PACK_AWQ ? "(awq)" : t->packing == WZ_PACK_GPTQ ? "(gptq)" : "");
            if (!quiet) {
                wz_progress_end(&pg);
                printf("%-44.44s %-7s %-14.14s %10llu %6.2f %7.3f ", t->name, dtn, sh, (unsigned long long)t->numel, r.stored_bits, r.full);
                if (r.exp != WZ_NA) printf("%6.3f %6.3f ", r.exp, r.sm_given_exp); else printf("%6s %6s ", "-", "-");
                if (r.tile != WZ_NA) printf("%6.3f\n", r.tile); else printf("%6s\n", "-");
            }
            double n = (double)t->numel;
            params += n; sbits += n * r.stored_bits; hbits += n * r.full;
            if (r.exp != WZ_NA) { hexp += n * r.exp; hsm += n * r.sm_given_exp; nexp += n; }
            if (r.tile != WZ_NA) { htile += n * r.tile; ntile += n; }
            json_t *shape = json_array();
            for (int d = 0; d < t->ndim; d++) json_array_append_new(shape, json_integer(t->shape[d]));
            json_t *models = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "exponent", num(r.exp), "sign_mantissa", num(r.sign_mant),
                                       "sign_mantissa_given_exponent", num(r.sm_given_exp), "high_byte", num(r.hi_byte),
                                       "low_byte", num(r.lo_byte), "tile", num(r.tile), "top7_exponent_coverage", num(r.top7_exp));
            json_array_append_new(jt, json_pack("{s:s, s:s, s:s, s:o, s:I, s:f, s:f, s:I, s:o}", "name", t->name, "file",
                                                wz_model_file(m, t->file_index), "dtype", dtn, "shape", shape, "numel",
                                                (json_int_t)t->numel, "stored_bits", r.stored_bits, "entropy_bits", r.full,
                                                "distinct", (json_int_t)r.distinct, "models", models));
        }
        wz_progress_end(&pg);
        wz_model_close(m);
    }
    if (rc) { json_decref(jt); return rc; }
    double P = params ? params : 1;
    if (!quiet) {
        printf("%-44s %-7s %-14s %10.0f %6.2f %7.3f ", "TOTAL (parameter-weighted)", "", "", params, sbits / P, hbits / P);
        if (nexp) printf("%6.3f %6.3f ", hexp / nexp, hsm / nexp); else printf("%6s %6s ", "-", "-");
        if (ntile) printf("%6.3f\n", htile / ntile); else printf("%6s\n", "-");
        printf("stored/entropy = %.3fx\n", hbits > 0 ? sbits / hbits : 0);
    }
    if (json_path) {
        json_t *model = json_pack("{s:f, s:f, s:f, s:f}", "params", params, "stored_bits", sbits / P, "entropy_bits", hbits / P,
                                  "ratio", hbits > 0 ? sbits / hbits : 0.0);
        json_object_set_new(model, "exponent_bits", nexp ? json_real(hexp / nexp) : json_null());
        json_object_set_new(model, "sign_mantissa_given_exponent_bits", nexp ? json_real(hsm / nexp) : json_null());
        json_object_set_new(model, "tile_bits", ntile ? json_real(htile / ntile) : json_null());
        if (o.tile_rows) json_object_set_new(model, "tile", json_pack("[i,i]", o.tile_rows, o.tile_cols));
        json_object_set_new(model, "as", json_string(o.as == WZ_AS_BF16 ? "bf16" : o.as == WZ_AS_F16 ? "fp16" : "native"));
        json_t *jp = json_array();
        for (int i = 0; i < np; i++) json_array_append_new(jp, json_string(paths[i]));
        json_object_set_new(model, "paths", jp);
        json_t *root = json_pack("{s:o, s:o, s:o}", "model", model, "tensors", jt, "provenance", wz_provenance(paths[0], NULL));
        rc = wz_write_json(root, json_path);
        json_decref(root);
    } else {
        json_decref(jt);
    }
    return rc;
}
