/* test_entropy.c — entropies match an independent, naive computation. */
#include "tests/testutil.h"
#include <fenv.h>
#include <math.h>
#include "analysis/analysis.h"
#include "codecs/codecs.h"

/* Naive reference: sort, count runs, -sum p log2 p in long double. */
static int cmp16(const void *a, const void *b) { return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b; }
static double naive_entropy16(const uint16_t *x, size_t n)
{
    uint16_t *s = malloc(n * 2);
    memcpy(s, x, n * 2);
    qsort(s, n, 2, cmp16);
    long double H = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j] == s[i]) j++;
        long double p = (long double)(j - i) / n;
        H -= p * log2l(p);
        i = j;
    }
    free(s);
    return (double)H;
}

/* Independent fp32 -> bf16: round to 8 significant bits with rint() in the
 * default to-nearest-even mode, then take the top half of the result. */
static uint16_t ref_bf16(float f)
{
    if (isnan(f) || isinf(f) || f == 0) { uint32_t u; memcpy(&u, &f, 4); return (uint16_t)(u >> 16); }
    int e;
    double m = frexp((double)f, &e);             /* f = m 2^e, 0.5 <= |m| < 1 */
    double r = ldexp(rint(ldexp(m, 8)), e - 8);   /* 8 significant bits */
    float g = (float)r;
    uint32_t u;
    memcpy(&u, &g, 4);
    return (uint16_t)(u >> 16);
}

static void test_bf16_cast_matches_reference(void **st)
{
    uint64_t s = 7;
    for (int i = 0; i < 200000; i++) {
        float f = (float)(rng_gauss(&s) * pow(2, (int)(rng_next(&s) % 60) - 40));
        assert_int_equal(wz_f32_to_bf16(f), ref_bf16(f));
    }
}

static void test_stories_bf16_entropy_matches_naive(void **st)
{
    REAL_OR_SKIP(path, "stories260K.bin");
    /* Read the file without the reader: header, then fp32 tensors. */
    FILE *f = fopen(path, "rb");
    int32_t h[7];
    assert_int_equal(fread(h, 4, 7, f), 7);
    size_t nfloat = (1056540 - 28) / 4;
    float *w = malloc(nfloat * 4);
    assert_int_equal(fread(w, 4, nfloat, f), nfloat);
    fclose(f);
    wz_model *m;
    assert_int_equal(wz_model_open(path, &m), WZ_OK);
    size_t off = 0;
    wz_analyze_opts o = {WZ_AS_BF16, 0, 0};
    for (size_t i = 0; i < wz_model_count(m); i++) {
        const wz_tensor *t = wz_model_tensor(m, i);
        assert_int_equal(t->file_offset, 28 + 4 * off);
        uint16_t *b = malloc(t->numel * 2);
        for (size_t k = 0; k < t->numel; k++) b[k] = ref_bf16(w[off + k]);
        wz_entropy_report r;
        assert_int_equal(wz_analyze_tensor(t, &o, &r), WZ_OK);
        assert_true(fabs(r.full - naive_entropy16(b, t->numel)) < 1e-6);
        off += t->numel;
        free(b);
    }
    assert_int_equal(off, nfloat);
    wz_model_close(m);
    free(w);
}

static void test_isnet_fp16_entropy_matches_naive(void **st)
{
    REAL_OR_SKIP(path, "isnet-fp16.safetensors");
    wz_model *m;
    assert_int_equal(wz_model_open(path, &m), WZ_OK);
    assert_int_equal(wz_model_count(m), 238);
    uint64_t params = 0;
    for (size_t i = 0; i < wz_model_count(m); i++) {
        const wz_tensor *t = wz_model_tensor(m, i);
        params += t->numel;
        uint16_t *b = malloc(t->numel * 2);
        memcpy(b, t->data, t->numel * 2);
        wz_entropy_report r;
        assert_int_equal(wz_analyze_tensor(t, NULL, &r), WZ_OK);
        assert_true(fabs(r.full - naive_entropy16(b, t->numel)) < 1e-6);
        free(b);
    }
    assert_int_equal(params, 44017990);
    wz_model_close(m);
}

/* H(value) = H(exponent) + H(sign,mantissa | exponent) — a bijection. */
static void test_chain_rule_holds(void **st)
{
    uint64_t s = 3, n = 1 << 18;
    uint16_t *x = malloc(n * 2);
    for (uint64_t i = 0; i < n; i++) x[i] = wz_f32_to_bf16((float)(0.02 * rng_gauss(&s)));
    wz_tensor t = {.name = "g", .dtype = WZ_DT_BF16, .ndim = 2, .shape = {512, 512}, .numel = n, .data = (uint8_t *)x, .nbytes = 2 * n};
    wz_entropy_report r;
    wz_analyze_opts o = {WZ_AS_NATIVE, 64, 256};
    assert_int_equal(wz_analyze_tensor(&t, &o, &r), WZ_OK);
    assert_true(fabs(r.full - (r.exp + r.sm_given_exp)) < 1e-9);
    assert_true(r.sm_given_exp <= r.sign_mant + 1e-9);
    assert_true(r.tile <= r.full + 1e-9); /* plug-in entropy of a part is lower on average */
    assert_true(r.full > 9 && r.full < 13);
    free(x);
}

