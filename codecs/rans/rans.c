/* rans.c — normalisation, tables, and the 32-lane encoder/decoder (CPU
 * reference; kernels/ decodes the same bytes). */
#include "codecs/rans/rans.h"
#include <math.h>
#include <string.h>

wz_err wz_rans_normalize_n(const uint64_t *counts, uint32_t nsym, int prob_bits, uint16_t *freq)
{
    if (prob_bits < WZ_RANS_MIN_BITS || prob_bits > 16) return wz_fail(WZ_ERR_ARG, "prob_bits %d outside [%d,16]", prob_bits, WZ_RANS_MIN_BITS);
    if (nsym < 2) return wz_fail(WZ_ERR_ARG, "an alphabet of %u symbols", nsym);
    const uint32_t M = 1u << prob_bits;
    uint64_t N = 0;
    uint32_t present = 0, last = 0;
    for (uint32_t s = 0; s < nsym; s++) if (counts[s]) { N += counts[s]; present++; last = s; }
    memset(freq, 0, nsym * sizeof *freq);
    if (!present) return WZ_OK;
    if (present == 1) { /* lone symbol: M-1 slots + a phantom neighbour so freq fits prob_bits */
        freq[last] = (uint16_t)(M - 1);
        freq[(last + 1) % nsym] = 1;
        return WZ_OK;
    }
    if (present > M) return wz_fail(WZ_ERR_ARG, "%u symbols do not fit 2^%d slots", present, prob_bits);
    uint32_t sum = 0;
    for (uint32_t s = 0; s < nsym; s++) {
        if (!counts[s]) continue;
        uint64_t q = (uint64_t)((double)counts[s] * M / (double)N);
        freq[s] = (uint16_t)(q < 1 ? 1 : q > M - 1 ? M - 1 : q);
        sum += freq[s];
    }
    /* Greedy: add a slot where it saves the most bits, or take one where it
     * costs the least, until the sum is exactly M. */
    while (sum < M) {
        int64_t best = -1; double g = -1;
        for (uint32_t s = 0; s < nsym; s++) {
            if (!counts[s] || freq[s] >= M - 1) continue;
            double d = (double)counts[s] * log2((freq[s] + 1.0) / freq[s]);
            if (d > g) { g = d; best = s; }
        }
        freq[best]++; sum++;
    }
    while (sum > M) {
        int64_t best = -1; double g = INFINITY;
        for (uint32_t s = 0; s < nsym; s++) {
            if (freq[s] <= 1) continue;
            double d = (double)counts[s] * log2((double)freq[s] / (freq[s] - 1.0));
            if (d < g) { g = d; best = s; }
        }
        if (best < 0) return wz_fail(WZ_ERR_ARG, "%u symbols do not fit 2^%d slots", present, prob_bits);
        freq[best]--; sum--;
    }
    return WZ_OK;
}

wz_err wz_rans_normalize(const uint64_t counts[256], int prob_bits, uint16_t freq[256])
{
    if (prob_bits > WZ_RANS_MAX_BITS) return wz_fail(WZ_ERR_ARG, "prob_bits %d outside [%d,%d]", prob_bits, WZ_RANS_MIN_BITS, WZ_RANS_MAX_BITS);
    return wz_rans_normalize_n(counts, 256, prob_bits, freq);
}

wz_err wz_rans_table_init(wz_rans_table *t, const uint16_t freq[256], int prob_bits)
{
    if (prob_bits < WZ_RANS_MIN_BITS || prob_bits > WZ_RANS_MAX_BITS) return wz_fail(WZ_ERR_CORRUPT, "rANS prob_bits %d invalid", prob_bits);
    t->prob_bits = prob_bits;
    uint32_t c = 0;
    for (int s = 0; s < 256; s++) {
        if (freq[s] >= (1u << prob_bits)) return wz_fail(WZ_ERR_CORRUPT, "rANS frequency %u too large", freq[s]);
        t->freq[s] = freq[s];
        t->cum[s] = (uint16_t)c;
        c += freq[s];
    }
    t->cum[256] = (uint16_t)c;
    if (c != (1u << prob_bits)) return wz_fail(WZ_ERR_CORRUPT, "rANS frequencies sum to %u, not %u", c, 1u << prob_bits);
    return WZ_OK;
}

void wz_rans_dtable64_build(const wz_rans_table *t, uint64_t *dt)
{
    for (int s = 0; s < 256; s++)
        for (uint32_t k = 0; k < t->freq[s]; k++)
            dt[t->cum[s] + k] = (uint64_t)s | (uint64_t)t->freq[s] << 16 | (uint64_t)k << 32;
}

void wz_rans_dtable_build(const wz_rans_table *t, uint32_t *dt)
{
    if (t->prob_bits > WZ_RANS_GPU_MAX_BITS) return; /* callers check; the packed fields hold 12 bits */
    for (int s = 0; s < 256; s++)
        for (uint32_t k = 0; k < t->freq[s]; k++)
            dt[t->cum[s] + k] = (uint32_t)s | (uint32_t)t->freq[s] << 8 | k << 20;
}

