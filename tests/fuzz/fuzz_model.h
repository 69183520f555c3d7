/* fuzz_model.h — the body shared by the parser fuzz targets: parse `data` as
 * one source kind; every tensor accepted must lie inside the buffer and be
 * analysable without faults. */
#include <stdlib.h>
#include "analysis/analysis.h"
#include "datasets/datasets.h"

static int fuzz_model(const unsigned char *data, size_t size, wz_source_kind kind)
{
    wz_model *m;
    if (wz_model_from_buffer(data, size, kind, &m) != WZ_OK) return 0;
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
