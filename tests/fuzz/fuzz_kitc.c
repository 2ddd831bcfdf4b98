/* fuzz_kitc.c - libFuzzer target: kitc's reading of a built object (ELF and DWARF via
 * libdw) and the summary it writes.  kitc runs once per build and never frees its
 * model, so leaks are not reported for this target (-detect_leaks=0). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kitc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The input lives in an anonymous memory file, reached by its /proc path:
     * a fuzzing run that is killed leaves no file behind in /tmp. */
    static char path[64];
    static int fd = -1;
    static FILE *sink;
    if (fd < 0) {
        fd = memfd_create("fuzz_kitc", 0);
        sink = fopen("/dev/null", "w");
        if (fd < 0 || !sink)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        return 0;
    struct model m = {0};
    m.object = path;
    if (dwarf_read(&m, path) != 0)
        return 0;
    dwarf_default_root(&m);
    make_keys(&m);
    dedup_types(&m);
    if (var_sizes(&m) != 0)
        return 0;
    assign_ids(&m);
    emit_ktt(&m, sink);
    return 0;
}
