/* huffman.h — canonical, length-limited Huffman codes over bytes.
 *
 * Lengths are limited to WZ_HUF_MAX_BITS (12) so decoding is a single lookup
 * in a 4096-entry table {symbol, length} (8 KB: fits L1 and GPU shared
 * memory), the choice of zstd's Huff0 and the reason DFloat11 needs 4 table
 * levels (it allows 32-bit codes) and we do not. Length limiting costs
 * <0.001 bit/symbol on weight exponents (their longest natural codes ~14-18
 * bits belong to symbols with p < 2^-14). */
#ifndef WZ_HUFFMAN_H
#define WZ_HUFFMAN_H
#include <stdint.h>
#include "common/error.h"
#include "codecs/common/bitio.h"

#define WZ_HUF_MAX_BITS 12

typedef struct {
    uint8_t len[256];   /* 0 = absent */
    uint16_t code[256]; /* canonical, MSB-first */
} wz_huf_code;

/* Optimal lengths, then limited to maxbits (<= 12) by repairing the Kraft
 * sum at least cost. At least one symbol must have a nonzero count. */
wz_err wz_huf_build(const uint64_t counts[256], int maxbits, wz_huf_code *c);
/* Canonical codes from lengths; fails if lengths violate Kraft. */
wz_err wz_huf_assign(wz_huf_code *c);
/* Decode table: dt[i] = symbol | len << 8 for every 12-bit prefix i. */
void wz_huf_dtable(const wz_huf_code *c, uint16_t dt[1 << WZ_HUF_MAX_BITS]);
/* Multi-symbol decode table (Huff0's "X2" idea taken to 4 symbols): for
 * every 12-bit prefix, the up-to-4 whole codes it holds. Entry: symbols in
 * bytes 0-3, count in byte 4, bits consumed in byte 5, byte 6 = 1 for a
 * prefix no code starts (then count 1 and 12 bits, so a decoder always
 * advances and reports corruption at the end). 32 KB. */
#define WZ_HUF_MS_SYMS(e) ((uint32_t)(e))
#define WZ_HUF_MS_CNT(e) ((unsigned)((e) >> 32) & 0xffu)
#define WZ_HUF_MS_BITS(e) ((unsigned)((e) >> 40) & 0xffu)
#define WZ_HUF_MS_BAD(e) ((unsigned)((e) >> 48) & 0xffu)
void wz_huf_dtable_multi(const wz_huf_code *c, uint64_t dt[1 << WZ_HUF_MAX_BITS]);
/* Bits of the payload under this code. */
double wz_huf_cost_bits(const wz_huf_code *c, const uint64_t counts[256]);
#endif
