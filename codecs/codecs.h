/* codecs.h — the codec registry: one struct per codec, one line to add one.
 *
 * A codec turns one tensor's stored codes into a self-describing blob and
 * back, bit-exactly. Input is the tensor in its stored element format: a
 * 16-bit array for bf16/fp16 (`elem_bytes` 2) or one byte per element for
 * byte/nibble formats (int8, u8, fp8, int4/fp4 codes; `elem_bytes` 1),
 * viewed as rows x cols (cols = the GEMM reduction dim).
 *
 * encode() also fills a wz_cost: the exact compressed size split into the
 * gap terms (see wz_cost), so `wzip bits` can show where every bit went. */
#ifndef WZ_CODECS_H
#define WZ_CODECS_H
#include <stddef.h>
#include <stdint.h>
#include "common/dtype.h"
#include "common/error.h"

typedef struct {
    wz_dtype dtype;      /* BF16, F16, or a <= 8-bit code format */
    uint64_t rows, cols;
    const void *data;    /* rows*cols elements: uint16_t or uint8_t codes */
} wz_codec_input;

typedef struct {
    int prob_bits;            /* ANS precision (default 12) */
    uint32_t tile_rows, tile_cols; /* tile-ans tile for 16-bit floats (default 64 x 256: the GPU kernels' tile) */
    uint32_t code_tile_rows, code_tile_cols; /* tile-ans tile for byte/nibble codes (default 512 x 512 =
                                      256 K symbols: the 32 lanes' final states cost 0.004 bit per code) */
    int threads;              /* 0 = all */
    int bf16_model;           /* tile-ans symbol model for bf16: WZ_TA_MODEL_PAIR16 (default) or
                                 WZ_TA_MODEL_SPLIT16 (one exponent per rANS step, the v1 format) */
    int code_prob_bits;       /* tile-ans precision for byte/nibble codes (default 15: a 256-code
                                 alphabet with long tails loses 0.05 bit/code to 2^12 slots, 0.002
                                 to 2^15; no GPU kernel reads codes yet, so the 12-bit GPU table
                                 limit does not apply) */
    int lane_states;          /* tile-ans rANS states per lane, 1 or 2; 0 = default 1 (smallest);
                                 2 gives each GPU lane two independent chains (kernels/NOTES.md v27) */
    int order;                /* element order of lane-owned 32-row blocks: WZ_TA_ORDER_ROWS
                                 (default, lane = row) or WZ_TA_ORDER_MMA (a lane's weight pairs
                                 are its mma.sync A-fragment registers). tile-ans: PAIR16 tiles
                                 (other models always use rows); bitmap4 (v2 blob); the 3-bit
                                 bitmap always uses rows */
} wz_codec_params;

/* Gap decomposition, all in bits for the whole tensor:
 *   total = H_full*n + model_loss + table_loss + coder_loss + framing
 * H_full: entropy of the full stored code (one histogram per tensor);
 * model_loss: n*(H of the codec's symbol model) - H_full*n (raw planes
 *   count at their stored width);
 * table_loss: sum over symbols of -log2 q(s) minus n*H_model's coded part
 *   (quantised probabilities / Huffman code lengths vs the empirical p);
 * coder_loss: payload bits actually written (streams, ANS final states,
 *   word rounding) minus the ideal cost under the quantised table;
 * framing: headers, tables, tile/offset indexes, padding. */
typedef struct {
    uint64_t n;            /* elements */
    double h_full;         /* bits/element */
    double model_bits;     /* n * H(symbol model) */
    double ideal_bits;     /* sum -log2 q(s) + raw bits */
    double payload_bits;   /* bits of streams written (incl. states) */
    double total_bits;     /* 8 * blob size */
} wz_cost;

typedef struct wz_codec {
    const char *name;
    const char *summary;
    int (*supports)(wz_dtype dt);
    size_t (*bound)(const wz_codec_params *p, const wz_codec_input *in);
    wz_err (*encode)(const wz_codec_params *p, const wz_codec_input *in, uint8_t *dst, size_t cap, size_t *len, wz_cost *cost);
    /* Decode into `out` (rows*cols elements of the input's element size). */
    wz_err (*decode)(const uint8_t *src, size_t len, void *out, size_t out_bytes);
} wz_codec;

