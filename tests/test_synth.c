/* test_synth.c — the synthetic generator: deterministic per (seed, tensor),
 * shapes as datasets/models.tsv says, statistics in the calibrated range. */
#include "tests/testutil.h"
#include <math.h>
#include "analysis/analysis.h"
#include "datasets/datasets.h"

static void test_deterministic_per_seed_and_name(void **st)
{
    uint16_t *a = malloc(256 * 512 * 2), *b = malloc(256 * 512 * 2);
    uint64_t s1 = wz_synth_seed(1, "model.layers.3.mlp.up_proj.weight"), s2 = wz_synth_seed(2, "model.layers.3.mlp.up_proj.weight");
    wz_synth_matrix_bf16(a, 256, 512, s1);
    wz_synth_matrix_bf16(b, 256, 512, s1);
    assert_memory_equal(a, b, 256 * 512 * 2);
    wz_synth_matrix_bf16(b, 256, 512, s2);
    assert_true(memcmp(a, b, 256 * 512 * 2) != 0);
    assert_true(wz_synth_seed(1, "x.weight") != wz_synth_seed(1, "y.weight"));
    /* Calibration (paper-facts §4): full value ~10.6 bits, exponent ~2.6. */
    wz_tensor t = {.name = "s", .dtype = WZ_DT_BF16, .ndim = 2, .shape = {256, 512}, .numel = 256 * 512, .data = (uint8_t *)a, .nbytes = 256 * 512 * 2};
    wz_entropy_report r;
    assert_int_equal(wz_analyze_tensor(&t, NULL, &r), WZ_OK);
    assert_true(r.exp > 2.4 && r.exp < 2.9);
    assert_true(r.top7_exp > 0.95);
    free(a); free(b);
}

typedef struct { int n; int64_t params; int qproj_rows, kproj_rows, down_cols, experts_seen; } acc_t;
static void count(void *ctx, const char *name, int ndim, const int64_t *shape, int kind)
{
    acc_t *a = ctx;
    a->n++;
    a->params += shape[0] * (ndim > 1 ? shape[1] : 1);
    if (strstr(name, "layers.0.self_attn.q_proj.weight")) a->qproj_rows = (int)shape[0];
    if (strstr(name, "layers.0.self_attn.k_proj.weight")) a->kproj_rows = (int)shape[0];
    if (strstr(name, "layers.0.mlp.down_proj.weight")) a->down_cols = (int)shape[1];
    if (strstr(name, "experts.7.w1")) a->experts_seen = 1;
}

static void test_shapes_match_the_table(void **st)
{
    const char *tsv = getenv("WZ_MODELS") ? getenv("WZ_MODELS") : "datasets/models.tsv";
    wz_model_shape m;
    assert_int_equal(wz_model_shape_find(tsv, "qwen2.5-14b", &m), WZ_OK);
    assert_int_equal(m.layers, 48); assert_int_equal(m.hidden, 5120); assert_int_equal(m.intermediate, 13824);
    acc_t a = {0};
    wz_model_tensors(&m, 0, m.layers, 1, count, &a);
    assert_int_equal(a.qproj_rows, 40 * 128);
    assert_int_equal(a.kproj_rows, 8 * 128);
    assert_int_equal(a.down_cols, 13824);
    /* Qwen2.5-14B has 14.77 B parameters (Hugging Face config). */
    assert_true(fabs(a.params / 1e9 - 14.77) < 0.01);
    assert_int_equal(wz_model_shape_find(tsv, "mixtral-8x22b", &m), WZ_OK);
    acc_t b = {0};
    wz_model_tensors(&m, 0, 1, 0, count, &b);
    assert_int_equal(b.experts_seen, 1);
    assert_int_equal(wz_model_shape_find(tsv, "llama-3.1-405b", &m), WZ_OK);
    acc_t c = {0};
    wz_model_tensors(&m, 0, m.layers, 1, count, &c);
    assert_true(fabs(c.params / 1e9 - 405.85) < 0.5);
    assert_int_equal(wz_model_shape_find(tsv, "no-such-model", &m), WZ_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic_per_seed_and_name),
        cmocka_unit_test(test_shapes_match_the_table),
    };
    return cmocka_run_group_tests_name("synth", tests, NULL, NULL);
}
