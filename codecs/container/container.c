/* container.c — the .wz container: safetensors files (or directories of
 * them) compressed tensor by tensor, decompressed byte-identical.
 *
 * On-disk format, version 2 (little-endian):
 *   "WZIPCON1"                          8-byte magic
 *   u32 version = 2, u32 nfiles
 *   per file:
 *     u16 name_len, name                relative name, no '/' and not "." or ".."
 *     u64 size                          original size in bytes
 *     u8  kind                          0 = stored, 1 = safetensors
 *     kind 0: u64 xxh64, size bytes
 *     kind 1: u64 prefix_len, prefix    the 8-byte length + JSON header, verbatim
 *             u64 xxh64(prefix)         (v2; v1 had none, so a flipped header
 *                                       byte decompressed silently: still read)
 *             u32 nseg; per segment, in file order, covering the data section:
 *               u8 type (0 raw, 1 coded), u64 length, u64 xxh64(original bytes)
 *               raw:   length bytes
 *               coded: u8 codec_len, codec name, u8 dtype, u64 rows, u64 cols,
 *                      u64 blob_len, blob
 * Streaming: both directions hold one tensor at a time, so a model larger
 * than RAM works. Every segment is checked against its xxh64 after decode;
 * every length is checked against what the header implies before any
 * allocation. */
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "codecs/codecs.h"
#include "datasets/datasets.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WZC_MAGIC "WZIPCON1"
#define WZC_MIN_CODED 4096 /* smaller tensors are stored raw: framing would cost more than coding saves */

static wz_err wr(FILE *f, const void *p, size_t n)
{
    return fwrite(p, 1, n, f) == n ? WZ_OK : wz_fail(WZ_ERR_IO, "write failed: %s", strerror(errno));
}
#define WR(x) WZ_TRY(wr(out, &(x), sizeof(x)))

static wz_err rd(FILE *f, void *p, size_t n)
{
    return fread(p, 1, n, f) == n ? WZ_OK : wz_fail(WZ_ERR_CORRUPT, "container truncated");
}
#define RD(x) WZ_TRY(rd(in, &(x), sizeof(x)))

static int cmp_off(const void *a, const void *b)
{
    const wz_tensor *x = *(const wz_tensor *const *)a, *y = *(const wz_tensor *const *)b;
    return x->file_offset < y->file_offset ? -1 : x->file_offset > y->file_offset;
}

static wz_err put_raw_seg(FILE *out, const uint8_t *p, uint64_t n)
{
    uint8_t type = 0;
    uint64_t h = XXH64(p, (size_t)n, 0);
    WR(type); WR(n); WR(h);
    return wr(out, p, (size_t)n);
}

