/* cmd_serve.c — `wzip serve`: the serving capacity/throughput model
 * (analysis/serving.c) for one model, budget, sequence length and codec. */
#include "analysis/analysis.h"
#include "datasets/datasets.h"
#include "harness/harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *k_serve_usage =
    "usage: wzip serve --model NAME [--gpus N] [--mem-gb G] [--mem-fraction F] [--reserve-gb R] [--seq L]\n"
    "                  [--bits B] [--kv-heads H] [--gpu-json results/gpu-bench.json --path cublas|tile_ans|bitmap|bitmap4]\n"
    "                  [--bandwidth GBPS] [--json FILE|-]\n";

int wz_cmd_serve(int argc, char **argv)
{
    const char *model = NULL, *gpu_json = NULL, *path = "cublas", *json_out = NULL;
    wz_serving_opts o;
    wz_serving_defaults(&o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) { fputs(k_serve_usage, stderr); return 2; }
        if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--gpus")) o.gpus = atoi(v);
        else if (!strcmp(a, "--mem-gb")) o.mem_gb = atof(v);
        else if (!strcmp(a, "--mem-fraction")) o.mem_fraction = atof(v);
        else if (!strcmp(a, "--reserve-gb")) o.reserve_gb = atof(v);
        else if (!strcmp(a, "--seq")) o.seq = atoi(v);
        else if (!strcmp(a, "--bits")) o.bits = atof(v);
        else if (!strcmp(a, "--kv-heads")) o.kv_heads_override = atoi(v);
        else if (!strcmp(a, "--bandwidth")) o.bandwidth_gbps = atof(v);
        else if (!strcmp(a, "--gpu-json")) gpu_json = v;
        else if (!strcmp(a, "--path")) path = v;
        else if (!strcmp(a, "--json")) json_out = v;
        else { fputs(k_serve_usage, stderr); return 2; }
        i++;
    }
    if (!model) { fputs(k_serve_usage, stderr); return 2; }
    wz_model_shape ms;
    wz_err e = wz_model_shape_find(NULL, model, &ms);
    if (e) return wz_report(NULL, e);
    wz_serving_model m = {ms.layers, ms.hidden, ms.intermediate, ms.heads, ms.kv_heads, ms.head_dim, ms.experts, ms.tied, ms.vocab};
    double lm[32], lu[32];
    json_t *gj = NULL;
    if (gpu_json) {
        json_error_t je;
        gj = json_load_file(gpu_json, 0, &je);
        json_t *layer = gj ? json_object_get(gj, "layer") : NULL;
        if (!json_is_array(layer)) { fprintf(stderr, "wzip serve: %s: no 'layer' table\n", gpu_json); json_decref(gj); return 1; }
        char key[64];
        snprintf(key, sizeof key, "%s_us", path);
        size_t i;
        json_t *row;
        json_array_foreach(layer, i, row) {
            if (o.n_lat >= 32) break;
            json_t *t = json_object_get(row, key);
            if (!json_is_number(t)) { fprintf(stderr, "wzip serve: %s: no '%s' in the layer table\n", gpu_json, key); json_decref(gj); return 1; }
            lm[o.n_lat] = (double)json_integer_value(json_object_get(row, "M"));
            lu[o.n_lat++] = json_number_value(t);
        }
        o.lat_m = lm; o.lat_us = lu;
        /* The table is one Qwen2.5-14B layer's linear ops. */
        wz_model_shape q;
        if (wz_model_shape_find(NULL, "qwen2.5-14b", &q) == WZ_OK) {
            wz_serving_model qm = {q.layers, q.hidden, q.intermediate, q.heads, q.kv_heads, q.head_dim, q.experts, q.tied, q.vocab};
            o.ref_layer_params = wz_layer_linear_params(&qm);
        }
    }
    wz_serving_result r;
    e = wz_serving_eval(&m, &o, &r);
    if (e) { json_decref(gj); return wz_report(NULL, e); }
    json_t *out = json_pack("{s:s, s:i, s:f, s:f, s:f, s:i, s:f, s:i, s:f, s:f, s:f, s:f, s:i, s:f, s:f, s:s}", "model", model, "gpus", o.gpus, "mem_gb", o.mem_gb,
                            "mem_fraction", o.mem_fraction, "reserve_gb", o.reserve_gb, "seq", o.seq, "bits", o.bits, "kv_heads",
                            o.kv_heads_override > 0 ? o.kv_heads_override : ms.kv_heads, "params", r.params, "weight_gb", r.weight_gb,
                            "kv_gb_per_seq", r.kv_gb_per_seq, "kv_pool_gb", r.kv_pool_gb, "max_batch", r.max_batch, "step_ms", r.step_ms,
                            "tokens_per_s", r.tokens_per_s, "latency_path", gpu_json ? path : "none");
    if (gj) json_object_set_new(out, "latency_source", json_string(gpu_json));
    json_decref(gj);
    int rc = 0;
    if (json_out && !strcmp(json_out, "-")) { json_dumpf(out, stdout, JSON_COMPACT); printf("\n"); }
    else {
        printf("%s on %d x %.0f GiB, seq %d, %.2f bits/weight: %.2f B params, weights %.1f GiB, KV %.3f GiB/seq (kv heads %d), KV pool %.1f GiB, max batch %d",
               model, o.gpus, o.mem_gb, o.seq, o.bits, r.params / 1e9, r.weight_gb, r.kv_gb_per_seq, o.kv_heads_override > 0 ? o.kv_heads_override : ms.kv_heads,
               r.kv_pool_gb, r.max_batch);
        if (r.step_ms > 0) printf(", decode step %.1f ms, %.0f tok/s (%s)", r.step_ms, r.tokens_per_s, path);
        printf("\n");
        if (json_out) rc = wz_write_json(out, json_out);
    }
    json_decref(out);
    return rc;
}