static void test_hist16_parallel_equals_serial(void **st)
{
    uint64_t s = 11, n = (1 << 21) + 13;
    uint16_t *x = malloc(n * 2);
    for (uint64_t i = 0; i < n; i++) x[i] = (uint16_t)(rng_next(&s) % 3000);
    uint64_t *h = malloc(65536 * 8), *ref = calloc(65536, 8);
    wz_hist16(x, n, h);
    for (uint64_t i = 0; i < n; i++) ref[x[i]]++;
    assert_memory_equal(h, ref, 65536 * 8);
    free(x); free(h); free(ref);
}

static void test_entropy_known_values(void **st)
{
    uint64_t h[4] = {1, 1, 1, 1}, g[3] = {2, 1, 1};
    assert_true(fabs(wz_entropy_of_counts(h, 4) - 2.0) < 1e-12);
    assert_true(fabs(wz_entropy_of_counts(g, 3) - 1.5) < 1e-12);
    uint64_t x[5] = {1ull << 40, 5, 5, 1ull << 40, 9}, d;
    double H;
    assert_int_equal(wz_entropy_of_u64(x, 5, &H, &d), WZ_OK);
    assert_int_equal(d, 3);
    assert_true(fabs(H - (-(0.4 * log2(0.4)) * 2 - 0.2 * log2(0.2))) < 1e-12);
}

/* Group codes with g = 2, 4-bit codes, 2^12 slots are tile-ans PAIR16: the
 * analysis's table cost equals the codec's own ideal_bits on a matrix its
 * tiles cover exactly (an independent computation of the same number). */
static void test_group_codes_pair_equals_tile_ans(void **st)
{
    enum { R = 256, C = 512 };
    uint16_t *w = malloc(R * C * 2);
    wz_synth_matrix_bf16(w, R, C, 5);
    wz_group_cost g;
    assert_int_equal(wz_group_code_cost(w, R, C, 2, 4, 12, &g), WZ_OK);
    wz_codec_params p;
    wz_codec_params_default(&p);
    wz_codec_input in = {WZ_DT_BF16, R, C, w};
    size_t cap = wz_codec_tile_ans.bound(&p, &in), len;
    uint8_t *blob = malloc(cap);
    wz_cost cost;
    assert_int_equal(wz_codec_tile_ans.encode(&p, &in, blob, cap, &len, &cost), WZ_OK);
    assert_true(fabs(g.table_bits * R * C - cost.ideal_bits) < 1e-6 * cost.ideal_bits);
    assert_true(g.ideal_bits <= g.table_bits + 1e-12);
    free(blob); free(w);
}

/* More exponents per symbol never raise the ideal (entropy is subadditive)
 * when the window covers everything; a bad shape is refused. */
static void test_group_codes_subadditive(void **st)
{
    enum { R = 64, C = 1024 };
    uint16_t *w = malloc(R * C * 2);
    wz_synth_matrix_bf16(w, R, C, 9);
    wz_group_cost g1, g2, g4;
    assert_int_equal(wz_group_code_cost(w, R, C, 1, 4, 12, &g1), WZ_OK);
    assert_int_equal(wz_group_code_cost(w, R, C, 2, 4, 12, &g2), WZ_OK);
    assert_int_equal(wz_group_code_cost(w, R, C, 4, 4, 16, &g4), WZ_OK);
    assert_true(g2.ideal_bits <= g1.ideal_bits + 1e-9 && g4.ideal_bits <= g2.ideal_bits + 1e-9);
    assert_true(g1.escape_rate == g2.escape_rate && g2.escape_rate == g4.escape_rate);
    assert_int_equal(wz_group_code_cost(w, R, C, 5, 4, 12, &g1), WZ_ERR_ARG);
    assert_int_equal(wz_group_code_cost(w, R, 1, 2, 4, 12, &g1), WZ_ERR_ARG);
    free(w);
}

/* The 4-bit fixed-length window is bitmap4: the analysis's escapes, blocks
 * with an escape and lanes with one (MMA order) equal what the codec's own
 * blob says — its escape count, its per-block escape index, and its code
 * nibbles equal to 15 — on a matrix with partial edge blocks. */
