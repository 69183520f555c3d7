/* rans.h — 32-lane interleaved rANS, the entropy coder of tile-ans.
 *
 * State x in [L, L<<16) with L = 2^16, 32-bit; renormalisation moves one
 * 16-bit word at a time (DietGPU's choice: with prob_bits <= 12 a decode step
 * needs at most one word, so a warp's refill is one ballot + popc). 32 lanes
 * share one word stream: at each step every lane decodes one symbol, then the
 * lanes that fell below L read the next words in lane order. Symbol e of a
 * stream belongs to lane e % 32, step e / 32.
 *
 * The encoder starts every lane at x = L, so a correct decode ends with every
 * lane back at L and every word consumed: the decoder checks both, which
 * catches almost any corruption at no cost. A caller may instead start the
 * lanes at L + v, v < 2^16 ("bits back": 16 bits of its own data ride in the
 * state instead of costing 16 stored bits), and gets v back at the end.
 *
 * Precision: up to 2^15 slots on the CPU (cum must fit 16 bits; L = 2^16 must
 * stay a multiple of 2^b). The GPU's packed 32-bit table entry, sym (8) |
 * freq (12) | slot-cum (12), holds b <= 12 (a 4096-slot table is 16 KB of
 * shared memory). freq < 2^b, so a lone symbol gets 2^b - 1 slots and a
 * phantom symbol 1 (cost 0.0004 bit at b = 12). */
#ifndef WZ_RANS_H
#define WZ_RANS_H
#include <stddef.h>
#include <stdint.h>
#include "common/error.h"

#define WZ_RANS_LANES 32
#define WZ_RANS_L (1u << 16)
#define WZ_RANS_MIN_BITS 8
#define WZ_RANS_MAX_BITS 15     /* CPU codecs */
#define WZ_RANS_GPU_MAX_BITS 12 /* packed 32-bit table (GPU kernels) */

typedef struct {
    int prob_bits;
    uint16_t freq[256];
    uint16_t cum[257];
} wz_rans_table;

/* Quantise counts to frequencies summing to 2^prob_bits, every present
 * symbol >= 1, minimising sum c log2(p/q) greedily (exact for the
 * marginal-gain criterion, which is convex per symbol). */
wz_err wz_rans_normalize(const uint64_t counts[256], int prob_bits, uint16_t freq[256]);
/* The same for an alphabet of nsym symbols and prob_bits up to 16 (the
 * analysis of multi-exponent symbols, analysis/group_codes.c). */
wz_err wz_rans_normalize_n(const uint64_t *counts, uint32_t nsym, int prob_bits, uint16_t *freq);
wz_err wz_rans_table_init(wz_rans_table *t, const uint16_t freq[256], int prob_bits);
/* GPU decode table: (1 << prob_bits) packed 32-bit entries; prob_bits <= 12. */
void wz_rans_dtable_build(const wz_rans_table *t, uint32_t *dtable);
/* CPU decode table: (1 << prob_bits) entries sym | freq << 16 | slot-cum << 32. */
void wz_rans_dtable64_build(const wz_rans_table *t, uint64_t *dtable);
#define WZ_RANS_DSYM(e) ((e) & 0xffu)
#define WZ_RANS_DFREQ(e) (((e) >> 8) & 0xfffu)
#define WZ_RANS_DBIAS(e) ((e) >> 20)

/* Encode steps*32 symbols with `ilp` states per lane (1 or 2): step j of
 * lane l uses state (j % ilp) * 32 + l, so a lane's consecutive steps sit
 * on independent chains (the GPU overlaps them, kernels/NOTES.md v27); the
 * word stream is the same single LIFO in (step, lane) order. Writes at most
 * steps*32 words to `words`, returns the count in *nwords and the final
 * (= decoder initial) states, 32*ilp of them. carry: NULL, or 32*ilp 16-bit
 * values the states start from (x = L + carry). */
wz_err wz_rans32_encode(const wz_rans_table *t, const uint8_t *sym, uint32_t steps, int ilp, uint16_t *words, size_t *nwords,
                        uint32_t *states, const uint16_t *carry);
/* Decode; fails with WZ_ERR_CORRUPT if a read passes nwords, a state leaves
 * its range, or the stream does not end with all words used and every state
 * at L (carry NULL) or in [L, 2L) (carry: receives each state's x - L). */
wz_err wz_rans32_decode(const uint64_t *dtable, int prob_bits, const uint16_t *words, size_t nwords,
                        const uint32_t *states, int ilp, uint32_t steps, uint8_t *sym, uint16_t *carry);
#define WZ_RANS_MAX_ILP 2
/* Ideal code length of the symbols under the table, in bits. */
double wz_rans_cost_bits(const wz_rans_table *t, const uint64_t counts[256]);
#endif