extern const wz_codec wz_codec_tile_ans, wz_codec_bitmap, wz_codec_bitmap4, wz_codec_neuzip, wz_codec_dfloat11, wz_codec_tans, wz_codec_huff4,
    wz_codec_pairhuff;

size_t wz_codec_count(void);
const wz_codec *wz_codec_at(size_t i);
const wz_codec *wz_codec_find(const char *name);
void wz_codec_params_default(wz_codec_params *p);
/* Element size of the codec input for a dtype (2 for 16-bit, 1 for codes). */
int wz_codec_elem_bytes(wz_dtype dt);
/* Entropy of the full stored code of an input, bits/element. */
double wz_codec_input_entropy(const wz_codec_input *in);

/* The shape check every blob parser shares (1 <= rows, cols <= 2^40). */
wz_err wz_codec_check_shape(uint64_t rows, uint64_t cols, const char *codec);
/* Bits of n symbols under their own empirical distribution: n * H(counts). */
double wz_codec_model_bits(const uint64_t counts[256], uint64_t n);

/* Model loss, table loss, coder loss and framing per element, from a cost. */
typedef struct { double h_full, model, table, coder, framing, total; } wz_gap;
wz_gap wz_cost_gap(const wz_cost *c);

/* --- the .wz container (codecs/container/container.c): safetensors files
 * and directories, compressed tensor by tensor, restored byte-identical --- */
typedef struct { uint32_t files; uint64_t raw_bytes, coded_in, coded_out; } wz_container_stats;
wz_err wz_container_compress(const char *in_path, const char *out_path, const wz_codec *codec, const wz_codec_params *cp,
                             wz_container_stats *st);
wz_err wz_container_decompress(const char *in_path, const char *out_path);

/* --- the tile-ans blob, shared with kernels/ (the GPU reads these bytes) --- */
#define WZ_TA_MAGIC 0x41545a57u /* "WZTA" */
#define WZ_TA_VERSION 5 /* v5: element order; v4 (lane_states) and v3 blobs still read */
/* Symbol models. CODES: symbol = the byte/nibble code. SPLIT16: symbol =
 * exponent byte (bf16) or high byte (fp16), sign|mantissa byte raw.
 * PAIR16 (bf16 default, v2): one rANS symbol per two weights of a lane: the
 * exponents of both, each as a 4-bit code c = e - ebase in 0..14 of a window
 * of 15 exponents (15 = escape: the exponent travels raw in the tile's
 * escape bytes); symbol = c1 | c2 << 4. Halves table lookups, state updates
 * and refills per weight on the GPU (kernels/NOTES.md v15). PAIR16 also
 * carries each lane's last two raw bytes in its rANS state ("bits back", v3:
 * the encoder starts the lane at 2^16 + r_last << 8 | r_second_last, so the
 * decoder ends there instead of at 2^16): 16 of the 32 state bits per lane
 * and tile stop being overhead (-0.031 bit/weight at 64x256).
 * v4: `ilp` rANS states per lane (1, the default, or 2): a lane's step j
 * uses state j % ilp, so a GPU lane can run two independent state chains;
 * with bits back each state carries two raw bytes (the lane's last 2*ilp).
 * v3 blobs are read as ilp 1.
 * v5: the element order (PAIR16 only). ROWS: lane l of a 16-step group
 * holds row l of its 32-row group, pair step i its columns 2i, 2i+1 (v1-v4).
 * MMA: the same 32 x 16 block of the group, but lane l's eight pairs are
 * the registers the mma.sync m16n8k16 A fragment wants: pair step i = 4 rb
 * + a holds row 16 rb + l/4 + 8 (a & 1), columns 2 (l % 4) + 8 (a >> 1) and
 * +1. Every pair is still two adjacent columns of one row (same symbol
 * statistics, same size); a GPU lane decodes straight into tensor-core
 * operands (kernels/NOTES.md v30). v4 blobs are ROWS. */
