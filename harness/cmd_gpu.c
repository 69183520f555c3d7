/* cmd_gpu.c — `wzip gpu-bench`: the GPU benchmark driver (harness/gpu_bench.cu,
 * built as gpu_bench beside wzip when nvcc is present) under the one CLI.
 * wzip itself links no CUDA, so it runs the driver as a program: the same
 * arguments, the same exit status, the driver's own provenance. */
#include "harness/harness.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int wz_cmd_gpu_bench(int argc, char **argv)
{
    char self[PATH_MAX], path[PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) { fprintf(stderr, "wzip gpu-bench: cannot find wzip's own path: %s\n", strerror(errno)); return 1; }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash) slash[1] = 0;
    snprintf(path, sizeof path, "%sgpu_bench", slash ? self : "./");
    if (access(path, X_OK)) {
        fprintf(stderr, "wzip gpu-bench: %s is not built (it needs nvcc: `make`, then run on a machine with a GPU)\n", path);
        return 2;
    }
    char *args[argc + 2];
    args[0] = path;
    for (int i = 0; i < argc; i++) args[i + 1] = argv[i];
    args[argc + 1] = NULL;
    fflush(NULL);
    execv(path, args);
    fprintf(stderr, "wzip gpu-bench: cannot run %s: %s\n", path, strerror(errno));
    return 1;
}
