/* fuzz_codecs.c — libFuzzer target: every codec's decoder on hostile blobs
 * (and, for bitmap blobs that parse, the GPU upload's escape list, slots
 * and corrections).
 * Input: byte 0 picks the codec, bytes 1-4 the output size (<= 1 MB), the
 * rest is the blob. A decoder must reject or decode within bounds. */
#include <stdlib.h>
#include <string.h>
#include "codecs/codecs.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 5) return 0;
    const wz_codec *c = wz_codec_at(data[0] % wz_codec_count());
    uint32_t ob;
    memcpy(&ob, data + 1, 4);
    ob %= (1u << 20);
    size_t n = size - 5;
    uint8_t *blob = malloc(n ? n : 1), *out = malloc(ob ? ob : 1);
    memcpy(blob, data + 5, n); /* exact-size copy: ASan catches over-reads */
    (void)c->decode(blob, n, out, ob);
    /* The GPU upload's escape list and slots (kernels/bitmap.cu) on any blob
     * that parses as a bitmap: they trust wz_bm_parse's checks alone. */
    wz_bm_view v;
    if (wz_bm_parse(blob, n, &v) == WZ_OK) {
        uint32_t *list = malloc(4 * v.h->nesc + 4), *slots = malloc(8 * v.nblocks + 8), *corr = malloc(8 * v.h->nesc + 8);
        wz_bm_escape_list(&v, list);
        wz_bm_escape_slots(&v, list, slots);
        wz_bm_escape_corrections(&v, list, corr);
        free(list); free(slots); free(corr);
    }
    free(blob); free(out);
    return 0;
}