enum { WZ_TA_MODEL_CODES = 0, WZ_TA_MODEL_SPLIT16 = 1, WZ_TA_MODEL_PAIR16 = 2 };
enum { WZ_TA_ORDER_ROWS = 0, WZ_TA_ORDER_MMA = 1 };
#define WZ_TA_ESC 15u
typedef struct {
    uint32_t magic;
    uint16_t version;
    uint8_t dtype, model;      /* model: WZ_TA_MODEL_* */
    uint8_t prob_bits, lanes, ebase; /* ebase: PAIR16 window base exponent */
    uint8_t ilp : 4, order : 4; /* states per lane (v4; v3: a zero byte), element order WZ_TA_ORDER_* (v5) */
    uint32_t tile_rows, tile_cols;
    uint64_t rows, cols;
    uint32_t tiles_r, tiles_c;
    uint64_t nwords;           /* 16-bit words in all streams */
    uint64_t nesc;             /* PAIR16: escaped exponents in all tiles */
    uint16_t freq[256];        /* rANS table, sums to 2^prob_bits */
} wz_ta_header;
/* Layout after the header (all offsets derived, nothing trusted):
 *   uint32 word_off[ntiles+1]     start of each tile's stream, in words
 *   uint32 states[ntiles][32*ilp] initial decoder states (state s*32 + lane)
 *   uint32 esc_off[ntiles+1]      PAIR16 only: first escape byte of each tile
 *   uint16 words[nwords]          (starts 16-byte aligned, padded to 16 bytes)
 *   uint8  raw[ntiles][T*K - 64*ilp or T*K] SPLIT16/PAIR16: raw sign|mantissa
 *                                 byte per element, in lane-blocked order
 *                                 (wz_ta_raw_pos; PAIR16 leaves out each
 *                                 lane's last 2*ilp, which ride in its states)
 *   uint8  esc[nesc]              PAIR16: escaped exponents, per tile in
 *                                 decode order (pair step, lane, first/second) */
typedef struct {
    const wz_ta_header *h;
    const uint32_t *word_off, *states, *esc_off;
    const uint16_t *words;
    const uint8_t *raw, *esc;
    uint64_t ntiles, tile_elems;
    uint32_t ilp;              /* states per lane (v3 blobs: 1; the header's byte is 0 there) */
    uint32_t order;            /* element order, WZ_TA_ORDER_* (v3/v4 blobs: rows) */
} wz_ta_view;
/* Validate a blob and locate its parts. */
wz_err wz_ta_parse(const uint8_t *src, size_t len, wz_ta_view *v);
/* Byte position in the raw plane of element e (e = step*32 + lane) of tile k
 * (of nt tiles of te elements): lanes read 16 consecutive steps as one
 * 16-byte vector. cb: raw bytes per lane carried in its rANS states (PAIR16:
 * 2 per state, 2*ilp; else 0): each lane's last cb steps have no position
 * (UINT64_MAX), and every tile's last 16-step block, 16 - cb bytes per lane
 * (lane-major), sits in a tail after all tiles' other blocks, which stay
 * 512-byte aligned. */
static inline uint64_t wz_ta_raw_pos(uint64_t k, uint64_t nt, uint64_t e, uint64_t te, uint64_t cb)
{
    uint64_t step = e >> 5, lane = e & 31, q = step >> 4, main = te - 512;
    if (!cb) return k * te + q * 512 + lane * 16 + (step & 15);
    if (q * 512 < main) return k * main + q * 512 + lane * 16 + (step & 15);
    return (step & 15) < 16 - cb ? nt * main + k * 32 * (16 - cb) + lane * (16 - cb) + (step & 15) : UINT64_MAX;
}
/* Raw plane bytes per tile. */
static inline uint64_t wz_ta_raw_bytes(uint64_t te, uint64_t cb) { return te - 32 * cb; }
/* Raw bytes per lane carried in the states (bits back): PAIR16 only. */
static inline uint32_t wz_ta_carried(int model, uint32_t ilp) { return model == WZ_TA_MODEL_PAIR16 ? 2u * ilp : 0; }
/* PAIR16 4-bit exponent code of a bf16 exponent e in the window at ebase. */
static inline uint32_t wz_pair_code(uint32_t e, uint32_t ebase) { return e - ebase < WZ_TA_ESC ? e - ebase : WZ_TA_ESC; }
/* The W consecutive symbols (bf16 exponents) holding the most of hist's
 * count, the first such on ties: the exponent window of tile-ans PAIR16,
 * of the bitmap codecs and of the analyses that model them. *covered (if
 * not NULL) gets the count inside. */
