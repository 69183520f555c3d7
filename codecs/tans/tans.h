/* tans.h — table ANS (FSE-style): normalised counts, spread, decode cells
 * {newState, symbol, nbBits}, several interleaved states.
 *
 * Table log 9-12: 12 is the largest whose decode table (4096 x 4 B) stays in
 * L1 and the GPU's shared memory budget; 9 the smallest that still gives
 * every exponent of a bf16 weight matrix a slot without large table loss. */
#ifndef WZ_TANS_H
#define WZ_TANS_H
#include <stddef.h>
#include <stdint.h>
#include "common/error.h"

#define WZ_TANS_MIN_LOG 9
#define WZ_TANS_MAX_LOG 12
#define WZ_TANS_STATES 4 /* interleaved: 4 independent state chains per stream */

typedef struct { uint16_t new_state; uint8_t sym, nbits; } wz_tans_cell;

/* Decode table from normalised frequencies (sum 2^log). */
wz_err wz_tans_dtable(const uint16_t freq[256], int log, wz_tans_cell *dt);
/* Encode n symbols; writes an MSB-first bit stream (initial states first).
 * Returns its length in bits. `cap` bytes available. */
wz_err wz_tans_encode(const uint16_t freq[256], int log, const uint8_t *sym, uint64_t n, uint8_t *dst, size_t cap, uint64_t *bits);
wz_err wz_tans_decode(const wz_tans_cell *dt, int log, const uint8_t *src, size_t len, uint64_t bits, uint8_t *sym, uint64_t n);
#endif
