/* test_serving.c — the serving model: a hand-computed small config, and
 * monotonic behaviour in memory budget and bits per weight. */
#include "tests/testutil.h"
#include <math.h>
#include "analysis/analysis.h"

/* 2 layers, hidden 128, intermediate 256, 4 heads / 2 kv heads of 32, vocab
 * 1000, untied. Params: attn 128*128 + 2*128*64 + 128*128 = 49152; mlp
 * 3*128*256 = 98304; norms 256 -> per layer 147712; x2 = 295424; embeddings
 * + head 2*1000*128 = 256000; final norm 128 -> 551552. */
static const wz_serving_model k_small = {2, 128, 256, 4, 2, 32, 0, 0, 1000};

static void test_small_config_by_hand(void **st)
{
    assert_true(wz_model_params(&k_small) == 551552.0);
    /* KV/token = 2 * 2 layers * 2 kv heads * 32 * 2 B = 512 B. */
    assert_true(wz_kv_bytes_per_token(&k_small, 0) == 512.0);
    wz_serving_opts o;
    wz_serving_defaults(&o);
    o.mem_gb = 1.0 / 1024;   /* 1 MiB */
    o.mem_fraction = 1.0;
    o.seq = 100;             /* 51200 B per sequence */
    o.bits = 8;              /* 551552 B of weights */
    wz_serving_result r;
    assert_int_equal(wz_serving_eval(&k_small, &o, &r), WZ_OK);
    /* (1048576 - 551552) / 51200 = 9.7 -> 9 sequences */
    assert_int_equal(r.max_batch, 9);
    assert_true(fabs(r.kv_pool_gb * 1073741824.0 - (1048576 - 551552)) < 1e-3);
}

static void test_monotonic_in_budget_and_bits(void **st)
{
    wz_serving_model q = {48, 5120, 13824, 40, 8, 128, 0, 0, 152064};
    wz_serving_opts o;
    wz_serving_defaults(&o);
    int prev = -1;
    for (double mem = 40; mem <= 160; mem += 8) {
        o.mem_gb = mem;
        wz_serving_result r;
        assert_int_equal(wz_serving_eval(&q, &o, &r), WZ_OK);
        assert_true(r.max_batch >= prev);
        prev = r.max_batch;
    }
    o.mem_gb = 80;
    prev = 1 << 30;
    for (double b = 2; b <= 16; b += 0.5) {
        o.bits = b;
        wz_serving_result r;
        assert_int_equal(wz_serving_eval(&q, &o, &r), WZ_OK);
        assert_true(r.max_batch <= prev);
        prev = r.max_batch;
    }
    o.bits = 64; /* weights larger than memory: no batch, no crash */
    wz_serving_result r;
    assert_int_equal(wz_serving_eval(&q, &o, &r), WZ_OK);
    assert_int_equal(r.max_batch, 0);
}

/* The paper's Table II accounting (GiB, KV over attention heads, 0.9 of
 * memory) gives its uncompressed batch sizes exactly. */
static void test_paper_table2_uncompressed(void **st)
{
    wz_serving_model q = {48, 5120, 13824, 40, 8, 128, 0, 0, 152064};
    wz_serving_opts o;
    wz_serving_defaults(&o);
    o.kv_heads_override = 40;
    wz_serving_result r;
    assert_int_equal(wz_serving_eval(&q, &o, &r), WZ_OK);
    assert_int_equal(r.max_batch, 47);
    assert_true(fabs(r.weight_gb - 27.5) < 0.05);
    o.seq = 2048;
    assert_int_equal(wz_serving_eval(&q, &o, &r), WZ_OK);
    assert_int_equal(r.max_batch, 23);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_config_by_hand),
        cmocka_unit_test(test_monotonic_in_budget_and_bits),
        cmocka_unit_test(test_paper_table2_uncompressed),
    };
    return cmocka_run_group_tests_name("serving", tests, NULL, NULL);
}
