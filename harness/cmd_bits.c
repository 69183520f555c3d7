/* cmd_bits.c — `wzip bits PATH --codec NAME|all [--json FILE]`: compressed
 * size per codec, split into gap terms that add up to the measured size,
 * with every blob decoded and compared bit for bit. */
#include "analysis/analysis.h"
#include "codecs/codecs.h"
#include "harness/harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

wz_err wz_load_codec_input(const wz_tensor *t, wz_cast as, wz_codec_input *in, void **buf)
{
    *buf = NULL;
    uint64_t rows, cols;
    wz_tensor_matrix(t, &rows, &cols);
    in->rows = rows; in->cols = cols;
    if (t->dtype == WZ_DT_F32 && as != WZ_AS_NATIVE) {
        wz_dtype dt;
        WZ_TRY(wz_tensor_u16(t, as, (uint16_t **)buf, &dt));
        in->dtype = dt;
    } else if (wz_codec_elem_bytes(t->dtype) == 2 && t->packing == WZ_PACK_PLAIN) {
        wz_dtype dt;
        WZ_TRY(wz_tensor_u16(t, WZ_AS_NATIVE, (uint16_t **)buf, &dt));
        in->dtype = dt;
    } else if (wz_codec_elem_bytes(t->dtype) == 1) {
        *buf = malloc(t->numel ? t->numel : 1);
        if (!*buf) return wz_fail(WZ_ERR_NOMEM, "out of memory");
        wz_err e = wz_tensor_codes(t, *buf, NULL);
        if (e) { free(*buf); *buf = NULL; return e; }
        in->dtype = t->dtype;
    } else {
        return wz_fail(WZ_ERR_UNSUPPORTED, "dtype %s has no codec input (use --as bf16 for fp32)", wz_dtype_info_of(t->dtype)->name);
    }
    in->data = *buf;
    return WZ_OK;
}

int wz_parse_ta_layout(int argc, char **argv, int *i, wz_codec_params *cp)
{
    const char *a = argv[*i];
    if (strcmp(a, "--tile") && strcmp(a, "--lane-states") && strcmp(a, "--order")) return 0;
    if (*i + 1 >= argc) return -1;
    const char *v = argv[++*i];
    if (!strcmp(a, "--tile")) {
        if (sscanf(v, "%ux%u", &cp->tile_rows, &cp->tile_cols) != 2) return -1;
        cp->code_tile_rows = cp->tile_rows; /* the same tile for byte codes */
        cp->code_tile_cols = cp->tile_cols;
    } else if (!strcmp(a, "--lane-states")) {
        if (strcmp(v, "1") && strcmp(v, "2")) return -1;
        cp->lane_states = atoi(v);
    } else { /* tile-ans PAIR16 element order (codecs.h, v5) */
        if (strcmp(v, "rows") && strcmp(v, "mma")) return -1;
        cp->order = !strcmp(v, "mma") ? WZ_TA_ORDER_MMA : WZ_TA_ORDER_ROWS;
    }
    return 1;
}

typedef struct { wz_cost sum; double n; } acc_t;

static const char *k_bits_usage =
    "usage: wzip bits PATH... [--codec NAME|all] [--json FILE] [--as bf16|fp16] [--tile TxK] [--prob-bits B] [--ta-model pair16|split16] [--lane-states 1|2] [--order rows|mma]\n"
    "                 [--min-numel N] [--per-tensor]\n";