static inline uint32_t wz_best_window(const uint64_t hist[256], uint32_t W, uint64_t *covered)
{
    uint64_t best = 0;
    uint32_t base = 0;
    for (uint32_t b = 0; b + W <= 256; b++) {
        uint64_t c = 0;
        for (uint32_t e = b; e < b + W; e++) c += hist[e];
        if (c > best) { best = c; base = b; }
    }
    if (covered) *covered = best;
    return base;
}
/* SPLIT16 symbol/raw split of a 16-bit code, and the merge back. */
static inline uint8_t wz_split_sym(uint16_t u, int bf16) { return bf16 ? (uint8_t)(u >> 7) : (uint8_t)(u >> 8); }
static inline uint8_t wz_split_raw(uint16_t u, int bf16) { return bf16 ? (uint8_t)(((u >> 8) & 0x80) | (u & 0x7f)) : (uint8_t)u; }
static inline uint16_t wz_split_merge(uint8_t s, uint8_t r, int bf16)
{
    return bf16 ? (uint16_t)(((r & 0x80) << 8) | (s << 7) | (r & 0x7f)) : (uint16_t)(s << 8 | r);
}

/* --- the NeuZip-layout blob (codecs/neuzip/neuzip.c), shared with kernels/ --- */
typedef struct {
    uint64_t rows, cols, nchunks, nwords;
    int prob_bits;
    const uint16_t *freq;
    const uint32_t *off, *states; /* [nchunks+1] word offsets, [nchunks][32] states */
    const uint16_t *words;        /* 16-byte aligned in the blob */
    const uint8_t *raw;           /* [rows*cols] sign|mantissa bytes */
} wz_nz_view;
wz_err wz_nz_parse(const uint8_t *src, size_t len, wz_nz_view *v);
uint32_t wz_nz_chunk_steps(uint64_t n, uint64_t chunk); /* 32-symbol steps of a chunk */
#define WZ_NZ_CHUNK 65536u

/* --- the DFloat11-format blob (codecs/dfloat11/dfloat11.c), shared with kernels/ --- */
#define WZ_DF_THREAD_BYTES 8    /* one GPU thread's chunk of the Huffman stream */
#define WZ_DF_BLOCK_THREADS 256 /* threads per output-position entry */
#define WZ_DF_NO_START 31       /* gap marker: no code starts in this chunk */
typedef struct {
    uint64_t rows, cols, enc_bits, nthreads, nblocks;
    const uint8_t *len;         /* [256] code lengths */
    const uint8_t *gaps;        /* 5-bit gaps, MSB-first bit stream */
    const uint32_t *block_out;  /* [nblocks+1] first output index per block */
    const uint8_t *enc;         /* nthreads * 8 bytes, MSB-first */
    const uint8_t *raw;         /* [rows*cols] sign|mantissa bytes */
} wz_df_view;
wz_err wz_df_parse(const uint8_t *src, size_t len, wz_df_view *v);

/* --- the bitmap blob (codecs/bitmap/bitmap.c), shared with kernels/ --- */
#define WZ_BM_MAGIC 0x4d425a57u /* "WZBM" */
/* v1: lane l of a block owns row l, its weight s column s. v2 (bitmap4
 * only): `order` = WZ_TA_ORDER_MMA — lane l's weight s is element s & 1 of
 * pair p = s / 2, and pair p = 8 kh + 4 rb + a sits at row 16 rb + l/4 +
 * 8 (a & 1), columns 16 kh + 2 (l % 4) + 8 (a >> 1) and +1: the lane's 16
 * code/raw pairs are its mma.sync m16n8k16 A fragments for the block's two
 * 16-column halves (the tile-ans MMA order, codecs.h v5, per half). Codes,
 * raw bytes and escapes are laid out by (lane, s) in both orders. */
