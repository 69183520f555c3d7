/* models.c — model shapes from datasets/models.tsv, and each model's tensor
 * list in Hugging Face naming (Llama/Qwen/Mistral layout; Mixtral experts as
 * block_sparse_moe.experts.E.w1/w2/w3). Head dim is the table's. */
#include "datasets/datasets.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

wz_err wz_model_shape_find(const char *path, const char *name, wz_model_shape *out)
{
    if (!path) path = getenv("WZ_MODELS") ? getenv("WZ_MODELS") : "datasets/models.tsv";
    FILE *f = fopen(path, "r");
    if (!f) return wz_fail(WZ_ERR_IO, "%s: cannot open the model shape table", path);
    char line[512];
    wz_err err = wz_fail(WZ_ERR_ARG, "model '%s' not in %s", name, path);
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        wz_model_shape m = {0};
        if (sscanf(line, "%63s %d %d %d %d %d %d %ld %d %d %d", m.name, &m.layers, &m.hidden, &m.intermediate, &m.heads, &m.kv_heads, &m.head_dim,
                   &m.vocab, &m.experts, &m.tied, &m.qkv_bias) != 11)
            continue;
        if (!strcmp(m.name, name)) { *out = m; err = WZ_OK; break; }
    }
    fclose(f);
    return err;
}

void wz_model_tensors(const wz_model_shape *m, int l0, int l1, int ends, wz_shape_fn fn, void *ctx)
{
    char n[256];
    int64_t h = m->hidden, I = m->intermediate, q = (int64_t)m->heads * m->head_dim, kv = (int64_t)m->kv_heads * m->head_dim;
    if (ends) { int64_t s[2] = {m->vocab, h}; fn(ctx, "model.embed_tokens.weight", 2, s, 0); }
    for (int l = l0; l < l1 && l < m->layers; l++) {
        struct { const char *p; int64_t r, c; } at[] = {{"self_attn.q_proj", q, h}, {"self_attn.k_proj", kv, h}, {"self_attn.v_proj", kv, h}, {"self_attn.o_proj", h, q}};
        for (int k = 0; k < 4; k++) {
            int64_t s[2] = {at[k].r, at[k].c};
            snprintf(n, sizeof n, "model.layers.%d.%s.weight", l, at[k].p);
            fn(ctx, n, 2, s, 0);
            if (m->qkv_bias && k < 3) { snprintf(n, sizeof n, "model.layers.%d.%s.bias", l, at[k].p); fn(ctx, n, 1, s, 2); }
        }
        if (m->experts) {
            int64_t g[2] = {m->experts, h};
            snprintf(n, sizeof n, "model.layers.%d.block_sparse_moe.gate.weight", l);
            fn(ctx, n, 2, g, 0);
            for (int e = 0; e < m->experts; e++) {
                int64_t a[2] = {I, h}, b[2] = {h, I};
                snprintf(n, sizeof n, "model.layers.%d.block_sparse_moe.experts.%d.w1.weight", l, e); fn(ctx, n, 2, a, 0);
                snprintf(n, sizeof n, "model.layers.%d.block_sparse_moe.experts.%d.w2.weight", l, e); fn(ctx, n, 2, b, 0);
                snprintf(n, sizeof n, "model.layers.%d.block_sparse_moe.experts.%d.w3.weight", l, e); fn(ctx, n, 2, a, 0);
            }
        } else {
            int64_t a[2] = {I, h}, b[2] = {h, I};
            snprintf(n, sizeof n, "model.layers.%d.mlp.gate_proj.weight", l); fn(ctx, n, 2, a, 0);
            snprintf(n, sizeof n, "model.layers.%d.mlp.up_proj.weight", l); fn(ctx, n, 2, a, 0);
            snprintf(n, sizeof n, "model.layers.%d.mlp.down_proj.weight", l); fn(ctx, n, 2, b, 0);
        }
        int64_t v[1] = {h};
        snprintf(n, sizeof n, "model.layers.%d.input_layernorm.weight", l); fn(ctx, n, 1, v, 1);
        snprintf(n, sizeof n, "model.layers.%d.post_attention_layernorm.weight", l); fn(ctx, n, 1, v, 1);
    }
    if (ends) {
        int64_t v[1] = {h};
        fn(ctx, "model.norm.weight", 1, v, 1);
        if (!m->tied) { int64_t s[2] = {m->vocab, h}; fn(ctx, "lm_head.weight", 2, s, 0); }
    }
}