wz_err wz_rans32_encode(const wz_rans_table *t, const uint8_t *sym, uint32_t steps, int ilp, uint16_t *words, size_t *nwords,
                        uint32_t *states, const uint16_t *carry)
{
    const int b = t->prob_bits;
    if (ilp < 1 || ilp > WZ_RANS_MAX_ILP) return wz_fail(WZ_ERR_ARG, "rANS: %d states per lane (1..%d)", ilp, WZ_RANS_MAX_ILP);
    uint32_t x[WZ_RANS_LANES * WZ_RANS_MAX_ILP];
    const int ns = WZ_RANS_LANES * ilp;
    for (int l = 0; l < ns; l++) x[l] = WZ_RANS_L + (carry ? carry[l] : 0);
    size_t n = 0; /* words written, in reverse order */
    for (int64_t j = (int64_t)steps - 1; j >= 0; j--) {
        uint32_t *xs = x + (j % ilp) * WZ_RANS_LANES;
        for (int l = WZ_RANS_LANES - 1; l >= 0; l--) {
            uint8_t s = sym[(size_t)j * WZ_RANS_LANES + (size_t)l];
            uint32_t f = t->freq[s];
            if (!f) return wz_fail(WZ_ERR_ARG, "symbol %u has zero frequency", s);
            if (xs[l] >= (f << (32 - b))) { words[n++] = (uint16_t)xs[l]; xs[l] >>= 16; }
            xs[l] = ((xs[l] / f) << b) + xs[l] % f + t->cum[s];
        }
    }
    for (size_t i = 0; i < n / 2; i++) { uint16_t w = words[i]; words[i] = words[n - 1 - i]; words[n - 1 - i] = w; }
    memcpy(states, x, sizeof *x * (size_t)ns);
    *nwords = n;
    return WZ_OK;
}

wz_err wz_rans32_decode(const uint64_t *dt, int b, const uint16_t *words, size_t nwords, const uint32_t *states, int ilp,
                        uint32_t steps, uint8_t *sym, uint16_t *carry)
{
    if (ilp < 1 || ilp > WZ_RANS_MAX_ILP) return wz_fail(WZ_ERR_CORRUPT, "rANS: %d states per lane (1..%d)", ilp, WZ_RANS_MAX_ILP);
    uint32_t x[WZ_RANS_LANES * WZ_RANS_MAX_ILP];
    const int ns = WZ_RANS_LANES * ilp;
    const uint32_t mask = (1u << b) - 1;
    for (int l = 0; l < ns; l++) {
        x[l] = states[l];
        if (x[l] < WZ_RANS_L) return wz_fail(WZ_ERR_CORRUPT, "rANS initial state %u below 2^16", x[l]);
    }
    size_t p = 0;
    for (uint32_t j = 0; j < steps; j++) {
        uint8_t *out = sym + (size_t)j * WZ_RANS_LANES;
        uint32_t *xs = x + (j % ilp) * WZ_RANS_LANES;
        if (nwords - p >= WZ_RANS_LANES) {
            /* A step reads at most one word per lane: with 32 words left the
             * bound holds for the whole step, so the lanes run branch-free
             * (Huff0's "prove the bound once, then run unchecked"). */
            for (int l = 0; l < WZ_RANS_LANES; l++) {
                uint64_t e = dt[xs[l] & mask];
                out[l] = (uint8_t)e;
                uint32_t y = (uint32_t)((e >> 16) & 0xffff) * (xs[l] >> b) + (uint32_t)(e >> 32);
                uint32_t need = y < WZ_RANS_L;
                uint32_t w = words[p];
                xs[l] = need ? (y << 16 | w) : y;
                p += need;
            }
            continue;
        }
        for (int l = 0; l < WZ_RANS_LANES; l++) {
            uint64_t e = dt[xs[l] & mask];
            out[l] = (uint8_t)e;
            xs[l] = (uint32_t)((e >> 16) & 0xffff) * (xs[l] >> b) + (uint32_t)(e >> 32);
            if (xs[l] < WZ_RANS_L) {
                if (p >= nwords) return wz_fail(WZ_ERR_CORRUPT, "rANS stream overrun at step %u", j);
                xs[l] = xs[l] << 16 | words[p++];
            }
        }
    }
    for (int l = 0; l < ns; l++) {
        if (carry ? (x[l] >> 16) != 1 : x[l] != WZ_RANS_L) return wz_fail(WZ_ERR_CORRUPT, "rANS state %d ends at %u, not 2^16%s", l, x[l], carry ? " + 16 bits" : "");
        if (carry) carry[l] = (uint16_t)x[l];
    }
    if (p != nwords) return wz_fail(WZ_ERR_CORRUPT, "rANS stream has %zu unread words", nwords - p);
    return WZ_OK;
}

double wz_rans_cost_bits(const wz_rans_table *t, const uint64_t counts[256])
{
    double bits = 0;
    for (int s = 0; s < 256; s++)
        if (counts[s]) bits += (double)counts[s] * (t->prob_bits - log2((double)t->freq[s]));
    return bits;
}
