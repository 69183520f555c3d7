/* bitmap.c — ZipServ-style fixed-length exponent code, the cheap-to-decode
 * baseline: a 3-bit code per bf16 weight indexes a window of 7 consecutive
 * exponents chosen per tensor (the window that covers most weights); code 7
 * escapes to an exponent byte in a side list. Sign+mantissa travel raw.
 *
 * Layout (GEMV-friendly, same lane mapping as tile-ans): the matrix is cut
 * into 32x32 blocks; lane l of a warp owns row l of a block, bit s of its
 * words is column s. A block is 3 bit-planes (3 x 32 x u32, plane-major so
 * a warp loads each plane as one 128-byte line) followed by 32 x 32 raw
 * bytes (lane-major: each lane loads its 32 bytes as two 16-byte vectors).
 * Escapes are listed per block in (lane, column) order; esc_off[b] is where
 * block b's list starts, so a lane finds its escapes with a warp prefix sum
 * of popc(escape mask). No serial dependency anywhere: decode is a handful
 * of bit operations per weight.
 *
 * `bitmap4` is the same layout with 4-bit codes (a window of 15 exponents,
 * code 15 escapes), nibble-packed so a GPU lane turns a code *byte* (two
 * weights) into both exponents with one table lookup: 12 bits per weight
 * instead of ~11.3, in exchange for a decoder with ~4x fewer instructions and
 * ~100x fewer escapes.
 *
 * bitmap4 also has the MMA element order (v2 blob, codecs.h): the same
 * codes and raw bytes, but each lane's 16 pairs are its tensor-core A
 * fragments, so the fused GPU kernel feeds mma.sync without a shared-memory
 * stage or CUDA-core FMAs (kernels/bitmap.cu). */
#include "codecs/codecs.h"
#include <stdlib.h>
#include <string.h>


static int bm_supports(wz_dtype dt) { return dt == WZ_DT_BF16; }
#define BM_BLOCK_BYTES(w) wz_bm_block_bytes(w)

static uint64_t nblocks_of(uint64_t rows, uint64_t cols) { return ((rows + 31) / 32) * ((cols + 31) / 32); }

/* Block position (row << 5 | column) of weight s of lane l, for every (l, s)
 * once per call: wz_bm_pos's arithmetic per weight cost the MMA-order
 * decoder 20% of its speed. */
static void pos_table(int order, uint16_t pos[1024])
{
    for (int l = 0; l < 32; l++)
        for (int s = 0; s < 32; s++) {
            int r, c;
            wz_bm_pos(order, l, s, &r, &c);
            pos[l * 32 + s] = (uint16_t)(r << 5 | c);
        }
}

static size_t bm_layout(int width, uint64_t nb, uint64_t nesc, size_t *blocks_off, size_t *esc_off)
{
    *blocks_off = (sizeof(wz_bm_header) + (nb + 1) * 4 + 15) & ~(size_t)15;
    *esc_off = *blocks_off + nb * BM_BLOCK_BYTES(width);
    return *esc_off + nesc;
}

static size_t bm_bound(const wz_codec_params *p, const wz_codec_input *in)
{
    size_t a, b;
    uint64_t nb = nblocks_of(in->rows, in->cols);
    return bm_layout(4, nb, nb * 1024, &a, &b);
}

wz_err wz_bm_parse(const uint8_t *src, size_t len, wz_bm_view *v)
{
    const wz_bm_header *h = (const wz_bm_header *)src;
    if (len < sizeof *h) return wz_fail(WZ_ERR_CORRUPT, "bitmap blob of %zu bytes is shorter than its header", len);
    if (h->magic != WZ_BM_MAGIC) return wz_fail(WZ_ERR_CORRUPT, "bitmap: bad magic");
    if (h->version != 1 && h->version != WZ_BM_VERSION_MMA) return wz_fail(WZ_ERR_UNSUPPORTED, "bitmap: version %u", h->version);
    WZ_TRY(wz_codec_check_shape(h->rows, h->cols, "bitmap"));
    if (h->width != 3 && h->width != 4) return wz_fail(WZ_ERR_CORRUPT, "bitmap: code width %u invalid", h->width);
    if (h->version == 1 ? h->order != 0 : h->order != WZ_TA_ORDER_MMA || h->width != 4)
        return wz_fail(WZ_ERR_CORRUPT, "bitmap: v%u header with element order %u (v2: the MMA order, bitmap4 only)", h->version, h->order);
    int W = (1 << h->width) - 1;
    if (h->base > 256 - W) return wz_fail(WZ_ERR_CORRUPT, "bitmap: window base %u invalid", h->base);
    uint64_t nb = nblocks_of(h->rows, h->cols);
    if (h->nesc > nb * 1024) return wz_fail(WZ_ERR_CORRUPT, "bitmap: %llu escapes for %llu blocks", (unsigned long long)h->nesc, (unsigned long long)nb);
    size_t bo, eo;
    if (bm_layout(h->width, nb, h->nesc, &bo, &eo) != len) return wz_fail(WZ_ERR_CORRUPT, "bitmap: blob is %zu bytes, header implies another size (truncated?)", len);
    v->h = h;
    v->nblocks = nb;
    v->order = h->version == WZ_BM_VERSION_MMA ? WZ_TA_ORDER_MMA : WZ_TA_ORDER_ROWS;
    v->esc_off = (const uint32_t *)(src + sizeof *h);
    v->blocks = src + bo;
    v->esc = src + eo;
    if (v->esc_off[0] != 0 || v->esc_off[nb] != h->nesc) return wz_fail(WZ_ERR_CORRUPT, "bitmap: escape index does not span the list");
    for (uint64_t b = 0; b < nb; b++) {
        if (v->esc_off[b + 1] < v->esc_off[b] || v->esc_off[b + 1] - v->esc_off[b] > 1024)
            return wz_fail(WZ_ERR_CORRUPT, "bitmap: block %llu escape range invalid", (unsigned long long)b);
        /* The planes must announce exactly as many escapes as the index. */
        const uint8_t *blk = v->blocks + b * BM_BLOCK_BYTES(h->width);
        uint32_t cnt = 0;
        for (int l = 0; l < 32; l++)
            for (int s = 0; s < 32; s++) cnt += wz_bm_code(blk, h->width, l, s) == W;
        if (cnt != v->esc_off[b + 1] - v->esc_off[b]) return wz_fail(WZ_ERR_CORRUPT, "bitmap: block %llu escape count mismatch", (unsigned long long)b);
    }
    return WZ_OK;
}

