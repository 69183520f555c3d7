/* harness.h — the CLI's shared pieces: subcommands, results JSON, progress. */
#ifndef WZ_HARNESS_H
#define WZ_HARNESS_H
#include <jansson.h>
#include <stdint.h>
#include "common/error.h"
#include "analysis/analysis.h" /* wz_cast, wz_tensor */
#include "codecs/codecs.h"     /* wz_codec_input */

/* Each subcommand: argc/argv after the subcommand name; returns exit code. */
int wz_cmd_scan(int argc, char **argv);
int wz_cmd_bits(int argc, char **argv);
int wz_cmd_groups(int argc, char **argv);
/* A tensor as codec input (cmd_bits.c): 16-bit floats (fp32 cast per `as`)
 * or byte codes, in a malloc'd *buf the caller frees. */
wz_err wz_load_codec_input(const wz_tensor *t, wz_cast as, wz_codec_input *in, void **buf);
/* The tile-ans layout options `wzip bits` and `wzip compress` share (cmd_bits.c):
 * --tile TxK, --lane-states 1|2, --order rows|mma at argv[*i]. Returns 1 and
 * advances *i past the value when it took one, -1 when the option's value is
 * missing or bad (the caller prints its usage), 0 when argv[*i] is another option. */
int wz_parse_ta_layout(int argc, char **argv, int *i, wz_codec_params *cp);
int wz_cmd_compress(int argc, char **argv);
int wz_cmd_decompress(int argc, char **argv);
int wz_cmd_convert(int argc, char **argv);
int wz_cmd_synth(int argc, char **argv);
int wz_cmd_serve(int argc, char **argv);
int wz_cmd_gpu_bench(int argc, char **argv); /* runs gpu_bench (harness/cmd_gpu.c) */

/* Provenance block every results file carries: device, driver, commit,
 * command, date, host. `dataset`/`real` describe the data. */
json_t *wz_provenance(const char *dataset, const char *kind /* "real" | "synthetic" | "mixed" */);
void wz_set_command_line(int argc, char **argv);
/* Write JSON atomically (tmp + rename); prints the error line on failure. */
int wz_write_json(json_t *root, const char *path);

/* Progress bar on stderr, silent when stderr is not a terminal. */
typedef struct { int on; uint64_t total, done; double t0; const char *what; } wz_progress;
void wz_progress_start(wz_progress *p, const char *what, uint64_t total);
void wz_progress_step(wz_progress *p, uint64_t k, const char *label);
void wz_progress_end(wz_progress *p);

/* "wzip: <context>: <detail>" on stderr; returns 1 (the exit code). */
int wz_report(const char *context, wz_err e);
double wz_now(void);
#endif