static wz_err put_safetensors(FILE *out, const char *path, const wz_codec *codec, const wz_codec_params *cp, wz_container_stats *st)
{
    wz_model *m;
    WZ_TRY(wz_model_open(path, &m));
    const uint8_t *base = NULL;
    size_t fsize = 0;
    /* All tensors of a single-file model live in file 0. */
    wz_err err = WZ_OK;
    size_t nt = wz_model_count(m);
    const wz_tensor **ts = malloc(sizeof *ts * (nt ? nt : 1));
    if (!ts) { wz_model_close(m); return wz_fail(WZ_ERR_NOMEM, "out of memory"); }
    for (size_t i = 0; i < nt; i++) ts[i] = wz_model_tensor(m, i);
    qsort(ts, nt, sizeof *ts, cmp_off);
    FILE *raw = fopen(path, "rb");
    struct stat sb;
    if (!raw || fstat(fileno(raw), &sb)) { err = wz_fail(WZ_ERR_IO, "%s: %s", path, strerror(errno)); goto done; }
    fsize = (size_t)sb.st_size;
    uint64_t hl;
    if (fread(&hl, 8, 1, raw) != 1) { err = wz_fail(WZ_ERR_IO, "%s: read failed", path); goto done; }
    uint64_t prefix = 8 + hl, kind = 1;
    uint8_t k8 = (uint8_t)kind;
    WR(k8); WR(prefix);
    /* The tensor views point into the model's mapping; the prefix bytes too. */
    base = nt ? ts[0]->data - ts[0]->file_offset : NULL;
    uint8_t *pb = malloc(prefix);
    if (!pb) { err = wz_fail(WZ_ERR_NOMEM, "out of memory"); goto done; }
    rewind(raw);
    if (fread(pb, 1, prefix, raw) != prefix) { free(pb); err = wz_fail(WZ_ERR_IO, "%s: read failed", path); goto done; }
    err = wr(out, pb, prefix);
    const uint64_t ph = XXH64(pb, (size_t)prefix, 0);
    free(pb);
    if (!err) err = wr(out, &ph, 8);
    if (err) goto done;
    /* Segments: gaps and small/unsupported tensors raw, the rest coded. */
    uint32_t nseg = 0;
    uint64_t pos = prefix;
    for (size_t i = 0; i < nt; i++) { if (ts[i]->file_offset > pos) nseg++; nseg++; pos = ts[i]->file_offset + ts[i]->nbytes; }
    if (pos < fsize) nseg++;
    WR(nseg);
    pos = prefix;
    const uint8_t *fb = NULL;
    uint8_t *whole = NULL;
    if (!base && fsize > prefix) { /* no tensors: read the rest */
        whole = malloc(fsize);
        rewind(raw);
        if (!whole || fread(whole, 1, fsize, raw) != fsize) { free(whole); err = wz_fail(WZ_ERR_IO, "%s: read failed", path); goto done; }
        fb = whole;
    } else fb = base;
    for (size_t i = 0; i <= nt && !err; i++) {
        uint64_t next = i < nt ? ts[i]->file_offset : fsize;
        if (next > pos) { err = put_raw_seg(out, fb + pos, next - pos); st->raw_bytes += next - pos; }
        if (err || i == nt) break;
        const wz_tensor *t = ts[i];
        int eb = wz_codec_elem_bytes(t->dtype);
        wz_codec_input ci = {t->dtype, 0, 0, NULL};
        wz_tensor_matrix(t, &ci.rows, &ci.cols);
        if (t->packing != WZ_PACK_PLAIN || !eb || wz_dtype_info_of(t->dtype)->code_bits < 8 || t->numel < WZC_MIN_CODED || !codec->supports(t->dtype)) {
            err = put_raw_seg(out, t->data, t->nbytes);
            st->raw_bytes += t->nbytes;
        } else {
            void *buf = malloc(t->nbytes); /* aligned copy of the codes */
            size_t cap = codec->bound(cp, &ci), blen = 0;
            uint8_t *blob = malloc(cap ? cap : 1);
            if (!buf || !blob) err = wz_fail(WZ_ERR_NOMEM, "out of memory");
            if (!err) { memcpy(buf, t->data, t->nbytes); ci.data = buf; err = codec->encode(cp, &ci, blob, cap, &blen, NULL); }
            if (!err) {
                uint8_t type = 1, cl = (uint8_t)strlen(codec->name), dt = (uint8_t)t->dtype;
                uint64_t h = XXH64(t->data, (size_t)t->nbytes, 0), n = t->nbytes, bl = blen;
                if (!err) err = wr(out, &type, 1);
                if (!err) err = wr(out, &n, 8);
                if (!err) err = wr(out, &h, 8);
                if (!err) err = wr(out, &cl, 1);
                if (!err) err = wr(out, codec->name, cl);
                if (!err) err = wr(out, &dt, 1);
                if (!err) err = wr(out, &ci.rows, 8);
                if (!err) err = wr(out, &ci.cols, 8);
                if (!err) err = wr(out, &bl, 8);
                if (!err) err = wr(out, blob, blen);
                st->coded_in += t->nbytes; st->coded_out += blen;
            }
            if (err) wz_err_prefix("tensor '%s'", t->name);
            free(buf); free(blob);
        }
        pos = t->file_offset + t->nbytes;
    }
    free(whole);
done:
    if (raw) fclose(raw);
    free(ts);
    wz_model_close(m);
    return err;
}

static int valid_name(const char *n) { return *n && !strchr(n, '/') && strcmp(n, ".") && strcmp(n, ".."); }