static wz_err bm_encode_w(int width, int order, const wz_codec_input *in, uint8_t *dst, size_t cap, size_t *len, wz_cost *cost)
{
    if (in->dtype != WZ_DT_BF16) return wz_fail(WZ_ERR_UNSUPPORTED, "bitmap: bf16 only");
    if (order != WZ_TA_ORDER_ROWS && order != WZ_TA_ORDER_MMA) return wz_fail(WZ_ERR_ARG, "bitmap: element order %d (0 = rows, 1 = mma)", order);
    if (width != 4) order = WZ_TA_ORDER_ROWS; /* the 3-bit planes have no GPU kernel in the MMA order: rows (as tile-ans's non-PAIR16 models) */
    const int W = (1 << width) - 1; /* window size; code W escapes */
    const uint16_t *x = in->data;
    uint64_t n = in->rows * in->cols, hist[256] = {0};
    for (uint64_t i = 0; i < n; i++) hist[wz_split_sym(x[i], 1)]++;
    uint64_t best;
    const int base = (int)wz_best_window(hist, (uint32_t)W, &best);
    uint64_t nb = nblocks_of(in->rows, in->cols), bc = (in->cols + 31) / 32, nesc = n - best;
    size_t bo, eo, total = bm_layout(width, nb, nesc, &bo, &eo);
    if (total > cap) return wz_fail(WZ_ERR_DST_SIZE, "bitmap: output buffer too small");
    const int mma = order == WZ_TA_ORDER_MMA;
    wz_bm_header h = {WZ_BM_MAGIC, mma ? WZ_BM_VERSION_MMA : 1, (uint8_t)in->dtype, (uint8_t)base, (uint8_t)width, (uint8_t)order, {0}, in->rows, in->cols, nesc};
    memset(dst, 0, bo);
    memcpy(dst, &h, sizeof h);
    uint32_t *eoff = (uint32_t *)(dst + sizeof h);
    uint8_t *esc = dst + eo;
    uint64_t e = 0;
    uint16_t pos[1024];
    pos_table(order, pos);
    for (uint64_t b = 0; b < nb; b++) {
        uint8_t *blk = dst + bo + b * BM_BLOCK_BYTES(width);
        uint32_t *pl = (uint32_t *)blk;
        size_t cb = BM_BLOCK_BYTES(width) - 1024; /* code bytes; raw follows */
        memset(blk, 0, BM_BLOCK_BYTES(width));
        eoff[b] = (uint32_t)e;
        uint64_t r0 = b / bc * 32, c0 = b % bc * 32;
        for (int l = 0; l < 32; l++)
            for (int s = 0; s < 32; s++) {
                uint64_t r = r0 + (pos[l * 32 + s] >> 5), c = c0 + (pos[l * 32 + s] & 31);
                if (r >= in->rows || c >= in->cols) continue;
                uint16_t u = x[r * in->cols + c];
                int ex = wz_split_sym(u, 1), code = ex - base;
                if (code < 0 || code >= W) { code = W; esc[e++] = (uint8_t)ex; }
                if (width == 4) blk[l * 16 + s / 2] |= (uint8_t)(code << (4 * (s & 1)));
                else for (int k = 0; k < 3; k++) pl[32 * k + l] |= (uint32_t)((code >> k) & 1) << s;
                blk[cb + l * 32 + s] = wz_split_raw(u, 1);
            }
    }
    eoff[nb] = (uint32_t)e;
    *len = total;
    if (cost) {
        cost->n = n;
        cost->h_full = wz_codec_input_entropy(in);
        cost->model_bits = (8.0 + width) * n + 8.0 * nesc; /* fixed-length: model = ideal = payload */
        cost->ideal_bits = cost->model_bits;
        cost->payload_bits = cost->model_bits;
        cost->total_bits = 8.0 * total;
    }
    return WZ_OK;
}