#define WZ_BM_VERSION_MMA 2
typedef struct {
    uint32_t magic;
    uint16_t version;      /* 1 (rows) or 2 (order byte) */
    uint8_t dtype, base;   /* window = exponents base .. base+W-1, W = 2^width - 1 */
    uint8_t width;         /* 3: bit-planes (ZipServ), 4: nibbles */
    uint8_t order;         /* v2: WZ_TA_ORDER_MMA; v1: 0 (rows) */
    uint8_t pad[6];
    uint64_t rows, cols;
    uint64_t nesc;         /* escaped weights (exponent bytes in the list) */
} wz_bm_header;
typedef struct {
    const wz_bm_header *h;
    const uint32_t *esc_off; /* [nblocks+1] */
    const uint8_t *blocks;   /* [nblocks][wz_bm_block_bytes(width)] */
    const uint8_t *esc;      /* [nesc] */
    uint64_t nblocks;
    int order;               /* WZ_TA_ORDER_* */
} wz_bm_view;
wz_err wz_bm_parse(const uint8_t *src, size_t len, wz_bm_view *v);
/* Every escape of a parsed blob (counts checked by wz_bm_parse) as one word:
 * its position in its block (32 row + column, wz_bm_pos) | its whole bf16
 * value << 16; entry esc_off[b] + j is block b's j-th escape in the list's
 * order. out holds h->nesc words. The GPU decoders that patch escapes over
 * an escape-free tile read this (kernels/bm4_wgmma.cu, WZ_WG_EPV). */
void wz_bm_escape_list(const wz_bm_view *v, uint32_t *out);
/* The first two escapes of every block at a fixed place, so that a GPU
 * decoder loads them beside the block, from its index, with no load that
 * waits for another (the escape offset): slots[2 b + j] = block b's entry j
 * of `list` | VALID, or 0 where the block has fewer; entry 0 also carries
 * MORE where the block has more than two (the rest: list[esc_off[b] + 2 ..]).
 * A Poisson block of 0.57 escapes has more than two in ~2% of blocks. */
#define WZ_BM_SLOT_VALID (1u << 10)
#define WZ_BM_SLOT_MORE (1u << 11)
void wz_bm_escape_slots(const wz_bm_view *v, const uint32_t *list, uint32_t *slots);
/* Every escape as a correction the M <= 4 fused GPU kernel adds to its row's
 * sums (kernels/bitmap.cu, WZ_BM4_XCORR): out[2 e] = entry e's column in the
 * matrix, out[2 e + 1] = its row within its 32-row block-row | its bf16 << 16
 * (from `list`, wz_bm_escape_list). Same order as the list: block b's are
 * esc_off[b] .. esc_off[b + 1] - 1. out holds 2 h->nesc words. */
void wz_bm_escape_corrections(const wz_bm_view *v, const uint32_t *list, uint32_t *out);
/* Block = codes (width 3: three 128-byte bit-planes; width 4: 32 lanes x 16
 * bytes of nibbles) + 32 lanes x 32 raw bytes. */
static inline size_t wz_bm_block_bytes(int width) { return (width == 4 ? 512 : 384) + 1024; }
/* Row and column within its 32x32 block of weight s (0..31) of lane l. */
static inline void wz_bm_pos(int order, int l, int s, int *row, int *col)
{
    if (order != WZ_TA_ORDER_MMA) { *row = l; *col = s; return; }
    const int p = s >> 1, kh = p >> 3, rb = (p >> 2) & 1, a = p & 3;
    *row = 16 * rb + (l >> 2) + 8 * (a & 1);
    *col = 16 * kh + 2 * (l & 3) + 8 * (a >> 1) + (s & 1);
}
/* Code of weight s (0..31) of lane l in a block. */
static inline int wz_bm_code(const uint8_t *blk, int width, int l, int s)
{
    if (width == 4) return (blk[l * 16 + s / 2] >> (4 * (s & 1))) & 15;
    const uint32_t *pl = (const uint32_t *)blk;
    return (int)(((pl[l] >> s) & 1) | ((pl[32 + l] >> s) & 1) << 1 | ((pl[64 + l] >> s) & 1) << 2);
}

