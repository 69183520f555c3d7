/* test_codecs.c — every codec x every format: bit-exact round trips, gap
 * terms that add up to the measured size, hostile blobs rejected. */
#include "tests/testutil.h"
#include <math.h>
#include "codecs/codecs.h"
#include "codecs/huffman/huffman.h"
#include "codecs/rans/rans.h"
#include "codecs/tans/tans.h"
#include "datasets/datasets.h"

typedef struct { const char *what; wz_dtype dt; uint64_t rows, cols; void *data; } input_t;
static input_t g_in[64];
static int g_nin;

static void add_input(const char *what, wz_dtype dt, uint64_t rows, uint64_t cols, void *data)
{
    g_in[g_nin++] = (input_t){what, dt, rows, cols, data};
}

/* Inputs: stories260K's largest matrix in every format the converters make,
 * ISNet's largest fp16 and u8 tensors, and synthetic tensors of odd shapes. */
static int setup(void **st)
{
    uint64_t s = 99;
    const uint64_t R = 96, C = 272; /* not multiples of any tile */
    uint16_t *g16 = malloc(R * C * 2), *h16 = malloc(R * C * 2);
    uint8_t *g8 = malloc(R * C);
    for (uint64_t i = 0; i < R * C; i++) {
        float v = (float)(0.02 * rng_gauss(&s));
        g16[i] = wz_f32_to_bf16(v); h16[i] = wz_f32_to_f16(v); g8[i] = (uint8_t)(rng_next(&s) % 7 + 120);
    }
    add_input("synthetic bf16 96x272", WZ_DT_BF16, R, C, g16);
    add_input("synthetic fp16 96x272", WZ_DT_F16, R, C, h16);
    add_input("synthetic i8 96x272", WZ_DT_I8, R, C, g8);
    uint16_t *one = malloc(64 * 64 * 2);
    for (int i = 0; i < 64 * 64; i++) one[i] = 0x3f80; /* a single symbol: the phantom path */
    add_input("constant bf16", WZ_DT_BF16, 64, 64, one);
    /* Every quantized format from synthetic fp32 weights (no ../shared needed). */
    {
        float *f = malloc(256 * 128 * 4);
        for (int i = 0; i < 256 * 128; i++) f[i] = (float)(0.02 * rng_gauss(&s)) * (i % 128 == 5 ? 8.0f : 1.0f);
        struct { const char *w; wz_qfmt q; wz_gran g; uint64_t grp; int asym; wz_dtype dt; } Q[] = {
            {"synthetic fp8-e4m3", WZ_Q_FP8_E4M3, WZ_GRAN_TENSOR, 0, 0, WZ_DT_F8_E4M3}, {"synthetic fp8-e5m2", WZ_Q_FP8_E5M2, WZ_GRAN_TENSOR, 0, 0, WZ_DT_F8_E5M2},
            {"synthetic int8", WZ_Q_INT8, WZ_GRAN_TENSOR, 0, 0, WZ_DT_I8}, {"synthetic int4 g128", WZ_Q_INT4, WZ_GRAN_GROUP, 128, 1, WZ_DT_I4},
            {"synthetic fp4", WZ_Q_FP4, WZ_GRAN_GROUP, 32, 0, WZ_DT_F4_E2M1}};
        for (size_t k = 0; k < sizeof Q / sizeof *Q; k++) {
            wz_quant_spec q = {Q[k].q, Q[k].g, Q[k].grp, Q[k].asym, 0};
            wz_quant_out o;
            assert_int_equal(wz_quantize(f, 256, 128, &q, &o), WZ_OK);
            uint8_t *c = malloc(256 * 128);
            memcpy(c, o.codes, 256 * 128);
            add_input(Q[k].w, Q[k].dt, 256, 128, c);
            wz_quant_free(&o);
        }
        free(f);
    }
    const char *sp = real_path("stories260K.bin");
    if (sp) {
        wz_model *m;
        assert_int_equal(wz_model_open(sp, &m), WZ_OK);
        const wz_tensor *t = wz_model_find(m, "tok_embeddings.weight"); /* 512 x 64 */
        uint64_t n = t->numel;
        float *f = malloc(n * 4);
        memcpy(f, t->data, n * 4);
        uint16_t *b = malloc(n * 2), *h = malloc(n * 2);
        for (uint64_t i = 0; i < n; i++) { b[i] = wz_f32_to_bf16(f[i]); h[i] = wz_f32_to_f16(f[i]); }
        add_input("stories bf16", WZ_DT_BF16, 512, 64, b);
        add_input("stories fp16", WZ_DT_F16, 512, 64, h);
        struct { const char *w; wz_qfmt f; wz_gran g; uint64_t grp; int asym; wz_dtype dt; } Q[] = {
            {"stories fp8-e4m3", WZ_Q_FP8_E4M3, WZ_GRAN_TENSOR, 0, 0, WZ_DT_F8_E4M3}, {"stories fp8-e5m2", WZ_Q_FP8_E5M2, WZ_GRAN_TENSOR, 0, 0, WZ_DT_F8_E5M2},
            {"stories int8", WZ_Q_INT8, WZ_GRAN_CHANNEL, 0, 0, WZ_DT_I8}, {"stories int4 g32 asym", WZ_Q_INT4, WZ_GRAN_GROUP, 32, 1, WZ_DT_I4},
            {"stories int4 tensor", WZ_Q_INT4, WZ_GRAN_TENSOR, 0, 0, WZ_DT_I4}, {"stories fp4", WZ_Q_FP4, WZ_GRAN_GROUP, 32, 0, WZ_DT_F4_E2M1}};
        for (size_t k = 0; k < sizeof Q / sizeof *Q; k++) {
            wz_quant_spec q = {Q[k].f, Q[k].g, Q[k].grp, Q[k].asym, 0};
            wz_quant_out o;
            assert_int_equal(wz_quantize(f, 512, 64, &q, &o), WZ_OK);
            uint8_t *c = malloc(n);
            memcpy(c, o.codes, n);
            add_input(Q[k].w, Q[k].dt, 512, 64, c);
            wz_quant_free(&o);
        }
        free(f);
        wz_model_close(m);
    }
    const char *ip = real_path("isnet-fp16.safetensors"), *up = real_path("isnet-u8.safetensors");
    for (int k = 0; k < 2; k++) {
        const char *p = k ? up : ip;
        if (!p) continue;
        wz_model *m;
        assert_int_equal(wz_model_open(p, &m), WZ_OK);
        const wz_tensor *best = NULL;
        for (size_t i = 0; i < wz_model_count(m); i++) {
            const wz_tensor *t = wz_model_tensor(m, i);
            if (t->dtype == (k ? WZ_DT_U8 : WZ_DT_F16) && (!best || t->numel > best->numel)) best = t;
        }
        uint64_t r, c;
        wz_tensor_matrix(best, &r, &c);
        void *d = malloc(best->nbytes);
        memcpy(d, best->data, best->nbytes);
        add_input(k ? "isnet u8 (largest)" : "isnet fp16 (largest)", best->dtype, r, c, d);
        wz_model_close(m);
    }
    return 0;
}

