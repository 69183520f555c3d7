/* test_readers.c — readers expose the right tensors, shapes, bytes and codes. */
#include "tests/testutil.h"
#include "tests/gguf_build.h"
#include <sys/stat.h>
#include "datasets/datasets.h"

static void test_stories260k_layout(void **st)
{
    REAL_OR_SKIP(path, "stories260K.bin");
    wz_model *m;
    assert_int_equal(wz_model_open(path, &m), WZ_OK);
    uint64_t params = 0;
    for (size_t i = 0; i < wz_model_count(m); i++) {
        const wz_tensor *t = wz_model_tensor(m, i);
        if (strncmp(t->name, "freq_cis", 8)) params += t->numel;
    }
    assert_int_equal(params, 260032); /* README: 260,032 parameters */
    const wz_tensor *w1 = wz_model_find(m, "layers.4.feed_forward.w1.weight");
    assert_non_null(w1);
    assert_int_equal(w1->shape[0], 172);
    assert_int_equal(w1->shape[1], 64);
    assert_non_null(wz_model_find(m, "layers.2.attention.wk.weight"));
    assert_int_equal(wz_model_find(m, "layers.2.attention.wk.weight")->shape[0], 32); /* kv_dim = 64*4/8 */
    wz_model_close(m);
}

static void test_isnet_u8_dtypes(void **st)
{
    REAL_OR_SKIP(path, "isnet-u8.safetensors");
    wz_model *m;
    assert_int_equal(wz_model_open(path, &m), WZ_OK);
    uint64_t u8 = 0;
    for (size_t i = 0; i < wz_model_count(m); i++)
        if (wz_model_tensor(m, i)->dtype == WZ_DT_U8) u8 += wz_model_tensor(m, i)->numel;
    assert_true(u8 >= 44003639); /* weights + u8 zero points */
    wz_model_close(m);
}

static void test_safetensors_single_and_sharded(void **st)
{
    uint16_t a[6] = {1, 2, 3, 4, 5, 6};
    uint8_t b[3] = {7, 8, 9};
    uint8_t d[15];
    memcpy(d, a, 12); memcpy(d + 12, b, 3);
    const char *js = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
                     "\"b\":{\"dtype\":\"I8\",\"shape\":[3],\"data_offsets\":[12,15]}}";
    size_t n;
    uint8_t *img = make_safetensors(js, d, 15, &n);
    char dir[] = "/tmp/wzshardXXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[512];
    snprintf(p, sizeof p, "%s/model-00001-of-00002.safetensors", dir);
    FILE *f = fopen(p, "wb"); fwrite(img, 1, n, f); fclose(f);
    const char *js2 = "{\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    float c = 1.5f;
    free(img);
    img = make_safetensors(js2, &c, 4, &n);
    snprintf(p, sizeof p, "%s/model-00002-of-00002.safetensors", dir);
    f = fopen(p, "wb"); fwrite(img, 1, n, f); fclose(f);
    free(img);
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", dir);
    f = fopen(p, "w");
    fputs("{\"metadata\":{\"total_size\":19},\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
          "\"b\":\"model-00001-of-00002.safetensors\",\"c\":\"model-00002-of-00002.safetensors\"}}", f);
    fclose(f);
    wz_model *m;
    assert_int_equal(wz_model_open(dir, &m), WZ_OK);
    assert_int_equal(wz_model_count(m), 3);
    const wz_tensor *ta = wz_model_find(m, "a"), *tc = wz_model_find(m, "c");
    assert_int_equal(ta->dtype, WZ_DT_BF16);
    assert_int_equal(ta->numel, 6);
    assert_memory_equal(ta->data, a, 12);
    assert_int_equal(tc->file_index, 1);
    float got; memcpy(&got, tc->data, 4);
    assert_true(got == 1.5f);
    wz_model_close(m);
    /* An index naming a missing tensor is an error. */
    f = fopen(p, "w");
    fputs("{\"weight_map\":{\"zz\":\"model-00001-of-00002.safetensors\"}}", f);
    fclose(f);
    assert_int_equal(wz_model_open(dir, &m), WZ_ERR_FORMAT);
    assert_non_null(strstr(wz_err_detail(), "zz"));
}

