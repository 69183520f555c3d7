/* fuzz_llama2c.c — libFuzzer target: the llama2c parser on arbitrary bytes. Every
 * tensor it accepts must lie inside the buffer and unpack without faults. */
#include <stdlib.h>
#include "analysis/analysis.h"
#include "datasets/datasets.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    wz_model *m;
    if (wz_model_from_buffer(data, size, WZ_SRC_LLAMA2C, &m) != WZ_OK) return 0;
    for (size_t i = 0; i < wz_model_count(m); i++) {
        const wz_tensor *t = wz_model_tensor(m, i);
        if (t->data < data || t->data + t->nbytes > data + size) abort();
        if (t->numel > (1u << 20)) continue;
        wz_entropy_report r;
        wz_analyze_opts o = {WZ_AS_BF16, 8, 8};
        (void)wz_analyze_tensor(t, &o, &r);
    }
    wz_model_close(m);
    return 0;
}