static int teardown(void **st)
{
    for (int i = 0; i < g_nin; i++) free(g_in[i].data);
    return 0;
}

static void test_every_codec_round_trips(void **st)
{
    int tried = 0;
    for (size_t c = 0; c < wz_codec_count(); c++) {
        const wz_codec *cd = wz_codec_at(c);
        for (int i = 0; i < g_nin; i++) {
            input_t *x = &g_in[i];
            if (!cd->supports(x->dt)) continue;
            wz_codec_params p;
            wz_codec_params_default(&p);
            wz_codec_input in = {x->dt, x->rows, x->cols, x->data};
            size_t cap = cd->bound(&p, &in), len, ob = x->rows * x->cols * (size_t)wz_codec_elem_bytes(x->dt);
            uint8_t *blob = malloc(cap), *back = malloc(ob);
            wz_cost cost;
            wz_err e = cd->encode(&p, &in, blob, cap, &len, &cost);
            if (e) fail_msg("%s on %s: encode: %s", cd->name, x->what, wz_err_detail());
            memset(back, 0xa5, ob);
            e = cd->decode(blob, len, back, ob);
            if (e) fail_msg("%s on %s: decode: %s", cd->name, x->what, wz_err_detail());
            if (memcmp(back, x->data, ob)) fail_msg("%s on %s: round trip not bit-exact", cd->name, x->what);
            /* The gap terms add up to the measured size, exactly. */
            wz_gap g = wz_cost_gap(&cost);
            assert_true(fabs(g.h_full + g.model + g.table + g.coder + g.framing - 8.0 * len / (double)(x->rows * x->cols)) < 1e-9);
            assert_true(g.total + 1e-9 >= g.h_full - 1e-9 || g.model < 0);
            tried++;
            free(blob); free(back);
        }
    }
    print_message("%d codec x input round trips\n", tried);
    assert_true(tried >= 25); /* 9 synthetic inputs x the codecs that take them, without ../shared */
}

/* n gaussian bf16 weights each scaled by 2^-U(0, spread): exponents over
 * far more than a 15-exponent window, so codecs with windows escape. */
static uint16_t *wide_bf16(uint64_t n, uint64_t seed, int spread)
{
    uint16_t *w = malloc(n * 2);
    for (uint64_t i = 0; i < n; i++) w[i] = wz_f32_to_bf16((float)(rng_gauss(&seed) * ldexp(1.0, -(int)(rng_next(&seed) % (uint64_t)spread))));
    return w;
}

/* Encode with tile-ans under p, decode, compare; returns the blob's header. */
static wz_ta_header ta_round_trip(const wz_codec_params *p, const uint16_t *w, uint64_t r, uint64_t c)
{
    wz_codec_input in = {WZ_DT_BF16, r, c, w};
    size_t cap = wz_codec_tile_ans.bound(p, &in), len;
    uint8_t *blob = malloc(cap);
    uint16_t *back = malloc(r * c * 2);
    wz_cost cost;
    if (wz_codec_tile_ans.encode(p, &in, blob, cap, &len, &cost)) fail_msg("encode: %s", wz_err_detail());
    if (wz_codec_tile_ans.decode(blob, len, back, r * c * 2)) fail_msg("decode: %s", wz_err_detail());
    assert_memory_equal(back, w, r * c * 2);
    wz_gap g = wz_cost_gap(&cost);
    assert_true(fabs(g.h_full + g.model + g.table + g.coder + g.framing - 8.0 * len / (double)(r * c)) < 1e-9);
    wz_ta_header h;
    memcpy(&h, blob, sizeof h);
    free(blob); free(back);
    return h;
}

/* PAIR16 weights whose exponents span far more than its 15-exponent window
 * (a quarter escape) round-trip exactly, escapes and carried bytes included. */
static void test_tile_ans_pair_escapes(void **st)
{
    const uint64_t R = 160, C = 528; /* edge tiles in both dimensions */
    uint16_t *w = wide_bf16(R * C, 17, 40);
    wz_codec_params p;
    wz_codec_params_default(&p);
    wz_ta_header h = ta_round_trip(&p, w, R, C);
    assert_int_equal(h.model, WZ_TA_MODEL_PAIR16);
    assert_true(h.nesc > R * C / 8);
    free(w);
}

/* The one-exponent-per-step model stays available and exact. */
static void test_tile_ans_split16(void **st)
{
    input_t *x = &g_in[0]; /* synthetic bf16 */
    wz_codec_params p;
    wz_codec_params_default(&p);
    p.bf16_model = WZ_TA_MODEL_SPLIT16;
    wz_ta_header h = ta_round_trip(&p, x->data, x->rows, x->cols);
    assert_int_equal(h.model, WZ_TA_MODEL_SPLIT16);
}

/* One rANS state per lane (the default) and two (v4) both round-trip,
 * SPLIT16 takes two as well; two cost about the second state's 16 bits per
 * lane and tile (its other 16 carry raw bytes), give or take a word per state. */
static void test_tile_ans_lane_states(void **st)
{
    input_t *x = &g_in[0]; /* synthetic bf16 */
    wz_codec_params p;
    wz_codec_params_default(&p);
    wz_codec_input in = {WZ_DT_BF16, x->rows, x->cols, x->data};
    size_t len[3];
    for (int ls = 0; ls <= 2; ls++) {
        p.lane_states = ls;
        wz_ta_header h = ta_round_trip(&p, x->data, x->rows, x->cols);
        assert_int_equal(h.ilp, ls == 2 ? 2 : 1);
        size_t cap = wz_codec_tile_ans.bound(&p, &in);
        uint8_t *blob = malloc(cap);
        assert_int_equal(wz_codec_tile_ans.encode(&p, &in, blob, cap, &len[ls], NULL), WZ_OK);
        free(blob);
    }
    assert_int_equal(len[0], len[1]);
    wz_ta_header h1 = ta_round_trip(&p, x->data, x->rows, x->cols);
    uint64_t tiles = (uint64_t)h1.tiles_r * h1.tiles_c;
    print_message("tile-ans lane states: 1 -> %zu bytes, 2 -> %zu bytes (%llu tiles)\n", len[1], len[2], (unsigned long long)tiles);
    assert_true(len[2] + tiles * 64 >= len[1] && len[2] <= len[1] + tiles * 128 + 64);
    p.lane_states = 2;
    p.bf16_model = WZ_TA_MODEL_SPLIT16;
    assert_int_equal(ta_round_trip(&p, x->data, x->rows, x->cols).ilp, 2);
    p.lane_states = 3;
    size_t l3;
    uint8_t tiny[16];
    assert_int_equal(wz_codec_tile_ans.encode(&p, &in, tiny, sizeof tiny, &l3, NULL), WZ_ERR_ARG);
}