/* --- the pairhuff blob (codecs/pairhuff/pairhuff.c), for a GPU decoder ---
 * bf16 only, the bitmap4 MMA element order (32x32 blocks, lane l's weights
 * s = 2p, 2p+1 one pair of adjacent columns: wz_bm_pos). A pair's two
 * exponents are one symbol: the tensor's 255 most frequent pairs (symbols
 * 0..254, most frequent first) or WZ_PH_ESC, whose two exponent bytes (e0,
 * e1) sit in the escape list. Symbols are canonical Huffman codes of <= 12
 * bits (codecs/huffman), MSB-first.
 * A segment is seg_blocks consecutive blocks of one block row; its 32
 * lanes' bit streams are interleaved word by word in the order a warp
 * decoding in lockstep asks for them:
 *   each lane starts with word l of the segment (32 bits held);
 *   before every second pair step (p even: blocks in order, then p = 0..15)
 *   the lanes holding <= WZ_PH_REFILL_AT bits take the next words in lane
 *   order (a ballot and a prefix popcount on a GPU), one each;
 *   a step consumes the lane's code (<= 12 bits: two steps fit in the
 *   > 24 bits a lane then holds).
 * So no lane needs an offset; the encoder runs the same schedule, padding a
 * lane's stream with zero words when it asks past its end. Escapes: per
 * segment in (block, lane, pair) order, esc_off[s] the segment's first (in
 * escaped pairs), two bytes each (an index per block would cost 0.03 bit a
 * weight). Sign|mantissa bytes are bitmap4's raw plane: 1024 a block, lane
 * l's weight s at l * 32 + s. Layout: header, uint32 seg_off[nsegs + 1]
 * (words), uint32 esc_off[nsegs + 1], pad to 16,
 * uint32 words[nwords], pad to 16, uint8 raw[nblocks][1024], uint8
 * esc[2 nesc]. (v1, unreleased, had escapes inline and a refill check every
 * step: ~60 instructions a pair on the GPU; kernels/NOTES.md v41d.) */
#define WZ_PH_MAGIC 0x48505a57u /* "WZPH" */
#define WZ_PH_VERSION 2
#define WZ_PH_ESC 255u
#define WZ_PH_REFILL_AT 32 /* a lane holding this many bits or fewer takes a word (before even pair steps) */
typedef struct {
    uint32_t magic;
    uint16_t version;
    uint8_t dtype, seg_blocks; /* blocks a segment (1..64) */
    uint64_t rows, cols;
    uint64_t nsegs, nwords;
    uint64_t nesc;             /* escaped pairs */
    uint16_t pair[256];        /* symbol s < 255: exponents e0 << 8 | e1 */
    uint8_t len[256];          /* Huffman code length of each symbol, 0 = absent */
} wz_ph_header;
typedef struct {
    const wz_ph_header *h;
    const uint32_t *seg_off, *esc_off, *words;
    const uint8_t *raw, *esc;
    uint64_t nblocks, segs_per_row;
} wz_ph_view;
wz_err wz_ph_parse(const uint8_t *src, size_t len, wz_ph_view *v);
/* The exponents of the pair at (r, c) (c even) of a bf16 matrix, e0 << 8 |
 * e1; a column past the matrix gives exponent 0 (an odd last column), -1
 * when the pair lies outside. Shared with the pair-code analysis. */
static inline int32_t wz_ph_pair_key(const uint16_t *x, uint64_t rows, uint64_t cols, uint64_t r, uint64_t c)
{
    if (r >= rows || c >= cols) return -1;
    const uint32_t e0 = wz_split_sym(x[r * cols + c], 1), e1 = c + 1 < cols ? wz_split_sym(x[r * cols + c + 1], 1) : 0u;
    return (int32_t)(e0 << 8 | e1);
}
/* idx[0..65535] = the pair keys by count, most frequent first (ties: the
 * smaller key first): pairhuff's symbol order, and the analysis's. */
void wz_ph_rank_pairs(const uint64_t hist[65536], uint32_t idx[65536]);
/* The GPU kernels' decode table (kernels/pairhuff.cu), for every 12-bit
 * prefix: the two exponents placed for a bf16 pair (e0 at bits 7-14, e1 at
 * 23-30), the code length in bits 0-4, WZ_PH_GPU_ESC for the escape
 * symbol; 0 where no code starts. The header must have passed wz_ph_parse. */
#define WZ_PH_GPU_ESC 32u
void wz_ph_gpu_table(const wz_ph_header *h, uint32_t lut[4096]);
#endif
