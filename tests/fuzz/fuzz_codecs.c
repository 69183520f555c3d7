/* fuzz_codecs.c — libFuzzer target: every codec's decoder on hostile blobs.
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
    free(blob); free(out);
    return 0;
}