/* The MMA element order (v5) round-trips exactly, escapes, edge tiles and
 * both state counts included, and costs the same bits as ROWS give or take
 * table quantisation (the pairs are the same adjacent-column pairs, only
 * placed differently in the lanes). Other models ignore it. */
static void test_tile_ans_mma_order(void **st)
{
    const uint64_t R = 200, C = 530; /* edge tiles in both dimensions, odd rows per tile */
    uint16_t *w = wide_bf16(R * C, 23, 24);
    wz_codec_params p;
    wz_codec_params_default(&p);
    p.tile_rows = 64; p.tile_cols = 96;
    for (int ls = 1; ls <= 2; ls++) {
        p.lane_states = ls;
        p.order = WZ_TA_ORDER_MMA;
        wz_ta_header h = ta_round_trip(&p, w, R, C);
        assert_int_equal(h.order, WZ_TA_ORDER_MMA);
        assert_true(h.nesc > 0);
        p.order = WZ_TA_ORDER_ROWS;
        wz_ta_header hr = ta_round_trip(&p, w, R, C);
        assert_int_equal(hr.order, WZ_TA_ORDER_ROWS);
        assert_int_equal(h.nesc, hr.nesc); /* the same exponents escape */
    }
    input_t *x = &g_in[0]; /* synthetic bf16: order changes words only by coding noise */
    p.tile_rows = 64; p.tile_cols = 256; p.lane_states = 1;
    wz_codec_input in = {WZ_DT_BF16, x->rows, x->cols, x->data};
    size_t cap = wz_codec_tile_ans.bound(&p, &in), len[2];
    uint8_t *blob = malloc(cap);
    for (int o = 0; o < 2; o++) {
        p.order = o;
        assert_int_equal(wz_codec_tile_ans.encode(&p, &in, blob, cap, &len[o], NULL), WZ_OK);
    }
    print_message("tile-ans order: rows %zu bytes, mma %zu bytes\n", len[0], len[1]);
    assert_true(len[1] < len[0] * 1.002 && len[0] < len[1] * 1.002);
    p.order = WZ_TA_ORDER_MMA; p.bf16_model = WZ_TA_MODEL_SPLIT16; /* not a PAIR16 blob: rows */
    assert_int_equal(ta_round_trip(&p, x->data, x->rows, x->cols).order, WZ_TA_ORDER_ROWS);
    p.order = 2;
    assert_int_equal(wz_codec_tile_ans.encode(&p, &in, blob, cap, &len[0], NULL), WZ_ERR_ARG);
    free(blob); free(w);
}

/* The MMA order is the PTX ISA's mma.m16n8k16 A-fragment layout (.bf16):
 * lane t holds a_0..a_7 of rows 16 rb + t/4 (+8 for a_2, a_3, a_6, a_7),
 * columns 2 (t % 4) + (j & 1) (+8 for a_4..a_7), register k = {a_2k,
 * a_2k+1}; pair step 4 rb + k of the lane is register k of fragment rb.
 * Checked on the raw plane of a 32x32 matrix's first group: every byte
 * sits where that spec (written out here, not the codec's elem_pos) says. */
static void test_tile_ans_mma_order_is_ptx_fragment(void **st)
{
    enum { R = 32, C = 32 };
    uint16_t w[R * C];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            uint8_t b = (uint8_t)((r % 16) * 16 + c % 16) ^ (r >= 16 ? 0x5a : 0) ^ (c >= 16 ? 0xa5 : 0); /* distinct within a 16x16 block */
            w[r * C + c] = (uint16_t)((b & 0x80) << 8 | 0x3f00 | (b & 0x7f)); /* sign | exponent 126 | mantissa */
        }
    wz_codec_params p;
    wz_codec_params_default(&p);
    p.tile_rows = 32; p.tile_cols = 32; p.order = WZ_TA_ORDER_MMA;
    for (int ls = 1; ls <= 2; ls++) {
        p.lane_states = ls;
        wz_codec_input in = {WZ_DT_BF16, R, C, w};
        size_t cap = wz_codec_tile_ans.bound(&p, &in), len;
        uint8_t *blob = malloc(cap);
        assert_int_equal(wz_codec_tile_ans.encode(&p, &in, blob, cap, &len, NULL), WZ_OK);
        wz_ta_view v;
        assert_int_equal(wz_ta_parse(blob, len, &v), WZ_OK);
        const uint64_t te = v.tile_elems, cb = wz_ta_carried(v.h->model, v.ilp);
        for (int t = 0; t < 32; t++)
            for (int rb = 0; rb < 2; rb++)
                for (int j = 0; j < 8; j++) {
                    const int row = rb * 16 + t / 4 + ((j & 2) ? 8 : 0), col = 2 * (t % 4) + (j & 1) + (j >= 4 ? 8 : 0);
                    const uint64_t step = 2 * (4 * rb + j / 2) + (j & 1); /* pair step 4 rb + k, half j & 1 */
                    const uint64_t pos = wz_ta_raw_pos(0, 1, step * 32 + (uint64_t)t, te, cb);
                    assert_true(pos != UINT64_MAX);
                    assert_int_equal(v.raw[pos], wz_split_raw(w[row * C + col], 1));
                }
        free(blob);
    }
}

/* Encode with bitmap4 under `order`, decode, compare; the blob stays in *blob. */
static size_t bm4_round_trip(int order, const uint16_t *w, uint64_t r, uint64_t c, uint8_t **blob)
{
    size_t len;
    *blob = encode_bf16(&wz_codec_bitmap4, order, w, r, c, &len);
    uint16_t *back = malloc(r * c * 2);
    memset(back, 0xa5, r * c * 2);
    if (wz_codec_bitmap4.decode(*blob, len, back, r * c * 2)) fail_msg("bitmap4 decode: %s", wz_err_detail());
    assert_memory_equal(back, w, r * c * 2);
    free(back);
    return len;
}

