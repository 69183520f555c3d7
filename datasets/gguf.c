/* gguf.c — GGUF v2/v3 reader.
 *
 * Header: "GGUF", u32 version, u64 n_tensors, u64 n_kv; then n_kv key/value
 * pairs (string key, u32 type, value), then n_tensors infos (string name,
 * u32 n_dims, u64 dims[n_dims] with dims[0] fastest, u32 ggml type, u64
 * offset), then padding to general.alignment (default 32), then data.
 * Counts are checked against the bytes that remain before anything is
 * allocated, so a bogus count fails fast. Unsupported ggml types are listed
 * (wz_model_skipped) and skipped. Supported: F32 F16 BF16 F64 I8-I64, Q8_0,
 * Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q6_K. */
#include "datasets/reader.h"
#include <stdio.h>
#include <string.h>

typedef struct { const uint8_t *p; size_t n, pos; } cur;

static int rd(cur *c, void *dst, size_t k)
{
    if (k > c->n - c->pos) return -1;
    memcpy(dst, c->p + c->pos, k);
    c->pos += k;
    return 0;
}
static int skip(cur *c, uint64_t k)
{
    if (k > c->n - c->pos) return -1;
    c->pos += (size_t)k;
    return 0;
}
#define NEED(x) do { if ((x) != 0) return wz_fail(WZ_ERR_FORMAT, "GGUF truncated at byte %zu", c->pos); } while (0)

static wz_err rd_str(cur *c, const char **s, uint64_t *len)
{
    NEED(rd(c, len, 8));
    if (*len > c->n - c->pos) return wz_fail(WZ_ERR_FORMAT, "GGUF string length %llu past end of file", (unsigned long long)*len);
    *s = (const char *)c->p + c->pos;
    c->pos += (size_t)*len;
    return WZ_OK;
}