/* GGUF with one tensor of each supported block type; codes decoded by hand. */
static void test_gguf_blocks(void **st)
{
    gbuf g = {0};
    gput(&g, "GGUF", 4); gu32(&g, 3); gu64(&g, 5); gu64(&g, 2);
    gstr(&g, "general.architecture"); gu32(&g, 8); gstr(&g, "llama");
    gstr(&g, "general.alignment"); gu32(&g, 4); gu32(&g, 32);
    struct { const char *n; uint32_t type; uint64_t ne0, ne1, bytes; } T[5] = {
        {"q8", 8, 32, 2, 68}, {"q40", 2, 32, 1, 18}, {"q4k", 12, 256, 1, 144}, {"q6k", 14, 256, 1, 210}, {"iq", 16, 256, 1, 66}};
    uint64_t off = 0;
    for (int i = 0; i < 5; i++) {
        gstr(&g, T[i].n); gu32(&g, 2); gu64(&g, T[i].ne0); gu64(&g, T[i].ne1); gu32(&g, T[i].type); gu64(&g, off);
        off += (T[i].bytes + 31) / 32 * 32;
    }
    galign(&g, 32);
    size_t data = g.n;
    uint8_t blk[256] = {0};
    /* q8: two blocks, d = 1.0 (0x3c00), codes 0..31 then 100.. */
    for (int b = 0; b < 2; b++) { blk[0] = 0x00; blk[1] = 0x3c; for (int j = 0; j < 32; j++) blk[2 + j] = (uint8_t)(j + 100 * b); gput(&g, blk, 34); }
    galign(&g, 32);
    /* q4_0: byte j = (j) | (15-j)<<4 -> element j = j, element j+16 = 15-j */
    memset(blk, 0, sizeof blk); for (int j = 0; j < 16; j++) blk[2 + j] = (uint8_t)(j | (15 - j) << 4);
    gput(&g, blk, 18); galign(&g, 32);
    /* q4_k: qs byte k = 0x5a -> low nibble 10, high nibble 5 */
    memset(blk, 0, sizeof blk); gput(&g, blk, 16); memset(blk, 0x5a, 128); gput(&g, blk, 128); galign(&g, 32);
    /* q6_k: ql = 0x21 (low 1, high 2), qh = 0b11100100 -> high bits 0,1,2,3 */
    memset(blk, 0x21, 128); gput(&g, blk, 128); memset(blk, 0xe4, 64); gput(&g, blk, 64); memset(blk, 0, 18); gput(&g, blk, 18);
    galign(&g, 32);
    memset(blk, 0, 66); gput(&g, blk, 66);
    (void)data;
    wz_model *m;
    assert_int_equal(wz_model_from_buffer(g.b, g.n, WZ_SRC_GGUF, &m), WZ_OK);
    assert_int_equal(wz_model_count(m), 4); /* iq2_xxs listed as skipped */
    assert_non_null(strstr(wz_model_skipped(m)[0], "IQ2_XXS"));
    uint8_t codes[512]; float sc[32];
    const wz_tensor *t = wz_model_find(m, "q8");
    assert_int_equal(t->shape[0], 2); assert_int_equal(t->shape[1], 32);
    assert_int_equal(wz_tensor_codes(t, codes, sc), WZ_OK);
    assert_int_equal(codes[5], 5); assert_int_equal(codes[32 + 5], 105);
    assert_true(sc[0] == 1.0f);
    assert_int_equal(wz_tensor_codes(wz_model_find(m, "q40"), codes, NULL), WZ_OK);
    assert_int_equal(codes[3], 3); assert_int_equal(codes[19], 12);
    assert_int_equal(wz_tensor_codes(wz_model_find(m, "q4k"), codes, NULL), WZ_OK);
    assert_int_equal(codes[0], 10); assert_int_equal(codes[32], 5); assert_int_equal(codes[64 + 31], 10);
    assert_int_equal(wz_tensor_codes(wz_model_find(m, "q6k"), codes, NULL), WZ_OK);
    assert_int_equal(codes[0], 1 | 0 << 4); assert_int_equal(codes[32], 1 | 1 << 4);
    assert_int_equal(codes[64], 2 | 2 << 4); assert_int_equal(codes[96], 2 | 3 << 4);
    wz_model_close(m);
    free(g.b);
}

/* Q5_0: element j = low nibble of qs[j] | bit j of qh << 4; j+16 = high nibble | bit j+16. */
static void test_gguf_q5_0(void **st)
{
    gbuf g = {0};
    gput(&g, "GGUF", 4); gu32(&g, 3); gu64(&g, 1); gu64(&g, 0);
    gstr(&g, "q5"); gu32(&g, 1); gu64(&g, 32); gu32(&g, 6); gu64(&g, 0);
    galign(&g, 32);
    uint8_t blk[22] = {0x00, 0x3c};
    uint32_t qh = 0xA5A5F00Fu;
    memcpy(blk + 2, &qh, 4);
    for (int j = 0; j < 16; j++) blk[6 + j] = (uint8_t)(j | (15 - j) << 4);
    gput(&g, blk, 22);
    wz_model *m;
    assert_int_equal(wz_model_from_buffer(g.b, g.n, WZ_SRC_GGUF, &m), WZ_OK);
    uint8_t codes[32];
    float sc[1];
    assert_int_equal(wz_tensor_codes(wz_model_find(m, "q5"), codes, sc), WZ_OK);
    for (int j = 0; j < 16; j++) {
        assert_int_equal(codes[j], j | ((qh >> j) & 1) << 4);
        assert_int_equal(codes[j + 16], (15 - j) | ((qh >> (j + 16)) & 1) << 4);
    }
    assert_true(sc[0] == 1.0f);
    wz_model_close(m);
    free(g.b);
}