/* bitmap4 in the MMA order: exact round trips on edge blocks and escapes,
 * the same size and escapes as rows (same codes, other places), a v2
 * header; the 3-bit bitmap writes rows (v1) when asked for it, an unknown
 * order is refused, and headers whose version and order disagree are
 * refused. */
static void test_bitmap4_mma_order(void **st)
{
    const uint64_t R = 200, C = 530; /* edge blocks in both dimensions */
    uint16_t *w = wide_bf16(R * C, 31, 24);
    uint8_t *bm, *br;
    size_t lm = bm4_round_trip(WZ_TA_ORDER_MMA, w, R, C, &bm), lr = bm4_round_trip(WZ_TA_ORDER_ROWS, w, R, C, &br);
    assert_int_equal(lm, lr);
    wz_bm_header *h = (wz_bm_header *)bm;
    assert_int_equal(h->version, WZ_BM_VERSION_MMA);
    assert_int_equal(h->order, WZ_TA_ORDER_MMA);
    assert_true(h->nesc > 0 && h->nesc == ((wz_bm_header *)br)->nesc);
    uint16_t *back = malloc(R * C * 2);
    h->order = WZ_TA_ORDER_ROWS; /* v2 without the MMA order */
    assert_int_equal(wz_codec_bitmap4.decode(bm, lm, back, R * C * 2), WZ_ERR_CORRUPT);
    h->version = 1; h->order = WZ_TA_ORDER_MMA; /* v1 has no order */
    assert_int_equal(wz_codec_bitmap4.decode(bm, lm, back, R * C * 2), WZ_ERR_CORRUPT);
    wz_codec_params p;
    wz_codec_params_default(&p);
    p.order = WZ_TA_ORDER_MMA;
    wz_codec_input in = {WZ_DT_BF16, R, C, w};
    size_t cap = wz_codec_bitmap.bound(&p, &in), len;
    uint8_t *b3 = malloc(cap);
    assert_int_equal(wz_codec_bitmap.encode(&p, &in, b3, cap, &len, NULL), WZ_OK);
    assert_int_equal(((wz_bm_header *)b3)->version, 1);
    assert_int_equal(wz_codec_bitmap.decode(b3, len, back, R * C * 2), WZ_OK);
    assert_memory_equal(back, w, R * C * 2);
    p.order = 2;
    assert_int_equal(wz_codec_bitmap4.encode(&p, &in, b3, cap, &len, NULL), WZ_ERR_ARG);
    free(b3); free(back); free(bm); free(br); free(w);
}

/* bitmap4's escape list (what the wgmma GEMM patches over an escape-free
 * tile), its slots and its corrections (what the M <= 4 GEMV adds): block by block, the listed positions are exactly the weights whose
 * exponent lies outside the 15-exponent window — found here from the
 * original weights, not from the codes — each listed once, with its exact
 * bf16 value; both element orders, edge blocks included. */
static void test_bitmap4_escape_list(void **st)
{
    (void)st;
    const uint64_t R = 200, C = 530, bc = (C + 31) / 32;
    uint16_t *w = wide_bf16(R * C, 31, 24);
    for (int order = WZ_TA_ORDER_ROWS; order <= WZ_TA_ORDER_MMA; order++) {
        uint8_t *blob;
        size_t len = bm4_round_trip(order, w, R, C, &blob);
        wz_bm_view v;
        assert_int_equal(wz_bm_parse(blob, len, &v), WZ_OK);
        uint32_t *list = malloc(4 * v.h->nesc + 4);
        wz_bm_escape_list(&v, list);
        uint64_t listed = 0;
        for (uint64_t b = 0; b < v.nblocks; b++) {
            uint8_t seen[1024] = {0};
            const uint64_t r0 = b / bc * 32, c0 = b % bc * 32;
            for (uint32_t e = v.esc_off[b]; e < v.esc_off[b + 1]; e++, listed++) {
                const uint32_t pos = list[e] & 0xffffu, r = pos >> 5, c = pos & 31;
                assert_true(pos < 1024 && !seen[pos]);
                seen[pos] = 1;
                assert_true(r0 + r < R && c0 + c < C);
                assert_int_equal(list[e] >> 16, w[(r0 + r) * C + c0 + c]);
            }
            for (uint64_t r = 0; r < 32 && r0 + r < R; r++)
                for (uint64_t c = 0; c < 32 && c0 + c < C; c++) {
                    const int ex = (w[(r0 + r) * C + c0 + c] >> 7) & 0xff;
                    assert_int_equal(seen[r * 32 + c], ex < v.h->base || ex > v.h->base + 14);
                }
        }
        assert_int_equal(listed, v.h->nesc);
        assert_true(listed > 0);
        /* The slots: a block's first two entries, flagged, MORE past two. */
        uint32_t *slots = malloc(8 * v.nblocks);
        wz_bm_escape_slots(&v, list, slots);
        int more = 0;
        for (uint64_t b = 0; b < v.nblocks; b++) {
            const uint32_t e = v.esc_off[b], n = v.esc_off[b + 1] - e;
            for (uint32_t j = 0; j < 2; j++)
                assert_int_equal(slots[2 * b + j], j < n ? list[e + j] | WZ_BM_SLOT_VALID | (j == 0 && n > 2 ? WZ_BM_SLOT_MORE : 0u) : 0u);
            more += n > 2;
        }
        assert_true(more > 0); /* the overflow path has cases here */
        /* The corrections: each escaped weight once, at its own column and
         * row (in its block's block-row and column range), with its bf16. */
        uint32_t *corr = malloc(8 * v.h->nesc);
        wz_bm_escape_corrections(&v, list, corr);
        uint8_t *hit = calloc(R * C, 1);
        for (uint64_t b = 0; b < v.nblocks; b++)
            for (uint32_t e = v.esc_off[b]; e < v.esc_off[b + 1]; e++) {
                const uint64_t col = corr[2 * e], row = b / bc * 32 + (corr[2 * e + 1] & 31);
                assert_true(row < R && col < C && col / 32 == b % bc);
                assert_int_equal(hit[row * C + col]++, 0);
                assert_int_equal(corr[2 * e + 1] >> 16, w[row * C + col]);
            }
        for (uint64_t i = 0; i < R * C; i++) {
            const int ex = (w[i] >> 7) & 0xff;
            assert_int_equal(hit[i], ex < v.h->base || ex > v.h->base + 14);
        }
        free(hit); free(corr);
        free(slots); free(list); free(blob);
    }
    free(w);
}