/* Size of a scalar GGUF value type, 0 for string/array, -1 unknown. */
static int scalar_size(uint32_t t)
{
    static const int sz[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return t < 13 ? sz[t] : -1;
}

static wz_err skip_value(cur *c, uint32_t type, int depth, uint32_t *u32_out)
{
    if (depth > 4) return wz_fail(WZ_ERR_FORMAT, "GGUF arrays nested too deep");
    int s = scalar_size(type);
    if (s < 0) return wz_fail(WZ_ERR_FORMAT, "GGUF value type %u unknown", type);
    if (s > 0) {
        if (u32_out && type == 4) { NEED(rd(c, u32_out, 4)); return WZ_OK; }
        NEED(skip(c, (uint64_t)s));
        return WZ_OK;
    }
    if (type == 8) { const char *x; uint64_t l; return rd_str(c, &x, &l); }
    uint32_t et; uint64_t n;
    NEED(rd(c, &et, 4));
    NEED(rd(c, &n, 8));
    int es = scalar_size(et);
    if (es < 0) return wz_fail(WZ_ERR_FORMAT, "GGUF array element type %u unknown", et);
    if (es > 0) {
        if (n > (c->n - c->pos) / (uint64_t)es) return wz_fail(WZ_ERR_FORMAT, "GGUF array of %llu elements past end of file", (unsigned long long)n);
        NEED(skip(c, n * (uint64_t)es));
        return WZ_OK;
    }
    /* Each string/array element takes at least 8 bytes. */
    if (n > (c->n - c->pos) / 8) return wz_fail(WZ_ERR_FORMAT, "GGUF array count %llu is bogus", (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++) WZ_TRY(skip_value(c, et, depth + 1, NULL));
    return WZ_OK;
}

/* ggml type id -> our dtype; -1 for types we list and skip. */
static int map_type(uint32_t t, const char **name)
{
    static const char *names[] = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K",
                                  "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
                                  "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16"};
    *name = t < sizeof names / sizeof *names ? names[t] : "unknown";
    switch (t) {
    case 0: return WZ_DT_F32; case 1: return WZ_DT_F16; case 2: return WZ_DT_Q4_0; case 3: return WZ_DT_Q4_1;
    case 6: return WZ_DT_Q5_0; case 7: return WZ_DT_Q5_1; case 8: return WZ_DT_Q8_0; case 12: return WZ_DT_Q4_K; case 14: return WZ_DT_Q6_K;
    case 24: return WZ_DT_I8; case 25: return WZ_DT_I16; case 26: return WZ_DT_I32; case 27: return WZ_DT_I64;
    case 28: return WZ_DT_F64; case 30: return WZ_DT_BF16;
    default: return -1;
    }
}

wz_err wz_gguf_parse(wz_model *m, int fi)
{
    cur c0 = {m->files[fi].base, m->files[fi].size, 0}, *c = &c0;
    char magic[4]; uint32_t ver; uint64_t nt, nkv;
    NEED(rd(c, magic, 4));
    if (memcmp(magic, "GGUF", 4) != 0) return wz_fail(WZ_ERR_FORMAT, "not a GGUF file (bad magic)");
    NEED(rd(c, &ver, 4));
    if (ver != 2 && ver != 3) return wz_fail(WZ_ERR_UNSUPPORTED, "GGUF version %u (need 2 or 3)", ver);
    NEED(rd(c, &nt, 8));
    NEED(rd(c, &nkv, 8));
    /* A kv takes >= 13 bytes, a tensor info >= 24: reject impossible counts. */
    if (nkv > c->n / 13 || nt > c->n / 24) return wz_fail(WZ_ERR_FORMAT, "GGUF counts bogus (%llu tensors, %llu kv) for a %zu-byte file",
                                                           (unsigned long long)nt, (unsigned long long)nkv, c->n);
    uint32_t align = 32;
    for (uint64_t i = 0; i < nkv; i++) {
        const char *k; uint64_t kl; uint32_t type;
        WZ_TRY(rd_str(c, &k, &kl));
        NEED(rd(c, &type, 4));
        int is_align = kl == 17 && memcmp(k, "general.alignment", 17) == 0 && type == 4;
        uint32_t v = 0;
        WZ_TRY(skip_value(c, type, 0, is_align ? &v : NULL));
        if (is_align) {
            if (v == 0 || (v & (v - 1)) || v > 65536) return wz_fail(WZ_ERR_FORMAT, "GGUF general.alignment %u invalid", v);
            align = v;
        }
    }
    size_t first = m->count;
    for (uint64_t i = 0; i < nt; i++) {
        const char *nm; uint64_t nl; uint32_t nd, type; uint64_t off;
        WZ_TRY(rd_str(c, &nm, &nl));
        if (nl > 4096) return wz_fail(WZ_ERR_FORMAT, "GGUF tensor name of %llu bytes", (unsigned long long)nl);
        NEED(rd(c, &nd, 4));
        if (nd == 0 || nd > 4) return wz_fail(WZ_ERR_FORMAT, "GGUF tensor '%.*s': %u dims", (int)nl, nm, nd);
        wz_tensor t = {0};
        t.ndim = (int)nd;
        for (uint32_t d = 0; d < nd; d++) {
            uint64_t v;
            NEED(rd(c, &v, 8));
            if (v > (uint64_t)INT64_MAX) return wz_fail(WZ_ERR_FORMAT, "GGUF tensor '%.*s': huge dim", (int)nl, nm);
            t.shape[nd - 1 - d] = (int64_t)v; /* GGUF lists fastest first */
        }
        NEED(rd(c, &type, 4));
        NEED(rd(c, &off, 8));
        wz_err err = wz_shape_numel(t.shape, t.ndim, &t.numel);
        if (err) { wz_err_prefix("GGUF tensor '%.*s'", (int)nl, nm); return err; }
        const char *tn;
        int dt = map_type(type, &tn);
        if (dt < 0) {
            char line[4200];
            snprintf(line, sizeof line, "%.*s (%s): type not supported, skipped", (int)nl, nm, tn);
            WZ_TRY(wz_model_skip(m, line));
            continue;
        }
        t.dtype = (wz_dtype)dt;
        int ok;
        t.nbytes = wz_dtype_bytes(t.dtype, t.numel, &ok);
        if (!ok) return wz_fail(WZ_ERR_FORMAT, "GGUF tensor '%.*s': %llu elements not a whole number of %s blocks", (int)nl, nm,
                                (unsigned long long)t.numel, tn);
        if (off % align) return wz_fail(WZ_ERR_FORMAT, "GGUF tensor '%.*s': offset %llu not aligned to %u", (int)nl, nm, (unsigned long long)off, align);
        t.file_offset = off; /* relative for now */
        t.file_index = fi;
        WZ_TRY(wz_model_push(m, &t, nm, (size_t)nl));
    }
    uint64_t data = ((uint64_t)c->pos + align - 1) / align * align;
    if (data > c->n) return wz_fail(WZ_ERR_FORMAT, "GGUF data section starts past end of file");
    uint64_t dlen = c->n - data;
    for (size_t i = first; i < m->count; i++) {
        wz_tensor *t = &m->tensors[i];
        if (t->file_offset > dlen || t->nbytes > dlen - t->file_offset)
            return wz_fail(WZ_ERR_FORMAT, "GGUF tensor '%s': data [%llu, +%llu) past end of file (truncated?)", t->name,
                           (unsigned long long)t->file_offset, (unsigned long long)t->nbytes);
        t->file_offset += data;
        t->data = m->files[fi].base + t->file_offset;
    }
    return WZ_OK;
}
