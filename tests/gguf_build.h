/* gguf_build.h — write small GGUF images in tests. */
#ifndef WZ_GGUF_BUILD_H
#define WZ_GGUF_BUILD_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
typedef struct { uint8_t *b; size_t n, cap; } gbuf;
static inline void gput(gbuf *g, const void *p, size_t k)
{
    if (g->n + k > g->cap) { g->cap = (g->n + k) * 2 + 64; g->b = realloc(g->b, g->cap); }
    memcpy(g->b + g->n, p, k); g->n += k;
}
static inline void gu32(gbuf *g, uint32_t v) { gput(g, &v, 4); }
static inline void gu64(gbuf *g, uint64_t v) { gput(g, &v, 8); }
static inline void gstr(gbuf *g, const char *s) { gu64(g, strlen(s)); gput(g, s, strlen(s)); }
static inline void galign(gbuf *g, size_t a) { uint8_t z = 0; while (g->n % a) gput(g, &z, 1); }
#endif