/* Encode with pairhuff, decode, compare; returns the blob (caller frees). */
static uint8_t *ph_round_trip(const uint16_t *w, uint64_t r, uint64_t c, size_t *len)
{
    wz_codec_params p;
    wz_codec_params_default(&p);
    wz_codec_input in = {WZ_DT_BF16, r, c, w};
    uint8_t *blob = malloc(wz_codec_pairhuff.bound(&p, &in));
    uint16_t *back = malloc(r * c * 2);
    if (wz_codec_pairhuff.encode(&p, &in, blob, wz_codec_pairhuff.bound(&p, &in), len, NULL)) fail_msg("encode: %s", wz_err_detail());
    if (wz_codec_pairhuff.decode(blob, *len, back, r * c * 2)) fail_msg("decode: %s", wz_err_detail());
    assert_memory_equal(back, w, r * c * 2);
    free(back);
    return blob;
}

/* Moving boundary 1 of a blob index (one unit from one side to the other,
 * both ways) is caught by the decoder, not decoded: each segment must use
 * exactly its range. `index` points into blob (the parser's view). */
static void expect_boundary_guarded(uint8_t *blob, size_t len, const uint32_t *view_index, uint64_t R, uint64_t C)
{
    uint32_t *index = (uint32_t *)view_index; /* the view points into our own, writable blob */
    uint16_t *back = malloc(R * C * 2);
    index[1]++;
    assert_int_equal(wz_codec_pairhuff.decode(blob, len, back, R * C * 2), WZ_ERR_CORRUPT);
    index[1] -= 2;
    assert_int_equal(wz_codec_pairhuff.decode(blob, len, back, R * C * 2), WZ_ERR_CORRUPT);
    index[1]++;
    free(back);
}

/* Exponents over a 24-octave spread give far more than 255 distinct pairs:
 * the escape path (two raw exponent bytes in the segment's escape list)
 * carries them, on a shape with edge blocks, an odd column count (the last
 * column's pair is half outside) and a partial last segment. */
static void test_pairhuff_escapes_and_edges(void **st)
{
    const uint64_t R = 37, C = 531;
    uint16_t *w = wide_bf16(R * C, 41, 24);
    size_t len;
    uint8_t *blob = ph_round_trip(w, R, C, &len);
    wz_ph_view v;
    assert_int_equal(wz_ph_parse(blob, len, &v), WZ_OK);
    assert_true(v.h->nesc > 0);
    assert_int_equal(v.h->nsegs, 2 * ((17 + v.h->seg_blocks - 1) / v.h->seg_blocks)); /* 2 block rows of 17 blocks */
    /* The escape index: a segment given one escaped pair too many or too few. */
    expect_boundary_guarded(blob, len, v.esc_off, R, C);
    free(blob); free(w);
}

/* A segment must consume exactly its words, so moving a boundary between
 * two segments (one word from one to the next) is caught, not decoded. */
static void test_pairhuff_segment_bounds_checked(void **st)
{
    const uint64_t R = 64, C = 1024;
    uint16_t *w = wide_bf16(R * C, 43, 6);
    size_t len;
    uint8_t *blob = ph_round_trip(w, R, C, &len);
    wz_ph_view v;
    assert_int_equal(wz_ph_parse(blob, len, &v), WZ_OK);
    assert_true(v.h->nsegs >= 2);
    expect_boundary_guarded(blob, len, v.seg_off, R, C);
    free(blob); free(w);
}

/* The GPU kernels' table decodes every code the CPU table does: for each
 * 12-bit prefix, the same length, and either the escape flag or the pair's
 * two exponents at the bf16 pair's exponent bits (7-14, 23-30), nothing
 * else set; prefixes no code starts read 0 (the CPU decoder's corruption). */
static void test_pairhuff_gpu_table_matches_codes(void **st)
{
    const uint64_t R = 64, C = 512;
    uint16_t *w = wide_bf16(R * C, 47, 24); /* > 255 pairs: an escape code exists */
    size_t len;
    uint8_t *blob = ph_round_trip(w, R, C, &len);
    wz_ph_view v;
    assert_int_equal(wz_ph_parse(blob, len, &v), WZ_OK);
    wz_huf_code c;
    memcpy(c.len, v.h->len, 256);
    assert_int_equal(wz_huf_assign(&c), WZ_OK);
    uint16_t dt[1 << WZ_HUF_MAX_BITS];
    wz_huf_dtable(&c, dt);
    static uint32_t lut[4096];
    wz_ph_gpu_table(v.h, lut);
    assert_true(c.len[WZ_PH_ESC] > 0);
    int covered = 0;
    for (uint32_t i = 0; i < 4096; i++) {
        const uint32_t L = lut[i] & 31;
        if (!L) { assert_int_equal(lut[i], 0); continue; }
        covered++;
        const uint32_t sym = dt[i] & 0xff, dl = dt[i] >> 8;
        assert_int_equal(L, dl);
        assert_int_equal(L, c.len[sym]);
        if (sym == WZ_PH_ESC) assert_int_equal(lut[i], WZ_PH_GPU_ESC | L);
        else assert_int_equal(lut[i], (uint32_t)(v.h->pair[sym] >> 8) << 7 | (uint32_t)(v.h->pair[sym] & 0xff) << 23 | L);
    }
    assert_int_equal(covered, 4096); /* a complete code: every prefix starts one */
    free(blob); free(w);
}

/* bitmap4's MMA order is the PTX mma.m16n8k16 A-fragment layout per
 * 16-column half (the spec as in test_tile_ans_mma_order_is_ptx_fragment,
 * written out here, not wz_bm_pos): lane t's raw byte s of block 0 is
 * element j = 2 k + (s & 1) of register k = (s / 2) % 4 of fragment rb =
 * (s / 8) % 2 of half kh = s / 16. */
