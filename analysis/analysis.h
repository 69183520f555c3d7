/* analysis.h — empirical entropy of weight tensors under several symbol models.
 *
 * The paper's definition: the symbol is the whole stored code (all 16 bits of
 * a bf16, the byte of an int8/fp8, the nibble of an int4/fp4), one histogram
 * per weight matrix, H = -sum p log2 p, and a model's entropy is the
 * parameter-weighted mean over matrices. Beside it we report the field
 * models a codec can use: exponent, sign+mantissa, mantissa conditioned on
 * exponent (H(value) = H(exp) + H(sign,mant | exp) exactly), byte planes, and
 * the mean entropy of T x K tiles with a histogram per tile. */
#ifndef WZ_ANALYSIS_H
#define WZ_ANALYSIS_H
#include <stdint.h>
#include "datasets/datasets.h"

/* Histograms (OpenMP across the input). `h` is zeroed and filled. */
void wz_hist16(const uint16_t *x, uint64_t n, uint64_t *h /* [65536] */);
void wz_hist8(const uint8_t *x, uint64_t n, uint64_t *h /* [256] */);
/* Shannon entropy in bits of a histogram; 0 for an empty one. */
double wz_entropy_of_counts(const uint64_t *h, uint64_t nbins);
/* Entropy of arbitrary 64-bit symbols (sorts a copy; for wide dtypes). */
wz_err wz_entropy_of_u64(const uint64_t *x, uint64_t n, double *bits, uint64_t *distinct);

typedef enum { WZ_AS_NATIVE = 0, WZ_AS_BF16, WZ_AS_F16 } wz_cast;

typedef struct {
    wz_cast as;            /* fp32 tensors: analyse as if cast (RNE) */
    uint32_t tile_rows, tile_cols; /* 0 = no tile analysis */
} wz_analyze_opts;

#define WZ_NA (-1.0) /* field does not apply to this dtype */

typedef struct {
    wz_dtype dtype;        /* dtype analysed (after --as) */
    uint64_t numel;
    double stored_bits;    /* per element, scales included */
    double full;           /* H(stored code): the paper's entropy */
    double exp, sign_mant, sm_given_exp; /* float fields, else WZ_NA */
    double hi_byte, lo_byte;             /* >= 16-bit codes, else WZ_NA */
    double tile;           /* mean per-tile H(code), WZ_NA if not computed */
    double top7_exp;       /* fraction of elements in the 7 most frequent exponents */
    uint64_t distinct;     /* distinct codes */
} wz_entropy_report;

/* Analyse one tensor. Works on every dtype the readers produce. */
wz_err wz_analyze_tensor(const wz_tensor *t, const wz_analyze_opts *o, wz_entropy_report *r);

/* What coding `group` adjacent exponents of a bf16 row as one rANS symbol
 * would cost (analysis/group_codes.c): window of 2^wbits - 1 exponents +
 * escape (escaped exponents as raw bytes), a 2^prob_bits-slot table,
 * sign+mantissa raw; framing not counted. group 2, wbits 4, prob_bits 12 is
 * tile-ans PAIR16. The columns past a row's last whole group are left out. */
typedef struct {
    int group, window_bits, prob_bits;
    uint32_t ebase;        /* first exponent of the window */
    uint64_t weights;      /* weights counted */
    uint64_t symbols;      /* distinct group symbols present */
    double escape_rate;    /* escaped exponents per weight */
    double ideal_bits;     /* per weight: H(group symbol) / group + 8 + 8 * escape_rate */
    double table_bits;     /* per weight, with the quantised table instead of H */
    uint64_t table_bytes;  /* a GPU decode table of 2^prob_bits 4-byte slots */
} wz_group_cost;
wz_err wz_group_code_cost(const uint16_t *w, uint64_t rows, uint64_t cols, int group, int wbits, int prob_bits, wz_group_cost *c);

/* What a fixed-length exponent code would cost (analysis/group_codes.c):
 * code_bits a weight for a window of 2^code_bits - 1 exponents, the last
 * code an escape whose exponent travels as a raw byte, sign+mantissa raw;
 * framing not counted. code_bits 4 is bitmap4. A GPU decoder's speed also
 * depends on where escapes fall: blocks are the codec's 32x32 tiles, lanes
 * a block's 32 lanes in the MMA element order (codecs.h, wz_bm_pos). */
typedef struct {
    int code_bits;
    uint32_t ebase;        /* first exponent of the window */
    uint64_t weights, escapes;
    uint64_t blocks, blocks_with_escape;
    uint64_t lanes_with_escape; /* of blocks x 32 */
    double bits;           /* per weight: 8 + code_bits + 8 * escapes / weights */
} wz_window_cost;
wz_err wz_window_code_cost(const uint16_t *w, uint64_t rows, uint64_t cols, int code_bits, wz_window_cost *c);

/* The same for a fixed-length code per exponent PAIR (analysis/group_codes.c):
 * code_bits a pair for the matrix's 2^code_bits - 1 most frequent pairs of
 * adjacent columns (2j, 2j+1) of a row — the pair a bitmap4 table lookup
 * yields today — the last code an escape whose two exponents travel as raw
 * bytes. Fills the same struct: escapes counts escaped exponents (2 a pair),
 * ebase is 0, bits = 8 + code_bits / 2 + 8 * escapes / weights. An odd last
 * column pairs with exponent 0. */
wz_err wz_pair_code_cost(const uint16_t *w, uint64_t rows, uint64_t cols, int code_bits, wz_window_cost *c);

/* Codes of a 16-bit view of `t` (native bf16/f16/i16/u16, or fp32 cast per
 * `as`) into a malloc'd buffer the caller frees; *dt gets the dtype. */
wz_err wz_tensor_u16(const wz_tensor *t, wz_cast as, uint16_t **out, wz_dtype *dt);


/* ---- serving capacity and throughput (serving.c states every assumption) ---- */
typedef struct {
    int layers, hidden, intermediate, heads, kv_heads, head_dim, experts, tied;
    long vocab;
} wz_serving_model;

typedef struct {
    int gpus;
    double mem_gb, mem_fraction, reserve_gb; /* per GPU */
    int seq;                                 /* KV tokens per sequence */
    double bits;                             /* bits per weight */
    int kv_heads_override;                   /* >0: KV computed with this many heads */
    double bandwidth_gbps;                   /* HBM bandwidth for KV and lm_head reads */
    /* Measured linear-op time of one reference layer vs tokens (optional). */
    const double *lat_m, *lat_us;
    int n_lat;
    double ref_layer_params;
} wz_serving_opts;

typedef struct {
    double params, weight_gb, kv_gb_per_seq, kv_pool_gb;
    int max_batch;
    double step_ms, tokens_per_s; /* 0 without a latency table */
} wz_serving_result;

void wz_serving_defaults(wz_serving_opts *o);
double wz_model_params(const wz_serving_model *m);
double wz_layer_linear_params(const wz_serving_model *m);
double wz_kv_bytes_per_token(const wz_serving_model *m, int kv_heads_override);
wz_err wz_serving_eval(const wz_serving_model *m, const wz_serving_opts *o, wz_serving_result *r);
#endif
