/* error.c — codes, names and the thread-local detail buffer. */
#include "common/error.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char g_detail[512];

const char *wz_err_name(wz_err e)
{
    static const char *const names[WZ_ERR__COUNT] = {
        "ok", "io", "format", "corrupt", "checksum", "unsupported", "argument", "nomem", "dst_size",
    };
    return (unsigned)e < WZ_ERR__COUNT ? names[e] : "unknown";
}

wz_err wz_fail(wz_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_detail, sizeof g_detail, fmt, ap);
    va_end(ap);
    return e;
}

const char *wz_err_detail(void) { return g_detail; }

void wz_err_prefix(const char *fmt, ...)
{
    char pre[256], old[sizeof g_detail];
    old[0] = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, g_detail, sizeof old);
    snprintf(g_detail, sizeof g_detail, "%.200s: %.300s", pre, old);
}