static void test_bitmap4_mma_order_is_ptx_fragment(void **st)
{
    enum { R = 32, C = 32 };
    uint16_t w[R * C];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            uint8_t b = (uint8_t)((r % 16) * 16 + c % 16) ^ (r >= 16 ? 0x5a : 0) ^ (c >= 16 ? 0xa5 : 0);
            w[r * C + c] = (uint16_t)((b & 0x80) << 8 | 0x3f00 | (b & 0x7f));
        }
    uint8_t *blob;
    size_t len = bm4_round_trip(WZ_TA_ORDER_MMA, w, R, C, &blob);
    wz_bm_view v;
    assert_int_equal(wz_bm_parse(blob, len, &v), WZ_OK);
    const uint8_t *raw = v.blocks + 512;
    for (int t = 0; t < 32; t++)
        for (int s = 0; s < 32; s++) {
            const int kh = s / 16, rb = (s / 8) % 2, k = (s / 2) % 4, j = 2 * k + (s & 1);
            const int row = 16 * rb + t / 4 + ((j & 2) ? 8 : 0), col = 16 * kh + 2 * (t % 4) + (j & 1) + (j >= 4 ? 8 : 0);
            assert_int_equal(raw[t * 32 + s], wz_split_raw(w[row * C + col], 1));
        }
    free(blob);
}

/* A v3 blob (one state per lane, a zero byte where v4 keeps the count) still
 * decodes exactly; a v4 header claiming 0 or 3 states per lane is refused. */
static void test_tile_ans_reads_v3(void **st)
{
    input_t *x = &g_in[0];
    wz_codec_params p;
    wz_codec_params_default(&p);
    p.lane_states = 1;
    wz_codec_input in = {WZ_DT_BF16, x->rows, x->cols, x->data};
    size_t cap = wz_codec_tile_ans.bound(&p, &in), len;
    uint8_t *blob = malloc(cap);
    uint16_t *back = malloc(x->rows * x->cols * 2);
    assert_int_equal(wz_codec_tile_ans.encode(&p, &in, blob, cap, &len, NULL), WZ_OK);
    wz_ta_header *h = (wz_ta_header *)blob;
    h->version = 3; h->ilp = 0;
    assert_int_equal(wz_codec_tile_ans.decode(blob, len, back, x->rows * x->cols * 2), WZ_OK);
    assert_memory_equal(back, x->data, x->rows * x->cols * 2);
    h->version = 4; h->ilp = 1; /* v4: the same blob */
    assert_int_equal(wz_codec_tile_ans.decode(blob, len, back, x->rows * x->cols * 2), WZ_OK);
    assert_memory_equal(back, x->data, x->rows * x->cols * 2);
    h->order = WZ_TA_ORDER_MMA; /* v4 has no order nibble: a byte of 0x11 is 17 states */
    assert_int_equal(wz_codec_tile_ans.decode(blob, len, back, x->rows * x->cols * 2), WZ_ERR_CORRUPT);
    h->version = WZ_TA_VERSION; h->order = 2; /* no such order */
    assert_int_equal(wz_codec_tile_ans.decode(blob, len, back, x->rows * x->cols * 2), WZ_ERR_CORRUPT);
    h->order = 0;
    for (int bad = 0; bad <= 3; bad += 3) {
        h->ilp = (uint8_t)bad;
        assert_int_equal(wz_codec_tile_ans.decode(blob, len, back, x->rows * x->cols * 2), WZ_ERR_CORRUPT);
    }
    free(blob); free(back);
}

/* Truncations and bit flips: an error or an exact decode, never a crash. */
static void test_hostile_blobs(void **st)
{
    uint64_t s = 5;
    for (size_t c = 0; c < wz_codec_count(); c++) {
        const wz_codec *cd = wz_codec_at(c);
        input_t *x = &g_in[0]; /* synthetic bf16 */
        if (!cd->supports(x->dt)) x = &g_in[2];
        wz_codec_params p;
        wz_codec_params_default(&p);
        wz_codec_input in = {x->dt, x->rows, x->cols, x->data};
        size_t cap = cd->bound(&p, &in), len, ob = x->rows * x->cols * (size_t)wz_codec_elem_bytes(x->dt);
        uint8_t *blob = malloc(cap), *bad = malloc(cap), *back = malloc(ob);
        assert_int_equal(cd->encode(&p, &in, blob, cap, &len, NULL), WZ_OK);
        int rejected = 0;
        for (int k = 0; k < 300; k++) {
            size_t l = len;
            memcpy(bad, blob, len);
            if (k < 100) l = rng_next(&s) % len;                    /* truncated */
            else for (int f = 0; f < 1 + k % 4; f++) bad[rng_next(&s) % len] ^= (uint8_t)(1 << (rng_next(&s) % 8));
            /* Exact-size copy so ASan sees any over-read. */
            uint8_t *exact = malloc(l ? l : 1);
            memcpy(exact, bad, l);
            wz_err e = cd->decode(exact, l, back, ob);
            if (e) { rejected++; assert_true(strlen(wz_err_detail()) > 0); }
            free(exact);
        }
        print_message("%s: %d of 300 hostile blobs rejected (the rest decoded to some bytes safely)\n", cd->name, rejected);
        assert_true(rejected >= 100); /* every truncation is caught */
        free(blob); free(bad); free(back);
    }
}

static void test_huffman_lengths_limited_and_complete(void **st)
{
    uint64_t cnt[256] = {0};
    for (int s = 0; s < 40; s++) cnt[s] = 1ull << (s < 30 ? s : 30); /* geometric: natural lengths ~40 */
    wz_huf_code c;
    assert_int_equal(wz_huf_build(cnt, 12, &c), WZ_OK);
    double kraft = 0;
    for (int s = 0; s < 256; s++) { assert_true(c.len[s] <= 12); if (c.len[s]) kraft += ldexp(1, -c.len[s]); }
    assert_true(fabs(kraft - 1.0) < 1e-12); /* complete code */
    for (int s = 0; s < 40; s++) assert_true(c.len[s] > 0);
}

static void test_rans_normalize_sums_and_keeps_symbols(void **st)
{
    uint64_t cnt[256] = {0};
    cnt[0] = 1000000000; cnt[1] = 1; cnt[7] = 3; cnt[200] = 500;
    uint16_t f[256];
    assert_int_equal(wz_rans_normalize(cnt, 12, f), WZ_OK);
    uint32_t sum = 0;
    for (int s = 0; s < 256; s++) { sum += f[s]; if (cnt[s]) assert_true(f[s] >= 1); }
    assert_int_equal(sum, 4096);
    assert_true(f[0] < 4096);
}

