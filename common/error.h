/* error.h — the one error scheme of wzip.
 *
 * Every fallible function returns a wz_err (WZ_OK == 0) and passes results
 * through out-parameters. On failure it also records a one-line, human
 * readable detail ("tensor 'x': data_offsets [8, 4] reversed") in a
 * thread-local buffer, so the CLI can print file, tensor and cause on one
 * line. The library never prints and never exits. */
#ifndef WZ_ERROR_H
#define WZ_ERROR_H

typedef enum {
    WZ_OK = 0,
    WZ_ERR_IO,          /* open/read/mmap/write failed */
    WZ_ERR_FORMAT,      /* malformed or hostile input file / header */
    WZ_ERR_CORRUPT,     /* compressed stream fails validation */
    WZ_ERR_CHECKSUM,    /* decoded data does not match its checksum */
    WZ_ERR_UNSUPPORTED, /* valid input we do not handle (dtype, version) */
    WZ_ERR_ARG,         /* caller passed an invalid argument */
    WZ_ERR_NOMEM,       /* allocation failed or request absurdly large */
    WZ_ERR_DST_SIZE,    /* output buffer too small */
    WZ_ERR__COUNT
} wz_err;

/* Stable short name of a code, e.g. "format". */
const char *wz_err_name(wz_err e);

/* Record a printf-style detail message and return `e` (so callers write
 * `return wz_fail(WZ_ERR_FORMAT, "...", ...)`). */
wz_err wz_fail(wz_err e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The detail of the most recent failure on this thread ("" if none). */
const char *wz_err_detail(void);

/* Prefix the current detail with context, e.g. the tensor name. */
void wz_err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define WZ_TRY(expr) do { wz_err wz__e = (expr); if (wz__e != WZ_OK) return wz__e; } while (0)
#define WZ_CHECK(cond, code, ...) do { if (!(cond)) return wz_fail((code), __VA_ARGS__); } while (0)

#endif
