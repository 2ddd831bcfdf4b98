/* proc.c - /proc/self/NAME, also from a chroot without /proc: the directory is opened
 * when the runtime is loaded (O_PATH) and kept (proc.h).  A leaf: the maps, the heap
 * index and the loader read /proc through it. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int proc_dir = -1;

__attribute__((constructor)) static void keep_proc(void)
{
    const char *no = getenv("KITSUNE_NO_PROC_FD");
    if (!no || !*no || *no == '0')
        proc_dir = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int kt_proc_dir(void)
{
    return proc_dir;
}

FILE *kt_proc_fopen(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/self/%s", name);
    FILE *f = fopen(path, "r");
    if (f || errno != ENOENT || proc_dir < 0)
        return f;
    int fd = openat(proc_dir, path + 6, O_RDONLY | O_CLOEXEC);
    f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f && fd >= 0)
        close(fd);
    return f;
}
