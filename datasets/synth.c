/* synth.c — model-shaped synthetic weights.
 *
 * Distribution (one documented recipe, parameters chosen so bf16 statistics
 * land where real LLMs do, paper-facts.md §4: full-value entropy ~10.6 bits,
 * exponent ~2.6 bits, top-7 exponents > 95% of weights):
 *   w[r][c] = s_r * o_c * z,  z ~ N(0, 1)
 *   s_r = sigma * exp(0.25 * g_r),  g_r ~ N(0,1)   per-output-row scale variation
 *   sigma = 0.02 (typical init std of these models' linear layers)
 *   o_c = 6 for 0.5% of input columns (outlier channels), else 1
 * Norm weights are ~1 + 0.05 N(0,1); biases 0.02 N(0,1).
 * Every value is a pure function of (seed, tensor name, index): a tensor is
 * the same whether generated alone or with the whole model, which is what
 * lets a 405B-shaped model be generated a few layers at a time. */
#include "datasets/datasets.h"
#include <math.h>
#include <string.h>

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL; x ^= x >> 33;
    return x;
}
static double unif(uint64_t k) { return ((mix64(k) >> 11) + 0.5) / 9007199254740992.0; }
static double gauss(uint64_t k) { return sqrt(-2 * log(unif(2 * k))) * cos(6.283185307179586 * unif(2 * k + 1)); }

uint64_t wz_synth_seed(uint64_t seed, const char *name)
{
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (const char *p = name; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    return mix64(h);
}

void wz_synth_matrix_bf16(uint16_t *w, uint64_t rows, uint64_t cols, uint64_t seed)
{
    #pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < (int64_t)rows; r++) {
        double rs = 0.02 * exp(0.25 * gauss(seed * 1000003 + (uint64_t)r));
        for (uint64_t c = 0; c < cols; c++) {
            double o = unif(seed * 7919 + c * 31 + 17) < 0.005 ? 6.0 : 1.0;
            w[(uint64_t)r * cols + c] = wz_f32_to_bf16((float)(rs * o * gauss((seed << 40) ^ ((uint64_t)r * cols + c))));
        }
    }
}

void wz_synth_vector_bf16(uint16_t *w, uint64_t n, uint64_t seed, double mean, double std)
{
    for (uint64_t i = 0; i < n; i++) w[i] = wz_f32_to_bf16((float)(mean + std * gauss(seed ^ (i * 0x9E3779B97F4A7C15ULL))));
}
