/* provenance.c — where a number came from: device, driver, commit, command, date. */
#include "harness/harness.h"
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char g_cmd[4096];

void wz_set_command_line(int argc, char **argv)
{
    size_t o = 0;
    for (int i = 0; i < argc && o < sizeof g_cmd - 2; i++)
        o += (size_t)snprintf(g_cmd + o, sizeof g_cmd - o, "%s%s", i ? " " : "", argv[i]);
}

double wz_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void read_line(const char *cmd, char *buf, size_t n)
{
    buf[0] = 0;
    FILE *f = popen(cmd, "r");
    if (!f) return;
    if (fgets(buf, (int)n, f)) buf[strcspn(buf, "\n")] = 0;
    pclose(f);
}

static void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *c = strchr(line, ':');
            if (c) { snprintf(buf, n, "%s", c + 2); buf[strcspn(buf, "\n")] = 0; }
            break;
        }
    fclose(f);
}

json_t *wz_provenance(const char *dataset, const char *kind)
{
    char commit[128], dirty[16], cpu[256], host[256] = "", date[64];
    const char *env = getenv("WZ_COMMIT");
    if (env) snprintf(commit, sizeof commit, "%s", env);
    else read_line("git rev-parse HEAD 2>/dev/null", commit, sizeof commit);
    read_line("git status --porcelain --untracked-files=no 2>/dev/null | head -c1 | wc -c", dirty, sizeof dirty);
    cpu_model(cpu, sizeof cpu);
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "commit", commit[0] ? commit : "unknown",
                          "command", g_cmd, "date", date, "host", host, "cpu", cpu, "cpu_cores", (json_int_t)ncpu,
                          "device", cpu);
    if (dirty[0] == '1') json_object_set_new(p, "worktree", json_string("dirty"));
    if (dataset) json_object_set_new(p, "dataset", json_string(dataset));
    if (kind) json_object_set_new(p, "data", json_string(kind));
    return p;
}

int wz_write_json(json_t *root, const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (json_dump_file(root, tmp, JSON_INDENT(1) | JSON_REAL_PRECISION(10)) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "wzip: %s: cannot write JSON\n", path);
        unlink(tmp);
        return 1;
    }
    return 0;
}

void wz_progress_start(wz_progress *p, const char *what, uint64_t total)
{
    p->on = isatty(2);
    p->total = total; p->done = 0; p->t0 = wz_now(); p->what = what;
}

void wz_progress_step(wz_progress *p, uint64_t k, const char *label)
{
    p->done += k;
    if (!p->on || !p->total) return;
    int w = 30, f = (int)(w * p->done / p->total);
    fprintf(stderr, "\r[%.*s%*s] %3d%% %s %-40.40s", f, "##############################", w - f, "",
            (int)(100 * p->done / p->total), p->what, label ? label : "");
    fflush(stderr);
}

void wz_progress_end(wz_progress *p)
{
    if (p->on) fprintf(stderr, "\r%*s\r", 100, "");
}

int wz_report(const char *context, wz_err e)
{
    fprintf(stderr, "wzip: %s%s%s (%s)\n", context ? context : "", context ? ": " : "", wz_err_detail(), wz_err_name(e));
    return 1;
}
