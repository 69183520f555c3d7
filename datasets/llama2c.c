/* llama2c.c — Karpathy's llama2.c legacy checkpoint (version 0).
 *
 * 7 x int32 header (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
 * vocab_size, seq_len; negative vocab = separate classifier), then fp32
 * tensors in a fixed order. Layer-stacked tensors are split into one tensor
 * per layer and matrix, because entropy is measured per weight matrix. */
#include "datasets/reader.h"
#include <stdio.h>
#include <string.h>

/* Bounds that no real llama2.c model exceeds; they keep products in range. */
#define L2C_MAX_DIM (1 << 20)
#define L2C_MAX_LAYERS 4096

wz_err wz_llama2c_parse(wz_model *m, int fi)
{
    const wz_file *f = &m->files[fi];
    int32_t h[7];
    if (f->size < sizeof h) return wz_fail(WZ_ERR_FORMAT, "llama2.c header needs 28 bytes, file has %zu", f->size);
    memcpy(h, f->base, sizeof h);
    int64_t dim = h[0], hid = h[1], nl = h[2], nh = h[3], nkv = h[4], voc = h[5], seq = h[6];
    int shared = voc > 0;
    if (voc < 0) voc = -voc;
    if (dim <= 0 || hid <= 0 || nl <= 0 || nh <= 0 || nkv <= 0 || voc <= 0 || seq <= 0 || dim > L2C_MAX_DIM || hid > L2C_MAX_DIM ||
        nl > L2C_MAX_LAYERS || voc > L2C_MAX_DIM || seq > L2C_MAX_DIM || nh > dim || nkv > nh || dim % nh || nh % nkv)
        return wz_fail(WZ_ERR_FORMAT, "llama2.c header implausible (dim %lld hidden %lld layers %lld heads %lld kv %lld vocab %lld seq %lld)",
                       (long long)dim, (long long)hid, (long long)nl, (long long)nh, (long long)nkv, (long long)voc, (long long)seq);
    int64_t hs = dim / nh, kvd = dim * nkv / nh;
    struct { const char *fmt; int per_layer; int64_t r, c; } order[] = {
        {"tok_embeddings.weight", 0, voc, dim},
        {"layers.%d.attention_norm.weight", 1, 1, dim},
        {"layers.%d.attention.wq.weight", 1, dim, dim},
        {"layers.%d.attention.wk.weight", 1, kvd, dim},
        {"layers.%d.attention.wv.weight", 1, kvd, dim},
        {"layers.%d.attention.wo.weight", 1, dim, dim},
        {"layers.%d.ffn_norm.weight", 1, 1, dim},
        {"layers.%d.feed_forward.w1.weight", 1, hid, dim},
        {"layers.%d.feed_forward.w2.weight", 1, dim, hid},
        {"layers.%d.feed_forward.w3.weight", 1, hid, dim},
        {"norm.weight", 0, 1, dim},
        {"freq_cis_real", 0, seq, hs / 2},
        {"freq_cis_imag", 0, seq, hs / 2},
        {"output.weight", 0, voc, dim},
    };
    int n = (int)(sizeof order / sizeof *order) - (shared ? 1 : 0);
    uint64_t off = sizeof h;
    for (int k = 0; k < n; k++) {
        /* Stacked tensors are stored [layer][rows][cols]. */
        for (int64_t l = 0; l < (order[k].per_layer ? nl : 1); l++) {
            wz_tensor t = {0};
            t.dtype = WZ_DT_F32;
            t.ndim = order[k].r == 1 ? 1 : 2;
            t.shape[0] = order[k].r == 1 ? order[k].c : order[k].r;
            t.shape[1] = order[k].c;
            t.numel = (uint64_t)order[k].r * (uint64_t)order[k].c;
            t.nbytes = t.numel * 4;
            if (off > f->size || t.nbytes > f->size - off)
                return wz_fail(WZ_ERR_FORMAT, "llama2.c file truncated: %s needs bytes [%llu, %llu), file has %zu", order[k].fmt,
                               (unsigned long long)off, (unsigned long long)(off + t.nbytes), f->size);
            t.file_index = fi;
            t.file_offset = off;
            t.data = f->base + off;
            char name[128];
            snprintf(name, sizeof name, order[k].fmt, (int)l);
            WZ_TRY(wz_model_push(m, &t, name, strlen(name)));
            off += t.nbytes;
        }
    }
    if (off != f->size)
        return wz_fail(WZ_ERR_FORMAT, "llama2.c file has %zu bytes, header implies %llu", f->size, (unsigned long long)off);
    return WZ_OK;
}
