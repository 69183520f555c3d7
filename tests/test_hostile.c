/* test_hostile.c — malformed and hostile files give a clear error, never a crash. */
#include "tests/testutil.h"
#include "tests/gguf_build.h"
#include "datasets/datasets.h"

static wz_err st(const char *json, size_t dlen, const char *expect)
{
    uint8_t d[64] = {0};
    size_t n;
    uint8_t *img = make_safetensors(json, d, dlen, &n);
    wz_model *m = NULL;
    wz_err e = wz_model_from_buffer(img, n, WZ_SRC_SAFETENSORS, &m);
    if (expect) assert_non_null(strstr(wz_err_detail(), expect));
    wz_model_close(m);
    free(img);
    return e;
}

static void test_safetensors_hostile(void **s)
{
    assert_int_equal(st("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, NULL), WZ_OK);
    assert_int_equal(st("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]", 4, "JSON"), WZ_ERR_FORMAT);
    assert_int_equal(st("[1,2,3]", 0, "not an object"), WZ_ERR_FORMAT);
    assert_int_equal(st("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "past data section"), WZ_ERR_FORMAT);
    assert_int_equal(st("{\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,4]}}", 4, "shape x dtype"), WZ_ERR_FORMAT);
    assert_int_equal(st("{\"a\":{\"dtype\":\"F16\",\"shape\":[-2],\"data_offsets\":[0,4]}}", 4, "negative"), WZ_ERR_FORMAT);
    assert_int_equal(st("{\"a\":{\"dtype\":\"F16\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4, "overflow"), WZ_ERR_FORMAT);
    assert_int_equal(st("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,0]}}", 4, "reversed"), WZ_ERR_FORMAT);
    assert_int_equal(st("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[-4,0]}}", 4, "non-negative"), WZ_ERR_FORMAT);
    assert_int_equal(st("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}",
                        4, "overlap"), WZ_ERR_FORMAT);
    assert_int_equal(st("{\"a\":{\"dtype\":\"Q9\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "unsupported dtype"), WZ_ERR_UNSUPPORTED);
    assert_int_equal(st("{\"a\":{\"dtype\":\"F16\",\"shape\":\"x\",\"data_offsets\":[0,4]}}", 4, "shape"), WZ_ERR_FORMAT);
    assert_int_equal(st("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"a\":{}}", 4, "JSON"), WZ_ERR_FORMAT);
    assert_int_equal(st("{\"a\":{\"dtype\":\"F16\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,2]}}", 4, "dims"), WZ_ERR_FORMAT);
}

static void test_safetensors_header_length(void **s)
{
    uint8_t b[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'};
    wz_model *m;
    assert_int_equal(wz_model_from_buffer(b, 10, WZ_SRC_SAFETENSORS, &m), WZ_ERR_FORMAT);
    assert_non_null(strstr(wz_err_detail(), "past end of file"));
    assert_int_equal(wz_model_from_buffer(b, 5, WZ_SRC_SAFETENSORS, &m), WZ_ERR_FORMAT);
    assert_int_equal(wz_model_from_buffer(b, 0, WZ_SRC_SAFETENSORS, &m), WZ_ERR_FORMAT);
}

/* Every prefix of a real file fails cleanly (or parses, for the full one). */
static void test_truncated_real_files(void **s)
{
    REAL_OR_SKIP(path, "isnet-u8.safetensors");
    FILE *f = fopen(path, "rb");
    uint8_t *b = malloc(1 << 16);
    size_t n = fread(b, 1, 1 << 16, f);
    fclose(f);
    for (size_t k = 0; k < n; k += 97) {
        wz_model *m;
        assert_int_not_equal(wz_model_from_buffer(b, k, WZ_SRC_SAFETENSORS, &m), WZ_OK);
        assert_true(strlen(wz_err_detail()) > 0);
    }
    free(b);
    REAL_OR_SKIP(p2, "stories260K.bin");
    f = fopen(p2, "rb");
    b = malloc(1056540);
    n = fread(b, 1, 1056540, f);
    fclose(f);
    wz_model *m;
    assert_int_equal(wz_model_from_buffer(b, n, WZ_SRC_LLAMA2C, &m), WZ_OK);
    wz_model_close(m);
    for (size_t k = 0; k < n; k += 4099) {
        assert_int_equal(wz_model_from_buffer(b, k, WZ_SRC_LLAMA2C, &m), WZ_ERR_FORMAT);
    }
    /* Hostile header: huge dims. */
    int32_t h[7] = {1 << 30, 1 << 30, 1 << 20, 8, 4, 512, 512};
    memcpy(b, h, 28);
    assert_int_equal(wz_model_from_buffer(b, n, WZ_SRC_LLAMA2C, &m), WZ_ERR_FORMAT);
    assert_non_null(strstr(wz_err_detail(), "implausible"));
    free(b);
}

static void test_gguf_hostile(void **s)
{
    wz_model *m;
    gbuf g = {0};
    gput(&g, "GGUF", 4); gu32(&g, 3); gu64(&g, 1ull << 60); gu64(&g, 0);
    assert_int_equal(wz_model_from_buffer(g.b, g.n, WZ_SRC_GGUF, &m), WZ_ERR_FORMAT);
    assert_non_null(strstr(wz_err_detail(), "bogus"));
    g.n = 0;
    gput(&g, "GGUF", 4); gu32(&g, 3); gu64(&g, 0); gu64(&g, 1);
    gu64(&g, 1ull << 62); /* key length past end */
    assert_int_equal(wz_model_from_buffer(g.b, g.n, WZ_SRC_GGUF, &m), WZ_ERR_FORMAT);
    g.n = 0;
    gput(&g, "GGUF", 4); gu32(&g, 3); gu64(&g, 0); gu64(&g, 1);
    gstr(&g, "k"); gu32(&g, 9); gu32(&g, 8); gu64(&g, 1ull << 40); /* array of 2^40 strings */
    assert_int_equal(wz_model_from_buffer(g.b, g.n, WZ_SRC_GGUF, &m), WZ_ERR_FORMAT);
    g.n = 0;
    gput(&g, "GGUF", 4); gu32(&g, 3); gu64(&g, 1); gu64(&g, 0);
    gstr(&g, "t"); gu32(&g, 2); gu64(&g, 32); gu64(&g, 1ull << 40); gu32(&g, 0); gu64(&g, 0); /* data past EOF */
    galign(&g, 32);
    assert_int_equal(wz_model_from_buffer(g.b, g.n, WZ_SRC_GGUF, &m), WZ_ERR_FORMAT);
    assert_non_null(strstr(wz_err_detail(), "past end"));
    g.n = 0;
    gput(&g, "GGUF", 4); gu32(&g, 3); gu64(&g, 1); gu64(&g, 0);
    gstr(&g, "t"); gu32(&g, 1); gu64(&g, 33); gu32(&g, 8); gu64(&g, 0); /* 33 not a multiple of 32 */
    galign(&g, 32);
    assert_int_equal(wz_model_from_buffer(g.b, g.n, WZ_SRC_GGUF, &m), WZ_ERR_FORMAT);
    assert_non_null(strstr(wz_err_detail(), "blocks"));
    g.n = 0;
    gput(&g, "GGUF", 4); gu32(&g, 9);
    assert_int_equal(wz_model_from_buffer(g.b, g.n, WZ_SRC_GGUF, &m), WZ_ERR_UNSUPPORTED);
    free(g.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_safetensors_hostile),
        cmocka_unit_test(test_safetensors_header_length),
        cmocka_unit_test(test_gguf_hostile),
        cmocka_unit_test(test_truncated_real_files),
    };
    return cmocka_run_group_tests_name("hostile", tests, NULL, NULL);
}
