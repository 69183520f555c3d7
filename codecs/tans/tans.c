/* tans.c — FSE-style tANS. Spread step (L/2 + L/8 + 3) is odd and so
 * coprime with L = 2^log: it visits every cell once and scatters each
 * symbol's cells across the table (zstd's choice). The encoder walks the
 * symbols backwards and records (bits, count) pairs, then emits them in
 * reverse so the decoder reads one forward stream. Every lane starts the
 * encoder at state L, so a valid stream decodes back to state L exactly. */
#include "codecs/tans/tans.h"
#include "codecs/common/bitio.h"
#include <stdlib.h>
#include <string.h>

static int spread(const uint16_t freq[256], int log, uint8_t *table)
{
    uint32_t L = 1u << log, mask = L - 1, step = (L >> 1) + (L >> 3) + 3, pos = 0, sum = 0;
    for (int s = 0; s < 256; s++) sum += freq[s];
    if (sum != L) return -1;
    for (int s = 0; s < 256; s++)
        for (uint32_t i = 0; i < freq[s]; i++) { table[pos] = (uint8_t)s; pos = (pos + step) & mask; }
    return 0;
}

static int hibit(uint32_t x) { return 31 - __builtin_clz(x); }

wz_err wz_tans_dtable(const uint16_t freq[256], int log, wz_tans_cell *dt)
{
    if (log < WZ_TANS_MIN_LOG || log > WZ_TANS_MAX_LOG) return wz_fail(WZ_ERR_CORRUPT, "tANS: table log %d outside [9,12]", log);
    uint8_t table[1 << WZ_TANS_MAX_LOG];
    if (spread(freq, log, table)) return wz_fail(WZ_ERR_CORRUPT, "tANS: frequencies do not sum to 2^%d", log);
    uint32_t next[256], L = 1u << log;
    for (int s = 0; s < 256; s++) next[s] = freq[s];
    for (uint32_t u = 0; u < L; u++) {
        uint8_t s = table[u];
        uint32_t x = next[s]++;
        int nb = log - hibit(x);
        dt[u] = (wz_tans_cell){(uint16_t)((x << nb) - L), s, (uint8_t)nb};
    }
    return WZ_OK;
}

wz_err wz_tans_encode(const uint16_t freq[256], int log, const uint8_t *sym, uint64_t n, uint8_t *dst, size_t cap, uint64_t *bits)
{
    if (log < WZ_TANS_MIN_LOG || log > WZ_TANS_MAX_LOG) return wz_fail(WZ_ERR_ARG, "tANS: table log %d", log);
    uint32_t L = 1u << log;
    uint8_t table[1 << WZ_TANS_MAX_LOG];
    if (spread(freq, log, table)) return wz_fail(WZ_ERR_ARG, "tANS: frequencies do not sum to 2^%d", log);
    /* Encoding table: state_table[cum[s] + k] = L + (k-th cell of s). */
    uint16_t st[1 << WZ_TANS_MAX_LOG];
    uint32_t cum[257] = {0}, fill[256];
    for (int s = 0; s < 256; s++) cum[s + 1] = cum[s] + freq[s];
    memcpy(fill, cum, sizeof fill);
    for (uint32_t u = 0; u < L; u++) st[fill[table[u]]++] = (uint16_t)(L + u);
    typedef struct { uint16_t v; uint8_t nb; } out_t;
    out_t *o = malloc((n + WZ_TANS_STATES) * sizeof *o);
    if (!o) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    uint32_t x[WZ_TANS_STATES];
    for (int l = 0; l < WZ_TANS_STATES; l++) x[l] = L;
    uint64_t k = 0;
    for (uint64_t i = n; i-- > 0;) {
        uint8_t s = sym[i];
        uint32_t f = freq[s], *xs = &x[i % WZ_TANS_STATES];
        if (!f) { free(o); return wz_fail(WZ_ERR_ARG, "tANS: symbol %u has zero frequency", s); }
        /* Emit the low bits that bring x into [f, 2f), then move to the cell. */
        int nb = hibit(*xs) - hibit(f); /* the unique nb with x >> nb in [f, 2f) */
        if ((*xs >> nb) >= 2 * f) nb++;
        else if ((*xs >> nb) < f) nb--;
        o[k++] = (out_t){(uint16_t)(*xs & ((1u << nb) - 1)), (uint8_t)nb};
        *xs = st[cum[s] + (*xs >> nb) - f];
    }
    for (int l = WZ_TANS_STATES - 1; l >= 0; l--) o[k++] = (out_t){(uint16_t)(x[l] - L), (uint8_t)log};
    wz_bitw w;
    wz_bitw_init(&w, dst, cap);
    while (k-- > 0) wz_bitw_put(&w, o[k].v, o[k].nb);
    *bits = wz_bitw_bits(&w, dst);
    wz_bitw_finish(&w, dst);
    free(o);
    if (w.overflow) return wz_fail(WZ_ERR_DST_SIZE, "tANS: output buffer too small");
    return WZ_OK;
}

wz_err wz_tans_decode(const wz_tans_cell *dt, int log, const uint8_t *src, size_t len, uint64_t bits, uint8_t *sym, uint64_t n)
{
    if (bits > 8 * (uint64_t)len) return wz_fail(WZ_ERR_CORRUPT, "tANS: stream of %llu bits in %zu bytes", (unsigned long long)bits, len);
    wz_bitr r;
    wz_bitr_init(&r, src, len);
    uint32_t x[WZ_TANS_STATES], L = 1u << log;
    for (int l = 0; l < WZ_TANS_STATES; l++) x[l] = wz_bitr_get(&r, log);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t *xs = &x[i % WZ_TANS_STATES];
        wz_tans_cell c = dt[*xs];
        sym[i] = c.sym;
        *xs = c.new_state + (c.nbits ? wz_bitr_get(&r, c.nbits) : 0);
    }
    if (wz_bitr_overrun(&r, src) || wz_bitr_pos(&r, src) != bits) return wz_fail(WZ_ERR_CORRUPT, "tANS: stream length mismatch");
    for (int l = 0; l < WZ_TANS_STATES; l++)
        if (x[l] != 0) return wz_fail(WZ_ERR_CORRUPT, "tANS: state %d ends at %u, not L", l, x[l] + L);
    return WZ_OK;
}
