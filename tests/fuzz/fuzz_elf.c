/* fuzz_elf.c - libFuzzer target: the runtime's reading of a version's ELF file (the
 * embedded summary section, which variables lie in read-only memory).  The file is
 * untrusted until it has been checked. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elffile.h"
#include "ktt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        char *text = NULL;
        size_t len;
        char err[512];
        if (kt_elf_section(fd, ".kitsune_ktt", &text, &len, err, sizeof err) == 0)
            free(text);
        if (kt_elf_section(fd, ".kitsune_xf", &text, &len, err, sizeof err) == 0)
            free(text);
        struct ktt_var vars[] = {{.addr = 0x2000, .size = 16}, {.addr = 0x3d00, .size = 48},
                                 {.addr = UINT64_MAX - 7, .size = 64}, {.addr = 0x4000}};
        struct ktt k = {.vars = vars, .nvars = 4};
        kt_elf_mark_readonly(fd, &k, err, sizeof err);
    }
    close(fd);
    return 0;
}