/* AWQ: hand-built int32 words; logical [out=8, in=2], codes o*2+i mod 16. */
static void test_awq_and_gptq_unpack(void **st)
{
    static const int order[8] = {0, 2, 4, 6, 1, 3, 5, 7}; /* AutoAWQ: nibble k holds column order[k] */
    uint32_t qw[2] = {0, 0}; /* AWQ qweight [in=2, out/8=1] */
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 8; k++) qw[i] |= (uint32_t)((order[k] * 2 + i) % 16) << (4 * k);
    uint16_t scales[8] = {0};
    uint8_t d[32 + 16];
    memcpy(d, qw, 8); memcpy(d + 8, scales, 16);
    const char *js = "{\"l.qweight\":{\"dtype\":\"I32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
                     "\"l.scales\":{\"dtype\":\"F16\",\"shape\":[1,8],\"data_offsets\":[8,24]}}";
    size_t n;
    uint8_t *img = make_safetensors(js, d, 24, &n);
    wz_model *m;
    assert_int_equal(wz_model_from_buffer(img, n, WZ_SRC_SAFETENSORS, &m), WZ_OK);
    const wz_tensor *t = wz_model_find(m, "l.qweight");
    assert_int_equal(t->dtype, WZ_DT_I4);
    assert_int_equal(t->packing, WZ_PACK_AWQ);
    assert_int_equal(t->shape[0], 8); assert_int_equal(t->shape[1], 2);
    uint8_t codes[16];
    assert_int_equal(wz_tensor_codes(t, codes, NULL), WZ_OK);
    for (int o = 0; o < 8; o++) for (int i = 0; i < 2; i++) assert_int_equal(codes[o * 2 + i], (o * 2 + i) % 16);
    wz_model_close(m); free(img);
    /* GPTQ qweight [in/8=1, out=2]: nibble k of word o = code(o, in k). */
    uint32_t gw[2] = {0, 0};
    for (int o = 0; o < 2; o++) for (int k = 0; k < 8; k++) gw[o] |= (uint32_t)((o * 8 + k) % 16) << (4 * k);
    memcpy(d, gw, 8);
    const char *js2 = "{\"l.qweight\":{\"dtype\":\"I32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
                      "\"l.scales\":{\"dtype\":\"F16\",\"shape\":[1,2],\"data_offsets\":[8,12]}}";
    img = make_safetensors(js2, d, 12, &n);
    assert_int_equal(wz_model_from_buffer(img, n, WZ_SRC_SAFETENSORS, &m), WZ_OK);
    t = wz_model_find(m, "l.qweight");
    assert_int_equal(t->packing, WZ_PACK_GPTQ);
    assert_int_equal(wz_tensor_codes(t, codes, NULL), WZ_OK);
    for (int o = 0; o < 2; o++) for (int i = 0; i < 8; i++) assert_int_equal(codes[o * 8 + i], (o * 8 + i) % 16);
    wz_model_close(m); free(img);
}

static void test_dtype_conversions(void **st)
{
    assert_int_equal(wz_f32_to_bf16(1.0f), 0x3f80);
    assert_int_equal(wz_f32_to_bf16(1.00390625f), 0x3f80);       /* tie -> even (down) */
    assert_int_equal(wz_f32_to_bf16(1.01171875f), 0x3f82);       /* tie -> even (up) */
    assert_int_equal(wz_f32_to_bf16(__builtin_inff()), 0x7f80);
    assert_int_equal(wz_f32_to_bf16(-__builtin_inff()), 0xff80);
    assert_true((wz_f32_to_bf16(__builtin_nanf("")) & 0x7fff) > 0x7f80);
    assert_int_equal(wz_f32_to_f16(1.0f), 0x3c00);
    assert_int_equal(wz_f32_to_f16(65504.0f), 0x7bff);
    assert_int_equal(wz_f32_to_f16(65520.0f), 0x7c00);            /* rounds to Inf */
    assert_int_equal(wz_f32_to_f16(5.9604645e-08f), 0x0001);     /* smallest subnormal */
    assert_int_equal(wz_f32_to_f16(2.98023224e-08f), 0x0000);    /* half of it: tie -> even 0 */
    assert_int_equal(wz_f32_to_f16(-2.0f), 0xc000);
    assert_true((wz_f32_to_f16(__builtin_nanf("")) & 0x7fff) > 0x7c00);
    for (uint32_t h = 0; h < 65536; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue; /* NaN payloads */
        assert_int_equal(wz_f32_to_f16(wz_f16_to_f32((uint16_t)h)), h);
        if ((h & 0x7f80) == 0x7f80 && (h & 0x7f)) continue;
        assert_int_equal(wz_f32_to_bf16(wz_bf16_to_f32((uint16_t)h)), h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtype_conversions),
        cmocka_unit_test(test_safetensors_single_and_sharded),
        cmocka_unit_test(test_gguf_blocks),
        cmocka_unit_test(test_gguf_q5_0),
        cmocka_unit_test(test_awq_and_gptq_unpack),
        cmocka_unit_test(test_stories260k_layout),
        cmocka_unit_test(test_isnet_u8_dtypes),
    };
    return cmocka_run_group_tests_name("readers", tests, NULL, NULL);
}
