/* cmd_groups.c — `wzip groups PATH... [--as bf16] [--json FILE]`: what
 * coding 1-4 exponents per rANS symbol would cost on a checkpoint's bf16
 * matrices (analysis/group_codes.c), summed over its tensors, one row per
 * (exponents per symbol, code width, table slots). The first row with 2
 * exponents, 4-bit codes and 2^12 slots is tile-ans PAIR16 as shipped.
 * Then the fixed-length exponent codes (the bitmap family; 4 bits is
 * bitmap4): bits a weight, and how often escapes fall in a 32x32 block and
 * in a lane of one, which is what a GPU decoder's escape path costs; and
 * the fixed-length codes per exponent pair (the 2^b - 1 most frequent
 * pairs), the same lookup a bitmap4 pair costs today. */
#include "analysis/analysis.h"
#include "codecs/codecs.h"
#include "harness/harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The candidates: today's pair, a pair with a finer table, and 3-4
 * exponents per symbol over narrower windows (2^16 slots is the most a
 * 32-bit rANS state with 16-bit refills takes). */
static const int k_cfg[][3] = {{1, 4, 12}, {2, 4, 12}, {2, 4, 16}, {3, 3, 12}, {3, 3, 16}, {3, 4, 16}, {4, 3, 16}, {4, 2, 12}, {4, 2, 16}};
#define NCFG (sizeof k_cfg / sizeof k_cfg[0])
static const int k_wbits[] = {2, 3, 4, 5};
#define NWIN (sizeof k_wbits / sizeof k_wbits[0])
static const int k_pbits[] = {6, 7, 8}; /* 3, 3.5, 4 bits an exponent */
#define NPAIR (sizeof k_pbits / sizeof k_pbits[0])

/* Sums over the matrices (each its own window / pair table). */
static void add_cost(wz_window_cost *sum, const wz_window_cost *c)
{
    sum->weights += c->weights; sum->escapes += c->escapes; sum->blocks += c->blocks;
    sum->blocks_with_escape += c->blocks_with_escape; sum->lanes_with_escape += c->lanes_with_escape;
}

/* One row of a fixed-length code table (bits a weight from the summed
 * escapes; code_bits a weight, or a pair for pairs) and its JSON. */
static json_t *cost_row(const wz_window_cost *w, int code_bits, int per_pair)
{
    const double er = (double)w->escapes / (double)w->weights, bits = 8.0 + (per_pair ? code_bits / 2.0 : code_bits) + 8.0 * er;
    const double fb = (double)w->blocks_with_escape / (double)w->blocks, fl = (double)w->lanes_with_escape / (32.0 * (double)w->blocks);
    if (per_pair) printf("%9d %12.4f %15.2e %22.3f %21.4f\n", code_bits, bits, er, fb, fl);
    else printf("%9d %6d %12.4f %15.2e %22.3f %21.4f\n", code_bits, (1 << code_bits) - 1, bits, er, fb, fl);
    json_t *j = json_pack("{s:i, s:I, s:f, s:f, s:f, s:f}", "code_bits", code_bits, "weights", (json_int_t)w->weights, "bits", bits, "escape_rate", er,
                          "blocks_with_escape", fb, "lanes_with_escape", fl);
    if (!per_pair) json_object_set_new(j, "window", json_integer((1 << code_bits) - 1));
    return j;
}

static const char *k_usage = "usage: wzip groups PATH... [--as bf16] [--min-numel N] [--json FILE]\n";

