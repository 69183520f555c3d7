/* testutil.h — shared helpers for the cmocka test programs. */
#ifndef WZ_TESTUTIL_H
#define WZ_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "codecs/codecs.h"

/* bf16 rows x cols encoded by codec c in element order `order` into a
 * malloc'd blob (*len bytes); an encoder error fails the test. */
static inline uint8_t *encode_bf16(const wz_codec *c, int order, const uint16_t *w, uint64_t rows, uint64_t cols, size_t *len)
{
    wz_codec_params p;
    wz_codec_params_default(&p);
    p.order = order;
    wz_codec_input in = {WZ_DT_BF16, rows, cols, w};
    uint8_t *blob = malloc(c->bound(&p, &in));
    if (c->encode(&p, &in, blob, c->bound(&p, &in), len, NULL)) fail_msg("%s encode: %s", c->name, wz_err_detail());
    return blob;
}

/* Path of a file in ../shared/datasets/real, or NULL (test then skips). */
static inline const char *real_path(const char *name)
{
    static char buf[4][1024];
    static int k;
    const char *root = getenv("WZ_SHARED") ? getenv("WZ_SHARED") : "../shared";
    char *b = buf[k++ & 3];
    snprintf(b, sizeof buf[0], "%s/datasets/real/%s", root, name);
    return access(b, R_OK) == 0 ? b : NULL;
}
#define REAL_OR_SKIP(var, name) const char *var = real_path(name); if (!var) { print_message("skip: %s absent\n", name); skip(); }

/* Write bytes to a fresh temp file; returns its path (static buffer ring). */
static inline const char *tmp_file(const void *data, size_t n, const char *suffix)
{
    static char buf[8][256];
    static int k;
    char *p = buf[k++ & 7];
    snprintf(p, sizeof buf[0], "/tmp/wztest_%d_%d%s", (int)getpid(), k, suffix);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    return p;
}

/* Build a safetensors image: header JSON + data. Caller frees. */
static inline uint8_t *make_safetensors(const char *json, const void *data, size_t dlen, size_t *out_len)
{
    uint64_t n = strlen(json);
    uint8_t *b = malloc(8 + n + dlen + 1);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(n >> (8 * i));
    memcpy(b + 8, json, n);
    if (dlen) memcpy(b + 8 + n, data, dlen);
    *out_len = 8 + n + dlen;
    return b;
}

/* xorshift64* for deterministic test data. */
static inline uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12; *s ^= *s << 25; *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}
static inline double rng_gauss(uint64_t *s)
{
    double u = ((rng_next(s) >> 11) + 0.5) / 9007199254740992.0, v = ((rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    return __builtin_sqrt(-2 * __builtin_log(u)) * __builtin_cos(6.283185307179586 * v);
}
#endif
