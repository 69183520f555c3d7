/* bitio.h — MSB-first bit streams shared by the Huffman and tANS coders.
 *
 * Writer: a 64-bit accumulator flushed a byte at a time, codes appended
 * most-significant bit first (canonical Huffman codes then compare as
 * integers, so a decode table is indexed by the next `maxbits` bits).
 * Reader: a 64-bit window refilled bytewise; reading past the end yields
 * zero bits, counted so wz_bitr_overrun() tells; every decoder checks before it
 * trusts its output — hostile input can never make it read out of bounds. */
#ifndef WZ_BITIO_H
#define WZ_BITIO_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct { uint8_t *p, *end; uint64_t acc; int n; int overflow; } wz_bitw;
typedef struct { const uint8_t *p, *end; uint64_t win; int n; uint64_t phantom; } wz_bitr;

static inline void wz_bitw_init(wz_bitw *w, uint8_t *dst, size_t cap) { w->p = dst; w->end = dst + cap; w->acc = 0; w->n = 0; w->overflow = 0; }
/* Append the low `nb` (<= 32) bits of v. */
static inline void wz_bitw_put(wz_bitw *w, uint32_t v, int nb)
{
    w->acc = (w->acc << nb) | (v & (nb == 32 ? 0xffffffffu : ((1u << nb) - 1)));
    w->n += nb;
    while (w->n >= 8) {
        w->n -= 8;
        if (w->p < w->end) *w->p++ = (uint8_t)(w->acc >> w->n);
        else w->overflow = 1;
    }
}
/* Pad to a byte boundary with zeros; returns bytes written. */
static inline size_t wz_bitw_finish(wz_bitw *w, uint8_t *start)
{
    if (w->n) wz_bitw_put(w, 0, 8 - w->n);
    return (size_t)(w->p - start);
}
static inline uint64_t wz_bitw_bits(const wz_bitw *w, const uint8_t *start) { return 8 * (uint64_t)(w->p - start) + (uint64_t)w->n; }

static inline void wz_bitr_init(wz_bitr *r, const uint8_t *src, size_t len) { r->p = src; r->end = src + len; r->win = 0; r->n = 0; r->phantom = 0; }
static inline void wz_bitr_fill(wz_bitr *r)
{
    if (r->end - r->p >= 8) {
        /* Fast path: one 8-byte big-endian load. The bits below the n + 8k
         * we claim are the stream's next bits too, so a later refill ORs
         * identical values over them. */
        uint64_t v;
        memcpy(&v, r->p, 8);
        v = __builtin_bswap64(v);
        int k = (64 - r->n) >> 3;
        r->win |= v >> r->n;
        r->n += 8 * k;
        r->p += k;
        return;
    }
    while (r->n <= 56) {
        uint64_t b = 0;
        if (r->p < r->end) b = *r->p++;
        else r->phantom++; /* zeros beyond the end: counted, never read */
        r->win |= b << (56 - r->n);
        r->n += 8;
    }
}
/* Next `nb` (1..32) bits without consuming them. */
static inline uint32_t wz_bitr_peek(wz_bitr *r, int nb) { if (r->n < nb) wz_bitr_fill(r); return (uint32_t)(r->win >> (64 - nb)); }
static inline void wz_bitr_skip(wz_bitr *r, int nb) { r->win <<= nb; r->n -= nb; }
static inline uint32_t wz_bitr_get(wz_bitr *r, int nb) { uint32_t v = wz_bitr_peek(r, nb); wz_bitr_skip(r, nb); return v; }
/* Bits consumed so far (phantom zeros past the end included). */
static inline uint64_t wz_bitr_pos(const wz_bitr *r, const uint8_t *start) { return 8 * ((uint64_t)(r->p - start) + r->phantom) - (uint64_t)r->n; }
/* Did the decoder consume bits past the end of the buffer? */
static inline int wz_bitr_overrun(const wz_bitr *r, const uint8_t *start) { return wz_bitr_pos(r, start) > 8 * (uint64_t)(r->end - start); }
#endif