static wz_err bm_encode(const wz_codec_params *p, const wz_codec_input *in, uint8_t *dst, size_t cap, size_t *len, wz_cost *cost)
{
    return bm_encode_w(3, p->order, in, dst, cap, len, cost);
}
static wz_err bm4_encode(const wz_codec_params *p, const wz_codec_input *in, uint8_t *dst, size_t cap, size_t *len, wz_cost *cost)
{
    return bm_encode_w(4, p->order, in, dst, cap, len, cost);
}

static wz_err bm_decode(const uint8_t *src, size_t len, void *out, size_t out_bytes)
{
    wz_bm_view v;
    WZ_TRY(wz_bm_parse(src, len, &v));
    const wz_bm_header *h = v.h;
    if (out_bytes != h->rows * h->cols * 2) return wz_fail(WZ_ERR_DST_SIZE, "bitmap: output is %zu bytes, need %llu", out_bytes,
                                                            (unsigned long long)(h->rows * h->cols * 2));
    uint16_t *y = out;
    uint64_t bc = (h->cols + 31) / 32;
    uint16_t pos[1024];
    pos_table(v.order, pos);
    #pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < (int64_t)v.nblocks; b++) {
        const uint8_t *blk = v.blocks + (uint64_t)b * BM_BLOCK_BYTES(h->width);
        const int W = (1 << h->width) - 1;
        size_t cb = BM_BLOCK_BYTES(h->width) - 1024;
        uint32_t e = v.esc_off[b];
        uint64_t r0 = (uint64_t)b / bc * 32, c0 = (uint64_t)b % bc * 32;
        for (int l = 0; l < 32; l++)
            for (int s = 0; s < 32; s++) {
                int code = wz_bm_code(blk, h->width, l, s);
                int ex = code == W ? v.esc[e++] : h->base + code;
                uint64_t r = r0 + (pos[l * 32 + s] >> 5), c = c0 + (pos[l * 32 + s] & 31);
                if (r < h->rows && c < h->cols) y[r * h->cols + c] = wz_split_merge((uint8_t)ex, blk[cb + l * 32 + s], 1);
            }
    }
    return WZ_OK;
}

void wz_bm_escape_list(const wz_bm_view *v, uint32_t *out)
{
    const wz_bm_header *h = v->h;
    const int W = (1 << h->width) - 1;
    const size_t cb = BM_BLOCK_BYTES(h->width) - 1024;
    uint16_t pos[1024];
    pos_table(v->order, pos);
    #pragma omp parallel for schedule(dynamic, 256)
    for (int64_t b = 0; b < (int64_t)v->nblocks; b++) {
        uint32_t e = v->esc_off[b];
        if (v->esc_off[b + 1] == e) continue;
        const uint8_t *blk = v->blocks + (uint64_t)b * BM_BLOCK_BYTES(h->width);
        for (int l = 0; l < 32; l++)
            for (int s = 0; s < 32; s++)
                if (wz_bm_code(blk, h->width, l, s) == W) {
                    out[e] = pos[l * 32 + s] | (uint32_t)wz_split_merge(v->esc[e], blk[cb + l * 32 + s], 1) << 16;
                    e++;
                }
    }
}

void wz_bm_escape_slots(const wz_bm_view *v, const uint32_t *list, uint32_t *slots)
{
    for (uint64_t b = 0; b < v->nblocks; b++) {
        const uint32_t e = v->esc_off[b], n = v->esc_off[b + 1] - e;
        for (uint32_t j = 0; j < 2; j++)
            slots[2 * b + j] = j < n ? list[e + j] | WZ_BM_SLOT_VALID | (j == 0 && n > 2 ? WZ_BM_SLOT_MORE : 0u) : 0u;
    }
}

void wz_bm_escape_corrections(const wz_bm_view *v, const uint32_t *list, uint32_t *out)
{
    const uint64_t bc = (v->h->cols + 31) / 32;
    for (uint64_t b = 0; b < v->nblocks; b++)
        for (uint32_t e = v->esc_off[b]; e < v->esc_off[b + 1]; e++) {
            out[2 * e] = (uint32_t)(b % bc * 32 + (list[e] & 31));            /* column */
            out[2 * e + 1] = (list[e] >> 5 & 31) | (list[e] & 0xffff0000u); /* row in the block-row | bf16 << 16 */
        }
}

const wz_codec wz_codec_bitmap = {
    "bitmap", "ZipServ-style 3-bit window of 7 exponents + escapes, raw sign/mantissa", bm_supports, bm_bound, bm_encode, bm_decode,
};
const wz_codec wz_codec_bitmap4 = {
    "bitmap4", "4-bit window of 15 exponents + escapes, nibble-packed for a 1-lookup-per-2-weights GPU decoder", bm_supports, bm_bound, bm4_encode,
    bm_decode,
};