static void test_tans_round_trip_all_logs(void **st)
{
    uint64_t s = 3, cnt[256] = {0};
    uint8_t sym[5000], back[5000];
    for (int i = 0; i < 5000; i++) { sym[i] = (uint8_t)(rng_next(&s) % 3 == 0 ? rng_next(&s) % 40 : 7); cnt[sym[i]]++; }
    for (int log = WZ_TANS_MIN_LOG; log <= WZ_TANS_MAX_LOG; log++) {
        uint16_t f[256];
        assert_int_equal(wz_rans_normalize(cnt, log, f), WZ_OK);
        uint8_t buf[20000];
        uint64_t bits;
        assert_int_equal(wz_tans_encode(f, log, sym, 5000, buf, sizeof buf, &bits), WZ_OK);
        wz_tans_cell dt[1 << WZ_TANS_MAX_LOG];
        assert_int_equal(wz_tans_dtable(f, log, dt), WZ_OK);
        assert_int_equal(wz_tans_decode(dt, log, buf, (bits + 7) / 8, bits, back, 5000), WZ_OK);
        assert_memory_equal(sym, back, 5000);
    }
}

/* Small floats on hand-computed codes (OCP FP8 / MX FP4 tables). */
static void test_small_float_codes(void **st)
{
    assert_int_equal(wz_f32_to_e4m3(1.0f), 0x38);
    assert_int_equal(wz_f32_to_e4m3(448.0f), 0x7e);
    assert_int_equal(wz_f32_to_e4m3(1000.0f), 0x7e);        /* saturates */
    assert_int_equal(wz_f32_to_e4m3(-0.5f), 0xb0);
    assert_int_equal(wz_f32_to_e4m3(0x1p-9f), 0x01);        /* smallest subnormal */
    assert_int_equal(wz_f32_to_e4m3(1.0625f), 0x38);        /* tie -> even mantissa */
    assert_int_equal(wz_f32_to_e5m2(1.0f), 0x3c);
    assert_int_equal(wz_f32_to_e5m2(57344.0f), 0x7b);
    assert_int_equal(wz_f32_to_e5m2(1e9f), 0x7b);            /* saturates, never Inf */
    assert_int_equal(wz_f32_to_e2m1(6.0f), 0x7);
    assert_int_equal(wz_f32_to_e2m1(0.5f), 0x1);
    assert_int_equal(wz_f32_to_e2m1(2.5f), 0x4);             /* tie between 2 and 3 -> even code (2) */
    assert_int_equal(wz_f32_to_e2m1(-3.0f), 0xd);
    for (int c = 0; c < 256; c++) {
        if ((c & 0x7f) == 0x7f) continue;                    /* NaN */
        assert_int_equal(wz_f32_to_e4m3(wz_small_float_value((uint8_t)c, 4, 3)), c);
    }
}

static void test_quantizer_formulas(void **st)
{
    float w[8] = {-1.0f, -0.5f, 0.0f, 0.25f, -0.25f, 0.5f, 0.75f, 2.0f};
    wz_quant_spec q = {WZ_Q_INT8, WZ_GRAN_TENSOR, 0, 0, 0};
    wz_quant_out o;
    assert_int_equal(wz_quantize(w, 1, 8, &q, &o), WZ_OK);
    assert_true(fabsf(o.scales[0] - 2.0f / 127) < 1e-9f);
    assert_int_equal((int8_t)o.codes[7], 127);
    assert_int_equal((int8_t)o.codes[0], -64); /* round(-1 / (2/127)) = round(-63.5) = -64 (even) */
    wz_quant_free(&o);
    wz_quant_spec q4 = {WZ_Q_INT4, WZ_GRAN_GROUP, 4, 1, 0};
    assert_int_equal(wz_quantize(w, 1, 8, &q4, &o), WZ_OK);
    /* group 0: min -1, max 0.25 -> s = 1.25/15, z = round(1/s) = 12 */
    assert_true(fabsf(o.scales[0] - 1.25f / 15) < 1e-7f);
    assert_int_equal(o.zeros[0], 12);
    assert_int_equal(o.codes[0], 0);
    assert_int_equal(o.codes[3], 15);
    /* group 1: min -0.25, max 2 -> s = 2.25/15, z = round(0.25/s) = 2 */
    assert_int_equal(o.zeros[1], 2);
    for (int i = 0; i < 8; i++) assert_true(fabsf(wz_dequant(&q4, &o, (uint64_t)i) - w[i]) <= o.scales[i / 4] / 2 + 1e-6f);
    wz_quant_free(&o);
    wz_quant_spec f4 = {WZ_Q_FP4, WZ_GRAN_GROUP, 32, 0, 0};
    float v[32];
    for (int i = 0; i < 32; i++) v[i] = (float)i * 0.25f; /* amax 7.75 -> scale 2^(2-2) = 1 */
    assert_int_equal(wz_quantize(v, 1, 32, &f4, &o), WZ_OK);
    assert_true(o.scales[0] == 1.0f);
    assert_int_equal(o.codes[24], 0x7); /* 6.0 */
    assert_int_equal(o.codes[31], 0x7); /* 7.75 saturates to 6 */
    wz_quant_free(&o);
}

static void test_container_byte_identical(void **st)
{
    const char *p = real_path("isnet-u8.safetensors");
    const char *src = p;
    char tmpst[256];
    if (!src) { /* no ../shared: build a small safetensors file */
        uint8_t d[8192];
        for (int i = 0; i < 8192; i++) d[i] = (uint8_t)(i * 7 % 13);
        size_t n;
        uint8_t *img = make_safetensors("{\"w\":{\"dtype\":\"U8\",\"shape\":[64,128],\"data_offsets\":[0,8192]}}", d, 8192, &n);
        snprintf(tmpst, sizeof tmpst, "%s", tmp_file(img, n, ".safetensors"));
        free(img);
        src = tmpst;
    }
    char wz[256], back[256];
    snprintf(wz, sizeof wz, "/tmp/wztest_%d.wz", (int)getpid());
    snprintf(back, sizeof back, "/tmp/wztest_%d.back", (int)getpid());
    wz_codec_params cp;
    wz_codec_params_default(&cp);
    wz_container_stats s;
    assert_int_equal(wz_container_compress(src, wz, wz_codec_find("tile-ans"), &cp, &s), WZ_OK);
    assert_int_equal(wz_container_decompress(wz, back), WZ_OK);
    FILE *a = fopen(src, "rb"), *b = fopen(back, "rb");
    int ca, cb, same = 1;
    do { ca = fgetc(a); cb = fgetc(b); if (ca != cb) same = 0; } while (ca != EOF && cb != EOF);
    fclose(a); fclose(b);
    assert_true(same);
    /* Corrupt one byte in the middle: a clear error, never a crash or silent success. */
    FILE *f = fopen(wz, "r+b");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    for (int k = 1; k < 8; k++) {
        fseek(f, len * k / 8, SEEK_SET);
        int c = fgetc(f);
        fseek(f, len * k / 8, SEEK_SET);
        fputc(c ^ 0x10, f);
        fflush(f);
        assert_int_not_equal(wz_container_decompress(wz, back), WZ_OK);
        fseek(f, len * k / 8, SEEK_SET);
        fputc(c, f);
        fflush(f);
    }
    fclose(f);
    assert_int_equal(truncate(wz, len / 2), 0);
    assert_int_not_equal(wz_container_decompress(wz, back), WZ_OK);
    unlink(wz); unlink(back);
}

