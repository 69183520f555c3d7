/* fuzz_container.c — libFuzzer target: `wzip decompress` on arbitrary files. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "codecs/codecs.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char in[64], out[64];
    snprintf(in, sizeof in, "/tmp/fuzzwz_%d.wz", (int)getpid());
    snprintf(out, sizeof out, "/tmp/fuzzwz_%d.out", (int)getpid());
    FILE *f = fopen(in, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    (void)wz_container_decompress(in, out);
    unlink(out);
    return 0;
}