int wz_cmd_bits(int argc, char **argv)
{
    const char *json_path = NULL, *codec = "all", *paths[64];
    int np = 0, per_tensor = 0, lay;
    uint64_t min_numel = 4096; /* weight matrices, not norms and biases */
    wz_cast as = WZ_AS_NATIVE;
    wz_codec_params cp;
    wz_codec_params_default(&cp);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json") && i + 1 < argc) json_path = argv[++i];
        else if (!strcmp(a, "--codec") && i + 1 < argc) codec = argv[++i];
        else if (!strcmp(a, "--per-tensor")) per_tensor = 1;
        else if (!strcmp(a, "--min-numel") && i + 1 < argc) min_numel = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--prob-bits") && i + 1 < argc) cp.prob_bits = cp.code_prob_bits = atoi(argv[++i]);
        else if (!strcmp(a, "--ta-model") && i + 1 < argc) {
            const char *m = argv[++i];
            if (strcmp(m, "pair16") && strcmp(m, "split16")) { fputs(k_bits_usage, stderr); return 2; }
            cp.bf16_model = !strcmp(m, "split16") ? WZ_TA_MODEL_SPLIT16 : WZ_TA_MODEL_PAIR16;
        }
        else if ((lay = wz_parse_ta_layout(argc, argv, &i, &cp)) != 0) { if (lay < 0) { fputs(k_bits_usage, stderr); return 2; } }
        else if (!strcmp(a, "--as") && i + 1 < argc) {
            const char *v = argv[++i];
            as = !strcmp(v, "bf16") ? WZ_AS_BF16 : !strcmp(v, "fp16") ? WZ_AS_F16 : WZ_AS_NATIVE;
        } else if (a[0] == '-') { fputs(k_bits_usage, stderr); return 2; }
        else if (np < 64) paths[np++] = a;
    }
    if (!np) { fputs(k_bits_usage, stderr); return 2; }
    const wz_codec *list[32];
    size_t nc = 0;
    for (size_t i = 0; i < wz_codec_count(); i++)
        if (!strcmp(codec, "all") || !strcmp(codec, wz_codec_at(i)->name)) list[nc++] = wz_codec_at(i);
    if (!nc) { fprintf(stderr, "wzip bits: unknown codec '%s'\n", codec); return 2; }
    acc_t acc[32];
    memset(acc, 0, sizeof acc);
    json_t *jt = json_array();
    int rc = 0;
    for (int pi = 0; pi < np && !rc; pi++) {
        wz_model *m;
        wz_err e = wz_model_open(paths[pi], &m);
        if (e) { rc = wz_report(NULL, e); break; }
        wz_progress pg;
        wz_progress_start(&pg, "bits", wz_model_count(m));
        for (size_t ti = 0; ti < wz_model_count(m) && !rc; ti++) {
            const wz_tensor *t = wz_model_tensor(m, ti);
            wz_progress_step(&pg, 1, t->name);
            if (t->numel < min_numel || t->ndim < 2) continue; /* weight matrices only */
            wz_codec_input in;
            void *buf;
            if (wz_load_codec_input(t, as, &in, &buf) != WZ_OK) continue; /* not a codec dtype (e.g. I64) */
            json_t *jc = json_object();
            for (size_t c = 0; c < nc && !rc; c++) {
                if (!list[c]->supports(in.dtype)) continue;
                size_t cap = list[c]->bound(&cp, &in), len;
                uint8_t *blob = malloc(cap ? cap : 1);
                size_t ob = in.rows * in.cols * (size_t)wz_codec_elem_bytes(in.dtype);
                void *back = malloc(ob ? ob : 1);
                wz_cost cost;
                e = blob && back ? list[c]->encode(&cp, &in, blob, cap, &len, &cost) : wz_fail(WZ_ERR_NOMEM, "out of memory");
                if (!e) e = list[c]->decode(blob, len, back, ob);
                if (!e && memcmp(back, in.data, ob) != 0) e = wz_fail(WZ_ERR_CHECKSUM, "round trip is not bit-exact");
                free(blob); free(back);
                if (e) {
                    char ctx[1024];
                    snprintf(ctx, sizeof ctx, "%s: tensor '%s': codec %s", paths[pi], t->name, list[c]->name);
                    rc = wz_report(ctx, e);
                    break;
                }
                acc[c].sum.n += cost.n; acc[c].sum.model_bits += cost.model_bits; acc[c].sum.ideal_bits += cost.ideal_bits;
                acc[c].sum.payload_bits += cost.payload_bits; acc[c].sum.total_bits += cost.total_bits;
                acc[c].n += cost.h_full * (double)cost.n;
                wz_gap g = wz_cost_gap(&cost);
                json_object_set_new(jc, list[c]->name, json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:I}", "entropy", g.h_full, "model_loss", g.model,
                                                                 "table_loss", g.table, "coder_loss", g.coder, "framing", g.framing, "bits_per_weight",
                                                                 g.total, "bytes", (json_int_t)len));
                if (per_tensor) {
                    wz_progress_end(&pg);
                    printf("%-40.40s %-10s H=%7.4f total=%7.4f (+%.4f: model %+.4f table %+.4f coder %+.4f framing %+.4f)\n", t->name,
                           list[c]->name, g.h_full, g.total, g.total - g.h_full, g.model, g.table, g.coder, g.framing);
                }
            }
            json_array_append_new(jt, json_pack("{s:s, s:s, s:I, s:o}", "name", t->name, "dtype", wz_dtype_info_of(in.dtype)->name,
                                                "numel", (json_int_t)t->numel, "codecs", jc));
            free(buf);
        }
        wz_progress_end(&pg);
        wz_model_close(m);
    }
    if (rc) { json_decref(jt); return rc; }
    json_t *jm = json_object();
    printf("%-10s %10s %9s %9s %9s %9s %9s %9s %9s\n", "codec", "weights", "H(value)", "bits/w", "gap", "model", "table", "coder", "framing");
    for (size_t c = 0; c < nc; c++) {
        if (!acc[c].sum.n) continue;
        wz_cost s = acc[c].sum;
        s.h_full = acc[c].n / (double)s.n;
        wz_gap g = wz_cost_gap(&s);
        printf("%-10s %10llu %9.4f %9.4f %+9.4f %+9.4f %+9.4f %+9.4f %+9.4f\n", list[c]->name, (unsigned long long)s.n, g.h_full, g.total,
               g.total - g.h_full, g.model, g.table, g.coder, g.framing);
        json_object_set_new(jm, list[c]->name, json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "weights", (json_int_t)s.n, "entropy", g.h_full,
                                                         "bits_per_weight", g.total, "gap", g.total - g.h_full, "model_loss", g.model,
                                                         "table_loss", g.table, "coder_loss", g.coder, "framing", g.framing));
    }
    if (json_path) {
        json_t *params = json_pack("{s:i, s:i, s:i, s:[i,i], s:[i,i], s:s, s:s, s:I}", "prob_bits", cp.prob_bits, "code_prob_bits", cp.code_prob_bits,
                                   "lane_states", cp.lane_states, "tile",
                                   cp.tile_rows, cp.tile_cols, "code_tile", cp.code_tile_rows, cp.code_tile_cols, "ta_model",
                                   cp.bf16_model == WZ_TA_MODEL_SPLIT16 ? "split16" : "pair16", "as",
                                   as == WZ_AS_BF16 ? "bf16" : as == WZ_AS_F16 ? "fp16" : "native", "min_numel", (json_int_t)min_numel);
        json_object_set_new(params, "order", json_string(cp.order == WZ_TA_ORDER_MMA ? "mma" : "rows"));
        json_t *root = json_pack("{s:o, s:o, s:o, s:o}", "model", jm, "params", params, "tensors", jt, "provenance", wz_provenance(paths[0], NULL));
        rc = wz_write_json(root, json_path);
        json_decref(root);
    } else {
        json_decref(jt);
        json_decref(jm);
    }
    return rc;
}
