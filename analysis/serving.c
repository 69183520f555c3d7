/* serving.c — serving capacity and decode throughput from model shape,
 * memory budget, bits/weight and measured linear-op times.
 *
 * Assumptions (each a parameter, defaults in wz_serving_defaults):
 *  - sizes in GiB (2^30 bytes), as the paper's Table II (27.5 "GB" = 14.77 B
 *    bf16 params); weights: params x bits/8 bytes, spread evenly over the GPUs (expert
 *    parallel for MoE: experts split across GPUs, attention replicated is
 *    ignored — weights divide by the GPU count);
 *  - KV cache per token = 2 (K,V) x layers x kv_heads x head_dim x 2 bytes
 *    (bf16). `kv_heads_override` recomputes it with another head count: the
 *    paper's Table II KV sizes match 2 x layers x *attention* heads x 128 x 2 B
 *    (no GQA), which is how we reproduce its batch sizes;
 *  - "seq L" = L tokens of KV per sequence (prompt + generated);
 *  - usable memory = GPUs x mem_gb x mem_fraction - reserve_gb per GPU
 *    (activations, CUDA context, runtime); KV pool = usable - weights;
 *  - max batch = floor(KV pool / KV per sequence);
 *  - decode step = layers x linear_us(batch) x (layer params / reference
 *    layer params) + KV bytes read / bandwidth + lm_head bytes / bandwidth;
 *    tokens/s = batch / step. linear_us is interpolated log-log in the
 *    measured table (one Qwen2.5-14B layer, results/gpu-bench.json). */
#include "analysis/analysis.h"
#include <math.h>
#include <string.h>

void wz_serving_defaults(wz_serving_opts *o)
{
    memset(o, 0, sizeof *o);
    o->gpus = 1;
    o->mem_gb = 80;
    o->mem_fraction = 0.9;  /* SGLang's mem_fraction_static default */
    o->reserve_gb = 0;
    o->seq = 1024;
    o->bits = 16;
    o->bandwidth_gbps = 2000; /* A100-80GB class; set from a measurement where known */
}

double wz_model_params(const wz_serving_model *m)
{
    double h = m->hidden, I = m->intermediate, q = (double)m->heads * m->head_dim, kv = (double)m->kv_heads * m->head_dim;
    double attn = h * q + 2 * h * kv + q * h;
    double mlp = (m->experts ? m->experts : 1) * 3 * h * I + (m->experts ? m->experts * h : 0);
    double per_layer = attn + mlp + 2 * h;
    double emb = (double)m->vocab * h * (m->tied ? 1 : 2);
    return m->layers * per_layer + emb + h;
}

double wz_layer_linear_params(const wz_serving_model *m)
{
    double h = m->hidden, I = m->intermediate, q = (double)m->heads * m->head_dim, kv = (double)m->kv_heads * m->head_dim;
    return h * q + 2 * h * kv + q * h + (m->experts ? m->experts : 1) * 3 * h * I;
}

double wz_kv_bytes_per_token(const wz_serving_model *m, int kv_heads_override)
{
    int kvh = kv_heads_override > 0 ? kv_heads_override : m->kv_heads;
    return 2.0 * m->layers * kvh * m->head_dim * 2.0;
}

static double interp_loglog(const double *x, const double *y, int n, double v)
{
    if (n <= 0) return NAN;
    if (v <= x[0]) return y[0];
    for (int i = 1; i < n; i++)
        if (v <= x[i]) {
            double t = (log(v) - log(x[i - 1])) / (log(x[i]) - log(x[i - 1]));
            return exp(log(y[i - 1]) + t * (log(y[i]) - log(y[i - 1])));
        }
    return y[n - 1] * v / x[n - 1]; /* beyond the table: linear in tokens (compute-bound) */
}

wz_err wz_serving_eval(const wz_serving_model *m, const wz_serving_opts *o, wz_serving_result *r)
{
    memset(r, 0, sizeof *r);
    if (o->gpus < 1 || o->mem_gb <= 0 || o->seq <= 0 || o->bits <= 0 || o->mem_fraction <= 0 || o->mem_fraction > 1)
        return wz_fail(WZ_ERR_ARG, "serving: gpus, memory, sequence length and bits must be positive");
    r->params = wz_model_params(m);
    const double GiB = 1073741824.0;
    r->weight_gb = r->params * o->bits / 8 / GiB;
    r->kv_gb_per_seq = wz_kv_bytes_per_token(m, o->kv_heads_override) * o->seq / GiB;
    double usable = o->gpus * (o->mem_gb * o->mem_fraction - o->reserve_gb);
    r->kv_pool_gb = usable - r->weight_gb;
    if (r->kv_pool_gb <= 0) { r->max_batch = 0; return WZ_OK; }
    r->max_batch = (int)floor(r->kv_pool_gb / r->kv_gb_per_seq);
    if (o->n_lat > 0 && r->max_batch > 0) {
        double B = r->max_batch;
        double scale = wz_layer_linear_params(m) / (o->ref_layer_params > 0 ? o->ref_layer_params : wz_layer_linear_params(m)) / o->gpus;
        double lin_us = interp_loglog(o->lat_m, o->lat_us, o->n_lat, B) * scale * m->layers;
        /* Each step reads the KV of every running sequence (half full on average). */
        double kv_us = B * r->kv_gb_per_seq * 0.5 * GiB / (o->bandwidth_gbps * 1e9) * 1e6 / o->gpus;
        double head_us = (double)m->vocab * m->hidden * 2 / (o->bandwidth_gbps * 1e9) * 1e6;
        r->step_ms = (lin_us + kv_us + head_us) / 1e3;
        r->tokens_per_s = B / (r->step_ms / 1e3);
    }
    return WZ_OK;
}
