/* entropy.c — histograms and Shannon entropy.
 *
 * Speed: the 16-bit histogram is the hot loop of `wzip scan`. Each thread
 * counts its slice into two interleaved uint32 sub-histograms (even/odd
 * elements) so that runs of equal values — common in weights — do not
 * serialise on one store-to-load dependency; 2 x 256 KB stays in L2. Slices
 * are capped at 2^31 elements so uint32 counters cannot overflow. Small
 * inputs stay single-threaded: zeroing per-thread tables would cost more than
 * the count. */
#include "analysis/analysis.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define PAR_MIN (1u << 20)          /* below this, one thread */
#define SLICE_MAX ((uint64_t)1 << 31)

static void count16(const uint16_t *x, uint64_t n, uint32_t *a, uint32_t *b)
{
    uint64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        a[x[i]]++; b[x[i + 1]]++;
        a[x[i + 2]]++; b[x[i + 3]]++;
    }
    for (; i < n; i++) a[x[i]]++;
}

void wz_hist16(const uint16_t *x, uint64_t n, uint64_t *h)
{
    memset(h, 0, 65536 * sizeof *h);
    int nt = n < PAR_MIN ? 1 : omp_get_max_threads();
    #pragma omp parallel num_threads(nt)
    {
        uint32_t *a = calloc(2 * 65536, sizeof *a), *b = a ? a + 65536 : NULL;
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        uint64_t lo = n * (uint64_t)t / (uint64_t)T, hi = n * (uint64_t)(t + 1) / (uint64_t)T;
        if (a) {
            for (uint64_t s = lo; s < hi; s += SLICE_MAX) {
                uint64_t e = hi - s < SLICE_MAX ? hi : s + SLICE_MAX;
                count16(x + s, e - s, a, b);
                #pragma omp critical(wz_hist16_merge)
                for (int k = 0; k < 65536; k++) h[k] += (uint64_t)a[k] + b[k];
                memset(a, 0, 2 * 65536 * sizeof *a);
            }
            free(a);
        } else { /* out of memory: count directly, slowly, still correct */
            #pragma omp critical(wz_hist16_merge)
            for (uint64_t s = lo; s < hi; s++) h[x[s]]++;
        }
    }
}

void wz_hist8(const uint8_t *x, uint64_t n, uint64_t *h)
{
    memset(h, 0, 256 * sizeof *h);
    int nt = n < PAR_MIN ? 1 : omp_get_max_threads();
    #pragma omp parallel num_threads(nt)
    {
        uint64_t a[256] = {0}, b[256] = {0};
        #pragma omp for schedule(static) nowait
        for (int64_t i = 0; i < (int64_t)n / 2; i++) { a[x[2 * i]]++; b[x[2 * i + 1]]++; }
        #pragma omp critical(wz_hist8_merge)
        for (int k = 0; k < 256; k++) h[k] += a[k] + b[k];
    }
    if (n & 1) h[x[n - 1]]++;
}

double wz_entropy_of_counts(const uint64_t *h, uint64_t nbins)
{
    /* H = log2 N - (1/N) sum c log2 c: one log per nonzero bin. */
    uint64_t N = 0;
    double s = 0;
    for (uint64_t k = 0; k < nbins; k++) {
        if (!h[k]) continue;
        N += h[k];
        s += (double)h[k] * log2((double)h[k]);
    }
    if (!N) return 0;
    double H = log2((double)N) - s / (double)N;
    return H < 0 ? 0 : H;
}

static void radix_sort_u64(uint64_t *x, uint64_t *tmp, uint64_t n, int bytes)
{
    for (int pass = 0; pass < bytes; pass++) {
        uint64_t cnt[257] = {0};
        int sh = 8 * pass;
        for (uint64_t i = 0; i < n; i++) cnt[((x[i] >> sh) & 255) + 1]++;
        for (int k = 0; k < 256; k++) cnt[k + 1] += cnt[k];
        for (uint64_t i = 0; i < n; i++) tmp[cnt[(x[i] >> sh) & 255]++] = x[i];
        memcpy(x, tmp, n * sizeof *x);
    }
}

wz_err wz_entropy_of_u64(const uint64_t *x, uint64_t n, double *bits, uint64_t *distinct)
{
    *bits = 0; *distinct = 0;
    if (!n) return WZ_OK;
    if (n > SIZE_MAX / 16) return wz_fail(WZ_ERR_NOMEM, "tensor too large to sort");
    uint64_t *a = malloc(n * sizeof *a), *t = malloc(n * sizeof *t);
    if (!a || !t) { free(a); free(t); return wz_fail(WZ_ERR_NOMEM, "out of memory sorting %llu symbols", (unsigned long long)n); }
    memcpy(a, x, n * sizeof *a);
    uint64_t all = 0;
    for (uint64_t i = 0; i < n; i++) all |= a[i];
    int bytes = 0;
    while (bytes < 8 && (all >> (8 * bytes))) bytes++;
    radix_sort_u64(a, t, n, bytes);
    double s = 0;
    uint64_t d = 0;
    for (uint64_t i = 0; i < n;) {
        uint64_t j = i;
        while (j < n && a[j] == a[i]) j++;
        s += (double)(j - i) * log2((double)(j - i));
        d++;
        i = j;
    }
    free(a); free(t);
    double H = log2((double)n) - s / (double)n;
    *bits = H < 0 ? 0 : H;
    *distinct = d;
    return WZ_OK;
}
