/* huffman.c — code construction (two-queue Huffman, Kraft repair, canonical
 * assignment) and the lookup table. */
#include "codecs/huffman/huffman.h"
#include <stdlib.h>
#include <string.h>

typedef struct { uint64_t w; int sym; } node_in;
static int cmp_node(const void *a, const void *b)
{
    const node_in *x = a, *y = b;
    return x->w < y->w ? -1 : x->w > y->w ? 1 : x->sym - y->sym;
}

wz_err wz_huf_build(const uint64_t counts[256], int maxbits, wz_huf_code *c)
{
    if (maxbits < 1 || maxbits > WZ_HUF_MAX_BITS) return wz_fail(WZ_ERR_ARG, "huffman: maxbits %d", maxbits);
    memset(c, 0, sizeof *c);
    node_in leaf[256];
    int n = 0;
    for (int s = 0; s < 256; s++) if (counts[s]) leaf[n++] = (node_in){counts[s], s};
    if (n == 0) return wz_fail(WZ_ERR_ARG, "huffman: empty histogram");
    if (n == 1) { c->len[leaf[0].sym] = 1; return wz_huf_assign(c); }
    qsort(leaf, (size_t)n, sizeof *leaf, cmp_node);
    /* Two-queue construction: leaves sorted, internal nodes created in
     * nondecreasing weight order. parent[] over 2n-1 nodes gives depths. */
    uint64_t w[511];
    int parent[511], li = 0, ii = n, in_end = n;
    for (int i = 0; i < n; i++) w[i] = leaf[i].w;
    for (int k = 0; k < n - 1; k++) {
        int pick[2];
        for (int t = 0; t < 2; t++) {
            if (li < n && (ii >= in_end || w[li] <= w[ii])) pick[t] = li++;
            else pick[t] = ii++;
        }
        w[in_end] = w[pick[0]] + w[pick[1]];
        parent[pick[0]] = parent[pick[1]] = in_end;
        in_end++;
    }
    int depth[511];
    depth[in_end - 1] = 0;
    for (int i = in_end - 2; i >= 0; i--) depth[i] = depth[parent[i]] + 1;
    int len[256] = {0};
    for (int i = 0; i < n; i++) len[i] = depth[i];
    /* Limit: clamp, then lengthen the cheapest codes until Kraft holds. */
    int64_t kraft = 0, full = (int64_t)1 << maxbits;
    for (int i = 0; i < n; i++) { if (len[i] > maxbits) len[i] = maxbits; kraft += (int64_t)1 << (maxbits - len[i]); }
    while (kraft > full) {
        /* leaf i (sorted ascending by weight) with the smallest weight whose
         * code can still grow: lengthening costs w bits, frees 2^(L-len-1). */
        int best = -1;
        for (int i = 0; i < n; i++) if (len[i] < maxbits) { best = i; break; }
        if (best < 0) return wz_fail(WZ_ERR_ARG, "huffman: %d symbols cannot fit %d bits", n, maxbits);
        kraft -= (int64_t)1 << (maxbits - len[best] - 1);
        len[best]++;
    }
    /* Spend any slack on the heaviest symbols. */
    for (int i = n - 1; i >= 0; i--)
        while (len[i] > 1 && kraft + ((int64_t)1 << (maxbits - len[i])) <= full) { kraft += (int64_t)1 << (maxbits - len[i]); len[i]--; }
    for (int i = 0; i < n; i++) c->len[leaf[i].sym] = (uint8_t)len[i];
    return wz_huf_assign(c);
}

wz_err wz_huf_assign(wz_huf_code *c)
{
    int bl[WZ_HUF_MAX_BITS + 2] = {0};
    for (int s = 0; s < 256; s++) {
        if (c->len[s] > WZ_HUF_MAX_BITS) return wz_fail(WZ_ERR_CORRUPT, "huffman: code length %u > %d", c->len[s], WZ_HUF_MAX_BITS);
        if (c->len[s]) bl[c->len[s]]++;
    }
    int64_t kraft = 0;
    for (int l = 1; l <= WZ_HUF_MAX_BITS; l++) kraft += (int64_t)bl[l] << (WZ_HUF_MAX_BITS - l);
    if (kraft > (1 << WZ_HUF_MAX_BITS)) return wz_fail(WZ_ERR_CORRUPT, "huffman: code lengths oversubscribed");
    uint32_t next[WZ_HUF_MAX_BITS + 2] = {0}, code = 0;
    for (int l = 1; l <= WZ_HUF_MAX_BITS; l++) { code = (code + (uint32_t)bl[l - 1]) << 1; next[l] = code; }
    for (int s = 0; s < 256; s++) if (c->len[s]) c->code[s] = (uint16_t)next[c->len[s]]++;
    return WZ_OK;
}

void wz_huf_dtable(const wz_huf_code *c, uint16_t dt[1 << WZ_HUF_MAX_BITS])
{
    /* Unused prefixes (incomplete codes) decode as length 0: an error marker. */
    memset(dt, 0, sizeof(uint16_t) << WZ_HUF_MAX_BITS);
    for (int s = 0; s < 256; s++) {
        int l = c->len[s];
        if (!l) continue;
        uint32_t first = (uint32_t)c->code[s] << (WZ_HUF_MAX_BITS - l), cnt = 1u << (WZ_HUF_MAX_BITS - l);
        for (uint32_t k = 0; k < cnt; k++) dt[first + k] = (uint16_t)(s | l << 8);
    }
}

void wz_huf_dtable_multi(const wz_huf_code *c, uint64_t dt[1 << WZ_HUF_MAX_BITS])
{
    uint16_t one[1 << WZ_HUF_MAX_BITS];
    wz_huf_dtable(c, one);
    const uint32_t M = (1u << WZ_HUF_MAX_BITS) - 1;
    for (uint32_t i = 0; i <= M; i++) {
        uint32_t syms = 0, cnt = 0, pos = 0;
        while (cnt < 4) {
            uint16_t e = one[(i << pos) & M];
            uint32_t l = e >> 8;
            if (!l || l > WZ_HUF_MAX_BITS - pos) break; /* no code, or not wholly inside the 12 bits */
            syms |= (uint32_t)(e & 0xff) << (8 * cnt++);
            pos += l;
        }
        dt[i] = cnt ? (uint64_t)syms | (uint64_t)cnt << 32 | (uint64_t)pos << 40
                    : (uint64_t)1 << 32 | (uint64_t)WZ_HUF_MAX_BITS << 40 | (uint64_t)1 << 48;
    }
}

double wz_huf_cost_bits(const wz_huf_code *c, const uint64_t counts[256])
{
    double b = 0;
    for (int s = 0; s < 256; s++) b += (double)counts[s] * c->len[s];
    return b;
}