static void test_window_codes_match_bitmap4(void **st)
{
    enum { R = 200, C = 530 };
    uint16_t *w = malloc(R * C * 2);
    wz_synth_matrix_bf16(w, R, C, 11);
    wz_window_cost wc;
    assert_int_equal(wz_window_code_cost(w, R, C, 4, &wc), WZ_OK);
    size_t len;
    uint8_t *blob = encode_bf16(&wz_codec_bitmap4, WZ_TA_ORDER_MMA, w, R, C, &len);
    wz_bm_view v;
    assert_int_equal(wz_bm_parse(blob, len, &v), WZ_OK);
    assert_true(v.h->nesc > 0);
    assert_int_equal(wc.ebase, v.h->base);
    assert_int_equal(wc.escapes, v.h->nesc);
    assert_int_equal(wc.blocks, v.nblocks);
    uint64_t blocks = 0, lanes = 0;
    for (uint64_t b = 0; b < v.nblocks; b++) {
        blocks += v.esc_off[b + 1] > v.esc_off[b];
        const uint8_t *blk = v.blocks + b * wz_bm_block_bytes(4);
        for (int l = 0; l < 32; l++) {
            int any = 0;
            for (int s = 0; s < 32; s++) any |= wz_bm_code(blk, 4, l, s) == 15;
            lanes += any;
        }
    }
    assert_int_equal(wc.blocks_with_escape, blocks);
    assert_int_equal(wc.lanes_with_escape, lanes);
    assert_true(fabs(wc.bits * R * C - (12.0 * R * C + 8.0 * (double)v.h->nesc)) < 1e-6 * R * C);
    assert_int_equal(wz_window_code_cost(w, R, C, 0, &wc), WZ_ERR_ARG);
    assert_int_equal(wz_window_code_cost(w, R, C, 8, &wc), WZ_ERR_ARG);
    free(blob); free(w);
}

/* Pair codes keep the 2^b - 1 most frequent pairs of adjacent columns and
 * escape the rest: on a matrix of three common pairs and two single rare
 * ones, a 2-bit code escapes exactly the two rare pairs (4 exponents), in
 * the lanes that wz_bm_pos's MMA order gives them by hand — (0, 0..1) is
 * lane 0 and (5, 2..3) lane 4 x 5 + 1 = 21 of block 0 — and 8-bit codes
 * (five pairs fit) escape nothing. */
static uint16_t bf16_exp(uint32_t e) { return (uint16_t)(e << 7 | 0x15); }
static void test_pair_codes_escape_rare_pairs(void **st)
{
    enum { R = 64, C = 64 };
    uint16_t *w = malloc(R * C * 2);
    for (int r = 0; r < R; r++)
        for (int k = 0; k < C; k += 2) { /* most pairs (127, 126); 100 of (126, 126); 50 of (125, 127) */
            const int i = (r * C + k) / 2;
            const uint32_t e0 = i % 10 == 3 ? 126 : i % 20 == 7 ? 125 : 127, e1 = i % 10 == 3 ? 126 : i % 20 == 7 ? 127 : 126;
            w[r * C + k] = bf16_exp(e0), w[r * C + k + 1] = bf16_exp(e1);
        }
    w[0] = bf16_exp(120), w[1] = bf16_exp(127); /* row 0, columns 0..1 */
    w[5 * C + 2] = bf16_exp(119), w[5 * C + 3] = bf16_exp(127); /* row 5, columns 2..3 */
    wz_window_cost pc;
    assert_int_equal(wz_pair_code_cost(w, R, C, 2, &pc), WZ_OK);
    assert_int_equal(pc.escapes, 4);
    assert_int_equal(pc.blocks, 4);
    assert_int_equal(pc.blocks_with_escape, 1);
    assert_int_equal(pc.lanes_with_escape, 2);
    assert_true(fabs(pc.bits - (8.0 + 1.0 + 8.0 * 4 / (R * C))) < 1e-12);
    assert_int_equal(wz_pair_code_cost(w, R, C, 8, &pc), WZ_OK);
    assert_int_equal(pc.escapes, 0);
    assert_int_equal(pc.lanes_with_escape, 0);
    assert_int_equal(wz_pair_code_cost(w, R, C, 1, &pc), WZ_ERR_ARG);
    assert_int_equal(wz_pair_code_cost(w, R, C, 13, &pc), WZ_ERR_ARG);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entropy_known_values),
        cmocka_unit_test(test_bf16_cast_matches_reference),
        cmocka_unit_test(test_hist16_parallel_equals_serial),
        cmocka_unit_test(test_chain_rule_holds),
        cmocka_unit_test(test_group_codes_pair_equals_tile_ans),
        cmocka_unit_test(test_group_codes_subadditive),
        cmocka_unit_test(test_window_codes_match_bitmap4),
        cmocka_unit_test(test_pair_codes_escape_rare_pairs),
        cmocka_unit_test(test_stories_bf16_entropy_matches_naive),
        cmocka_unit_test(test_isnet_fp16_entropy_matches_naive),
    };
    return cmocka_run_group_tests_name("entropy", tests, NULL, NULL);
}