static wz_err put_file(FILE *out, const char *dir, const char *name, const wz_codec *codec, const wz_codec_params *cp, wz_container_stats *st)
{
    char path[4096];
    if (dir) snprintf(path, sizeof path, "%s/%s", dir, name); else snprintf(path, sizeof path, "%s", name);
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    struct stat sb;
    if (stat(path, &sb) || !S_ISREG(sb.st_mode)) return wz_fail(WZ_ERR_IO, "%s: not a regular file", path);
    uint16_t nl = (uint16_t)strlen(base);
    uint64_t size = (uint64_t)sb.st_size;
    WR(nl);
    WZ_TRY(wr(out, base, nl));
    WR(size);
    size_t L = strlen(base);
    if (L > 12 && !strcmp(base + L - 12, ".safetensors")) {
        wz_err e = put_safetensors(out, path, codec, cp, st);
        if (e) wz_err_prefix("%s", path);
        return e;
    }
    uint8_t kind = 0;
    WR(kind);
    /* Stored file: hash pass, then the hash, then the bytes (so the reader
     * checks with the same copy_check as raw segments). */
    FILE *f = fopen(path, "rb");
    if (!f) return wz_fail(WZ_ERR_IO, "%s: %s", path, strerror(errno));
    XXH64_state_t *hs = XXH64_createState();
    XXH64_reset(hs, 0);
    uint8_t b[1 << 16];
    size_t k;
    while ((k = fread(b, 1, sizeof b, f)) > 0) XXH64_update(hs, b, k);
    uint64_t h = XXH64_digest(hs);
    XXH64_freeState(hs);
    wz_err err = wr(out, &h, 8);
    rewind(f);
    while (!err && (k = fread(b, 1, sizeof b, f)) > 0) err = wr(out, b, k);
    fclose(f);
    st->raw_bytes += size;
    return err;
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

wz_err wz_container_compress(const char *in_path, const char *out_path, const wz_codec *codec, const wz_codec_params *cp, wz_container_stats *st)
{
    memset(st, 0, sizeof *st);
    struct stat sb;
    if (stat(in_path, &sb)) return wz_fail(WZ_ERR_IO, "%s: %s", in_path, strerror(errno));
    char **names = NULL;
    uint32_t n = 0;
    const char *dir = NULL;
    if (S_ISDIR(sb.st_mode)) {
        dir = in_path;
        DIR *d = opendir(in_path);
        if (!d) return wz_fail(WZ_ERR_IO, "%s: %s", in_path, strerror(errno));
        struct dirent *e;
        while ((e = readdir(d))) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", in_path, e->d_name);
            struct stat fs;
            if (stat(p, &fs) || !S_ISREG(fs.st_mode)) continue;
            char **nn = realloc(names, sizeof *nn * (n + 1));
            if (!nn) break;
            names = nn; names[n++] = strdup(e->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof *names, cmp_name);
    } else {
        names = malloc(sizeof *names);
        names[0] = strdup(in_path);
        n = 1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
    FILE *out = fopen(tmp, "wb");
    wz_err err = out ? WZ_OK : wz_fail(WZ_ERR_IO, "%s: %s", tmp, strerror(errno));
    uint32_t ver = 2;
    if (!err) err = wr(out, WZC_MAGIC, 8);
    if (!err) err = wr(out, &ver, 4);
    if (!err) err = wr(out, &n, 4);
    for (uint32_t i = 0; i < n && !err; i++) err = put_file(out, dir, names[i], codec, cp, st);
    if (out && fclose(out) && !err) err = wz_fail(WZ_ERR_IO, "%s: close failed", tmp);
    if (!err && rename(tmp, out_path)) err = wz_fail(WZ_ERR_IO, "%s: %s", out_path, strerror(errno));
    if (err) remove(tmp);
    for (uint32_t i = 0; i < n; i++) free(names[i]);
    free(names);
    st->files = n;
    return err;
}

/* ---- decompression ---- */

static wz_err copy_check(FILE *in, FILE *out, uint64_t n, uint64_t want)
{
    XXH64_state_t *hs = XXH64_createState();
    XXH64_reset(hs, 0);
    uint8_t b[1 << 16];
    wz_err err = WZ_OK;
    while (n && !err) {
        size_t k = n < sizeof b ? (size_t)n : sizeof b;
        err = rd(in, b, k);
        if (!err) { XXH64_update(hs, b, k); err = wr(out, b, k); }
        n -= k;
    }
    uint64_t h = XXH64_digest(hs);
    XXH64_freeState(hs);
    if (!err && h != want) err = wz_fail(WZ_ERR_CHECKSUM, "raw segment checksum mismatch");
    return err;
}

/* Bytes left in the container: every length read from it is checked
 * against this before it sizes an allocation. */
static uint64_t remaining(FILE *in)
{
    long pos = ftell(in);
    struct stat sb;
    if (pos < 0 || fstat(fileno(in), &sb)) return 0;
    return (uint64_t)sb.st_size > (uint64_t)pos ? (uint64_t)sb.st_size - (uint64_t)pos : 0;
}

/* No codec in the registry expands a blob by more than this (tile-ans on a
 * constant int8 tensor: 16384 codes from ~130 bytes of states). */
#define WZC_MAX_EXPANSION 256

static wz_err get_safetensors(FILE *in, FILE *out, uint64_t size, uint32_t ver)
{
    uint64_t prefix;
    uint32_t nseg;
    RD(prefix);
    if (prefix > remaining(in)) return wz_fail(WZ_ERR_CORRUPT, "header of %llu bytes is longer than the rest of the container", (unsigned long long)prefix);
    if (prefix > size || prefix < 8) return wz_fail(WZ_ERR_CORRUPT, "header length %llu invalid for a %llu-byte file", (unsigned long long)prefix, (unsigned long long)size);
    uint8_t *pb = malloc(prefix);
    if (!pb) return wz_fail(WZ_ERR_NOMEM, "out of memory");
    wz_err err = rd(in, pb, prefix);
    uint64_t ph;
    if (!err && ver >= 2 && !(err = rd(in, &ph, 8)) && XXH64(pb, (size_t)prefix, 0) != ph)
        err = wz_fail(WZ_ERR_CHECKSUM, "safetensors header fails its xxh64");
    if (!err) err = wr(out, pb, prefix);
    free(pb);
    if (!err) err = rd(in, &nseg, 4);
    uint64_t done = prefix;
    for (uint32_t s = 0; s < nseg && !err; s++) {
        uint8_t type;
        uint64_t n, h;
        if ((err = rd(in, &type, 1)) || (err = rd(in, &n, 8)) || (err = rd(in, &h, 8))) break;
        if (n > size - done) { err = wz_fail(WZ_ERR_CORRUPT, "segment %u of %llu bytes overruns the file", s, (unsigned long long)n); break; }
        if (type == 0) {
            if (n > remaining(in)) { err = wz_fail(WZ_ERR_CORRUPT, "segment %u: %llu raw bytes past the end of the container", s, (unsigned long long)n); break; }
            err = copy_check(in, out, n, h);
            if (err) wz_err_prefix("segment %u", s);
        }
        else if (type == 1) {
            uint8_t cl, dt;
            char name[256];
            uint64_t rows, cols, bl;
            if ((err = rd(in, &cl, 1)) || (err = rd(in, name, cl))) break;
            name[cl] = 0;
            if ((err = rd(in, &dt, 1)) || (err = rd(in, &rows, 8)) || (err = rd(in, &cols, 8)) || (err = rd(in, &bl, 8))) break;
            const wz_codec *c = wz_codec_find(name);
            if (!c) { err = wz_fail(WZ_ERR_UNSUPPORTED, "segment %u: unknown codec '%s'", s, name); break; }
            int eb = dt < WZ_DT__COUNT ? wz_codec_elem_bytes((wz_dtype)dt) : 0;
            if (!eb || !rows || !cols || rows > n || cols > n || rows * cols * (uint64_t)eb != n) { err = wz_fail(WZ_ERR_CORRUPT, "segment %u: shape does not match length", s); break; }
            wz_codec_input ci = {(wz_dtype)dt, rows, cols, NULL};
            wz_codec_params cp;
            wz_codec_params_default(&cp);
            /* No honest blob exceeds the worst-case bound with the smallest tile. */
            cp.tile_rows = 32; cp.tile_cols = 16; cp.code_tile_rows = 32; cp.code_tile_cols = 16;
            uint64_t cap = c->bound(&cp, &ci) + (1u << 20);
            if (bl > remaining(in) || n > WZC_MAX_EXPANSION * bl + (1u << 20)) { err = wz_fail(WZ_ERR_CORRUPT, "segment %u: blob length %llu inconsistent with the container", s, (unsigned long long)bl); break; }
            if (bl > cap) { err = wz_fail(WZ_ERR_CORRUPT, "segment %u: blob of %llu bytes is larger than any %s encoding", s, (unsigned long long)bl, name); break; }
            uint8_t *blob = malloc(bl ? bl : 1), *dec = malloc(n ? n : 1);
            if (!blob || !dec) err = wz_fail(WZ_ERR_NOMEM, "out of memory");
            if (!err) err = rd(in, blob, bl);
            if (!err) err = c->decode(blob, bl, dec, n);
            if (!err && XXH64(dec, (size_t)n, 0) != h) err = wz_fail(WZ_ERR_CHECKSUM, "segment %u: decoded tensor fails its xxh64", s);
            if (!err) err = wr(out, dec, n);
            if (err) wz_err_prefix("segment %u", s);
            free(blob); free(dec);
        } else err = wz_fail(WZ_ERR_CORRUPT, "segment %u: type %u", s, type);
        done += n;
    }
    if (!err && done != size) err = wz_fail(WZ_ERR_CORRUPT, "segments cover %llu of %llu bytes", (unsigned long long)done, (unsigned long long)size);
    return err;
}

wz_err wz_container_decompress(const char *in_path, const char *out_path)
{
    FILE *in = fopen(in_path, "rb");
    if (!in) return wz_fail(WZ_ERR_IO, "%s: %s", in_path, strerror(errno));
    char magic[8];
    uint32_t ver, n;
    wz_err err = rd(in, magic, 8);
    if (!err && memcmp(magic, WZC_MAGIC, 8)) err = wz_fail(WZ_ERR_FORMAT, "not a wzip container (bad magic)");
    if (!err) err = rd(in, &ver, 4);
    if (!err && ver != 1 && ver != 2) err = wz_fail(WZ_ERR_UNSUPPORTED, "container version %u", ver);
    if (!err) err = rd(in, &n, 4);
    if (!err && n > 1000000) err = wz_fail(WZ_ERR_CORRUPT, "container claims %u files", n);
    /* One file: out_path is the file. Several: out_path is a directory. */
    if (!err && n > 1 && mkdir(out_path, 0755) && errno != EEXIST) err = wz_fail(WZ_ERR_IO, "%s: %s", out_path, strerror(errno));
    for (uint32_t i = 0; i < n && !err; i++) {
        uint16_t nl;
        char name[65536];
        uint64_t size;
        uint8_t kind;
        if ((err = rd(in, &nl, 2)) || (err = rd(in, name, nl))) break;
        name[nl] = 0;
        if (!valid_name(name) || strlen(name) != nl) { err = wz_fail(WZ_ERR_CORRUPT, "file name '%s' not allowed", name); break; }
        if ((err = rd(in, &size, 8)) || (err = rd(in, &kind, 1))) break;
        if (kind == 0 && size > remaining(in)) { err = wz_fail(WZ_ERR_CORRUPT, "file '%s' of %llu bytes past the end of the container", name, (unsigned long long)size); break; }
        char path[4096 + 65536 + 2];
        if (n > 1) snprintf(path, sizeof path, "%s/%s", out_path, name); else snprintf(path, sizeof path, "%s", out_path);
        char tmp[sizeof path + 8];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *out = fopen(tmp, "wb");
        if (!out) { err = wz_fail(WZ_ERR_IO, "%s: %s", tmp, strerror(errno)); break; }
        if (kind == 0) {
            uint64_t h;
            err = rd(in, &h, 8);
            if (!err) err = copy_check(in, out, size, h);
        } else if (kind == 1) {
            err = get_safetensors(in, out, size, ver);
        } else err = wz_fail(WZ_ERR_CORRUPT, "file kind %u", kind);
        if (fclose(out) && !err) err = wz_fail(WZ_ERR_IO, "%s: close failed", tmp);
        if (!err && rename(tmp, path)) err = wz_fail(WZ_ERR_IO, "%s: %s", path, strerror(errno));
        if (err) { remove(tmp); wz_err_prefix("%s", name); }
    }
    if (!err) { char extra; if (fread(&extra, 1, 1, in) == 1) err = wz_fail(WZ_ERR_CORRUPT, "trailing bytes after the last file"); }
    fclose(in);
    return err;
}