int wz_cmd_groups(int argc, char **argv)
{
    const char *json_path = NULL, *paths[64];
    int np = 0;
    wz_cast as = WZ_AS_NATIVE;
    uint64_t min_numel = 4096;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json") && i + 1 < argc) json_path = argv[++i];
        else if (!strcmp(a, "--min-numel") && i + 1 < argc) min_numel = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--as") && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "bf16")) { fputs(k_usage, stderr); return 2; }
            as = WZ_AS_BF16;
        } else if (a[0] == '-') { fputs(k_usage, stderr); return 2; }
        else if (np < 64) paths[np++] = a;
    }
    if (!np) { fputs(k_usage, stderr); return 2; }
    double sum_ideal[NCFG] = {0}, sum_table[NCFG] = {0}, sum_esc[NCFG] = {0};
    uint64_t sum_n[NCFG] = {0}, max_sym[NCFG] = {0}, tensors = 0;
    wz_window_cost win[NWIN] = {{0}}, pair[NPAIR] = {{0}}; /* summed over the matrices (each its own window / pair table) */
    int rc = 0;
    for (int pi = 0; pi < np && !rc; pi++) {
        wz_model *m;
        wz_err e = wz_model_open(paths[pi], &m);
        if (e) { rc = wz_report(NULL, e); break; }
        for (size_t ti = 0; ti < wz_model_count(m) && !rc; ti++) {
            const wz_tensor *t = wz_model_tensor(m, ti);
            if (t->numel < min_numel || t->ndim < 2) continue;
            wz_codec_input in;
            void *buf;
            if (wz_load_codec_input(t, as, &in, &buf) != WZ_OK) continue;
            if (in.dtype == WZ_DT_BF16 && in.cols >= 4) {
                tensors++;
                for (size_t c = 0; c < NCFG && !rc; c++) {
                    wz_group_cost g;
                    e = wz_group_code_cost(in.data, in.rows, in.cols, k_cfg[c][0], k_cfg[c][1], k_cfg[c][2], &g);
                    if (e) {
                        char ctx[512];
                        snprintf(ctx, sizeof ctx, "%s: tensor '%s'", paths[pi], t->name);
                        rc = wz_report(ctx, e);
                        break;
                    }
                    sum_n[c] += g.weights;
                    sum_ideal[c] += g.ideal_bits * (double)g.weights;
                    sum_table[c] += g.table_bits * (double)g.weights;
                    sum_esc[c] += g.escape_rate * (double)g.weights;
                    if (g.symbols > max_sym[c]) max_sym[c] = g.symbols;
                }
                for (size_t c = 0; c < NWIN && !rc; c++) {
                    wz_window_cost wc;
                    e = wz_window_code_cost(in.data, in.rows, in.cols, k_wbits[c], &wc);
                    if (e) { rc = wz_report(paths[pi], e); break; }
                    add_cost(&win[c], &wc);
                }
                for (size_t c = 0; c < NPAIR && !rc; c++) {
                    wz_window_cost wc;
                    e = wz_pair_code_cost(in.data, in.rows, in.cols, k_pbits[c], &wc);
                    if (e) { rc = wz_report(paths[pi], e); break; }
                    add_cost(&pair[c], &wc);
                }
            }
            free(buf);
        }
        wz_model_close(m);
    }
    if (rc) return rc;
    if (!tensors) { fprintf(stderr, "wzip groups: no bf16 matrices (use --as bf16 for fp32)\n"); return 1; }
    printf("%llu bf16 matrices\nexps/symbol code-bits slots   bits/weight (ideal)  bits/weight (table)  escapes/weight  max symbols\n", (unsigned long long)tensors);
    json_t *jr = json_array();
    for (size_t c = 0; c < NCFG; c++) {
        double n = (double)sum_n[c];
        printf("%11d %9d 2^%-4d %19.4f %20.4f %15.5f %12llu\n", k_cfg[c][0], k_cfg[c][1], k_cfg[c][2], sum_ideal[c] / n, sum_table[c] / n, sum_esc[c] / n,
               (unsigned long long)max_sym[c]);
        json_array_append_new(jr, json_pack("{s:i, s:i, s:i, s:I, s:f, s:f, s:f, s:I, s:I}", "exponents_per_symbol", k_cfg[c][0], "code_bits", k_cfg[c][1],
                                            "prob_bits", k_cfg[c][2], "weights", (json_int_t)sum_n[c], "ideal_bits", sum_ideal[c] / n, "table_bits",
                                            sum_table[c] / n, "escape_rate", sum_esc[c] / n, "max_symbols", (json_int_t)max_sym[c],
                                            "table_bytes", (json_int_t)((uint64_t)4 << k_cfg[c][2])));
    }
    printf("\nfixed-length exponent codes (4 bits: bitmap4), 32x32 blocks, lanes in the MMA order\ncode-bits window  bits/weight  escapes/weight  blocks with an escape  lanes with an escape\n");
    json_t *jw = json_array();
    for (size_t c = 0; c < NWIN; c++) json_array_append_new(jw, cost_row(&win[c], k_wbits[c], 0));
    printf("\nfixed-length pair codes (the 2^b - 1 most frequent exponent pairs of adjacent columns), 32x32 blocks, MMA order\n"
           "code-bits  bits/weight  escapes/weight  blocks with an escape  lanes with an escape\n");
    json_t *jp = json_array();
    for (size_t c = 0; c < NPAIR; c++) json_array_append_new(jp, cost_row(&pair[c], k_pbits[c], 1));
    if (json_path) {
        json_t *root = json_pack("{s:o, s:o, s:o, s:I, s:o}", "configs", jr, "windows", jw, "pairs", jp, "matrices", (json_int_t)tensors,
                                 "provenance", wz_provenance(paths[0], NULL));
        return wz_write_json(root, json_path);
    }
    json_decref(jr);
    json_decref(jw);
    json_decref(jp);
    return 0;
}
