/* embed.c - puts a .ktt into its object as the non-allocated ELF section
 * .kitsune_ktt (with objcopy, on a temporary copy renamed over the original, so no
 * loaded address moves) and reads it back. */
#include "kitc.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECTION ".kitsune_ktt"

/* Runs argv, waiting for it; returns its exit status or -1. */
static int run(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "kitc: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return -1;
    int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
    FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!out) {
        if (fd >= 0)
            close(fd);
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    int err = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            err = -1;
    if (ferror(in))
        err = -1;
    fclose(in);
    if (fclose(out) != 0)
        err = -1;
    return err;
}

static int is_elf(const char *path)
{
    elf_version(EV_CURRENT);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    int ok = elf && elf_kind(elf) == ELF_K_ELF;
    if (elf)
        elf_end(elf);
    close(fd);
    return ok;
}

int ktt_embed(const char *ktt, const char *so)
{
    struct stat st;
    if (access(ktt, R_OK) != 0) {
        fprintf(stderr, "kitc: %s: %s\n", ktt, strerror(errno));
        return -1;
    }
    if (stat(so, &st) != 0) {
        fprintf(stderr, "kitc: %s: %s\n", so, strerror(errno));
        return -1;
    }
    if (!is_elf(so)) {
        fprintf(stderr, "kitc: %s: not an ELF file\n", so);
        return -1;
    }
    char *tmp = xasprintf("%s.kitc-tmp.%d", so, (int)getpid());
    char *add = xasprintf(SECTION "=%s", ktt);
    int rc = -1;
    if (copy_file(so, tmp, st.st_mode & 07777) != 0) {
        fprintf(stderr, "kitc: %s: cannot write: %s\n", tmp, strerror(errno));
        goto out;
    }
    char *argv[] = {"objcopy", "--remove-section", SECTION, "--add-section", add,
                    "--set-section-flags", SECTION "=noload,readonly", tmp, NULL};
    if (run(argv) != 0) {
        fprintf(stderr, "kitc: %s: objcopy failed\n", so);
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, so) != 0) {
        fprintf(stderr, "kitc: %s: %s\n", so, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    free(tmp);
    free(add);
    return rc;
}

int ktt_extract(const char *so, FILE *out)
{
    elf_version(EV_CURRENT);
    int fd = open(so, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "kitc: %s: %s\n", so, strerror(errno));
        return -1;
    }
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    size_t shstrndx;
    int rc = -1;
    if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0) {
        fprintf(stderr, "kitc: %s: not an ELF file\n", so);
        goto out;
    }
    Elf_Scn *scn = NULL;
    GElf_Shdr sh;
    while ((scn = elf_nextscn(elf, scn))) {
        const char *name;
        if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)) ||
            strcmp(name, SECTION) != 0)
            continue;
        Elf_Data *d = elf_rawdata(scn, NULL);
        if (d && d->d_size)
            fwrite(d->d_buf, 1, d->d_size, out);
        rc = 0;
        goto out;
    }
    fprintf(stderr, "kitc: %s: no " SECTION " section (run kitc --embed)\n", so);
out:
    if (elf)
        elf_end(elf);
    close(fd);
    return rc;
}