/* A byte flipped inside the stored safetensors header (its JSON, kept
 * verbatim) fails the header's checksum: before container v2 such a flip
 * decompressed "successfully" to a different file. */
static void test_container_header_checked(void **st)
{
    uint8_t d[8192];
    for (int i = 0; i < 8192; i++) d[i] = (uint8_t)(i * 7 % 13);
    size_t n;
    uint8_t *img = make_safetensors("{\"w\":{\"dtype\":\"U8\",\"shape\":[64,128],\"data_offsets\":[0,8192]}}", d, 8192, &n);
    char src[256], wz[256], back[256];
    snprintf(src, sizeof src, "%s", tmp_file(img, n, ".safetensors"));
    free(img);
    snprintf(wz, sizeof wz, "/tmp/wztest_h_%d.wz", (int)getpid());
    snprintf(back, sizeof back, "/tmp/wztest_h_%d.back", (int)getpid());
    wz_codec_params cp;
    wz_codec_params_default(&cp);
    wz_container_stats s;
    assert_int_equal(wz_container_compress(src, wz, wz_codec_find("tile-ans"), &cp, &s), WZ_OK);
    FILE *f = fopen(wz, "r+b");
    char buf[4096];
    const size_t got = fread(buf, 1, sizeof buf, f);
    const char *at = memmem(buf, got, "shape", 5);
    assert_non_null(at);
    fseek(f, at - buf, SEEK_SET);
    fputc('S', f); /* "Shape": still valid JSON, a different file */
    fclose(f);
    assert_int_equal(wz_container_decompress(wz, back), WZ_ERR_CHECKSUM);
    unlink(wz); unlink(back); unlink(src);
}

/* A directory (a safetensors shard + a JSON file) comes back file for file. */
static void test_container_directory(void **st)
{
    char dir[] = "/tmp/wzdirXXXXXX", out[300], wz[300], p[400];
    assert_non_null(mkdtemp(dir));
    uint8_t d[8192];
    for (int i = 0; i < 8192; i++) d[i] = (uint8_t)(i * 7 % 13);
    size_t n;
    uint8_t *img = make_safetensors("{\"w\":{\"dtype\":\"U8\",\"shape\":[64,128],\"data_offsets\":[0,8192]}}", d, 8192, &n);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    FILE *f = fopen(p, "wb"); fwrite(img, 1, n, f); fclose(f);
    snprintf(p, sizeof p, "%s/config.json", dir);
    f = fopen(p, "w"); fputs("{\"hidden\": 64}\n", f); fclose(f);
    snprintf(wz, sizeof wz, "%s.wz", dir);
    snprintf(out, sizeof out, "%s.out", dir);
    wz_codec_params cp;
    wz_codec_params_default(&cp);
    wz_container_stats s;
    assert_int_equal(wz_container_compress(dir, wz, wz_codec_find("tans"), &cp, &s), WZ_OK);
    assert_int_equal(s.files, 2);
    assert_int_equal(wz_container_decompress(wz, out), WZ_OK);
    char cmd[1000];
    snprintf(cmd, sizeof cmd, "diff -r %s %s >/dev/null", dir, out);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s %s %s", dir, out, wz);
    assert_int_equal(system(cmd), 0);
    free(img);
}

static void test_awq_pack_matches_reader(void **st)
{
    /* codes [out=16][in=4] packed by wz_awq_pack, unpacked by the reader. */
    uint8_t codes[64];
    for (int i = 0; i < 64; i++) codes[i] = (uint8_t)((i * 5) % 16);
    uint32_t qw[4 * 2];
    wz_awq_pack(codes, 16, 4, qw);
    uint16_t sc[16] = {0};
    uint8_t d[32 + 32];
    memcpy(d, qw, 32); memcpy(d + 32, sc, 32);
    size_t n;
    uint8_t *img = make_safetensors("{\"l.qweight\":{\"dtype\":\"I32\",\"shape\":[4,2],\"data_offsets\":[0,32]},"
                                    "\"l.scales\":{\"dtype\":\"F16\",\"shape\":[1,16],\"data_offsets\":[32,64]}}", d, 64, &n);
    wz_model *m;
    assert_int_equal(wz_model_from_buffer(img, n, WZ_SRC_SAFETENSORS, &m), WZ_OK);
    uint8_t back[64];
    assert_int_equal(wz_tensor_codes(wz_model_find(m, "l.qweight"), back, NULL), WZ_OK);
    assert_memory_equal(back, codes, 64);
    wz_model_close(m);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_huffman_lengths_limited_and_complete),
        cmocka_unit_test(test_rans_normalize_sums_and_keeps_symbols),
        cmocka_unit_test(test_tans_round_trip_all_logs),
        cmocka_unit_test(test_small_float_codes),
        cmocka_unit_test(test_quantizer_formulas),
        cmocka_unit_test(test_awq_pack_matches_reader),
        cmocka_unit_test(test_every_codec_round_trips),
        cmocka_unit_test(test_tile_ans_pair_escapes),
        cmocka_unit_test(test_tile_ans_split16),
        cmocka_unit_test(test_tile_ans_lane_states),
        cmocka_unit_test(test_tile_ans_mma_order),
        cmocka_unit_test(test_tile_ans_mma_order_is_ptx_fragment),
        cmocka_unit_test(test_bitmap4_mma_order),
        cmocka_unit_test(test_bitmap4_escape_list),
        cmocka_unit_test(test_pairhuff_escapes_and_edges),
        cmocka_unit_test(test_pairhuff_segment_bounds_checked),
        cmocka_unit_test(test_pairhuff_gpu_table_matches_codes),
        cmocka_unit_test(test_bitmap4_mma_order_is_ptx_fragment),
        cmocka_unit_test(test_tile_ans_reads_v3),
        cmocka_unit_test(test_hostile_blobs),
        cmocka_unit_test(test_container_byte_identical),
        cmocka_unit_test(test_container_header_checked),
        cmocka_unit_test(test_container_directory),
    };
    return cmocka_run_group_tests_name("codecs", tests, setup, teardown);
}
