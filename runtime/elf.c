/* elf.c - reads what the runtime needs from a version's ELF file before loading it:
 * the embedded type summary section, the list of undefined dynamic symbols, and which
 * variables lie in memory that is read-only once the object is loaded.
 *
 * Written against <elf.h> rather than libelf so that the library loaded into every
 * updatable program depends on nothing beyond libc; only ELF64 little-endian shared
 * objects are accepted and every offset is bounds-checked (the file is untrusted). */
#include "kitsune.h"
#include "elffile.h"
#include "libc.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct elf_file {
    char *data;
    size_t size;
    const Elf64_Ehdr *eh;
    const Elf64_Shdr *sh;
};

static int read_all(int fd, struct elf_file *f, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size <= 0) {
        snprintf(err, errlen, "cannot read file: %s", strerror(errno));
        return -1;
    }
    f->size = (size_t)st.st_size;
    f->data = malloc(f->size);
    if (!f->data) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t got = 0;
    while (got < f->size) {
        ssize_t n = pread(fd, f->data + got, f->size - got, (off_t)got);
        if (n <= 0) {
            free(f->data);
            snprintf(err, errlen, "short read");
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

static int in_bounds(const struct elf_file *f, uint64_t off, uint64_t len)
{
    return off <= f->size && len <= f->size - off;
}

static int open_elf(int fd, struct elf_file *f, char *err, size_t errlen)
{
    if (read_all(fd, f, err, errlen))
        return -1;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->data;
    if (f->size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
        snprintf(err, errlen, "not an ELF file");
        goto bad;
    }
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
        eh->e_machine != EM_X86_64) {
        snprintf(err, errlen, "not an x86-64 ELF64 object");
        goto bad;
    }
    if (eh->e_type != ET_DYN) {
        snprintf(err, errlen, "not a shared object (build with -fPIC -shared)");
        goto bad;
    }
    if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff % 8 != 0 ||
        !in_bounds(f, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)) ||
        eh->e_shstrndx >= eh->e_shnum) {
        snprintf(err, errlen, "truncated or corrupt section table");
        goto bad;
    }
    f->eh = eh;
    f->sh = (const Elf64_Shdr *)(f->data + eh->e_shoff);
    if (!in_bounds(f, f->sh[eh->e_shstrndx].sh_offset, f->sh[eh->e_shstrndx].sh_size)) {
        snprintf(err, errlen, "corrupt section name table");
        goto bad;
    }
    return 0;
bad:
    free(f->data);
    return -1;
}

static const char *str_at(const struct elf_file *f, const Elf64_Shdr *strtab, uint64_t off)
{
    if (off >= strtab->sh_size)
        return NULL;
    const char *s = f->data + strtab->sh_offset + off;
    if (!memchr(s, 0, strtab->sh_size - off))
        return NULL;
    return s;
}

static const Elf64_Shdr *find_section(const struct elf_file *f, const char *name)
{
    const Elf64_Shdr *names = &f->sh[f->eh->e_shstrndx];
    for (int i = 0; i < f->eh->e_shnum; i++) {
        const char *n = str_at(f, names, f->sh[i].sh_name);
        if (n && strcmp(n, name) == 0)
            return &f->sh[i];
    }
    return NULL;
}

int kt_elf_section(int fd, const char *name, char **data, size_t *len, char *err,
                   size_t errlen)
{
    struct elf_file f;
    if (open_elf(fd, &f, err, errlen))
        return -1;
    const Elf64_Shdr *s = find_section(&f, name);
    int rc = -1;
    if (!s) {
        snprintf(err, errlen, "no %s section: not a kitsune program (build it with "
                 "kitsune_add_program or run 'kitc --embed')", name);
        rc = 1;
    } else if (s->sh_type == SHT_NOBITS || !in_bounds(&f, s->sh_offset, s->sh_size))
        snprintf(err, errlen, "section %s is truncated", name);
    else if (!(*data = malloc(s->sh_size + 1)))
        snprintf(err, errlen, "out of memory");
    else {
        memcpy(*data, f.data + s->sh_offset, s->sh_size);
        (*data)[s->sh_size] = 0;
        *len = s->sh_size;
        rc = 0;
    }
    free(f.data);
    return rc;
}

/* Reads len bytes at off, all or nothing. */
static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

/* Only the headers and the section names are read: every dlopen of a file by path
 * asks this (plugins.c), most of them of libraries that are no module. */
int kt_elf_has_section(const char *path, const char *name)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    Elf64_Ehdr eh;
    Elf64_Shdr names;
    char *tab = NULL;
    int found = 0;
    if (read_at(fd, &eh, sizeof eh, 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) ||
        eh.e_shstrndx >= eh.e_shnum ||
        read_at(fd, &names, sizeof names,
                eh.e_shoff + (uint64_t)eh.e_shstrndx * sizeof(Elf64_Shdr)) ||
        names.sh_size == 0 || names.sh_size > (1u << 24) || !(tab = malloc(names.sh_size)) ||
        read_at(fd, tab, names.sh_size, names.sh_offset))
        goto done;
    size_t want = strlen(name) + 1;
    for (int i = 0; i < eh.e_shnum && !found; i++) {
        Elf64_Shdr sh;
        if (read_at(fd, &sh, sizeof sh, eh.e_shoff + (uint64_t)i * sizeof sh))
            break;
        found = sh.sh_name < names.sh_size && names.sh_size - sh.sh_name >= want &&
                memcmp(tab + sh.sh_name, name, want) == 0;
    }
done:
    free(tab);
    close(fd);
    return found;
}

/* Loads the DT_NEEDED libraries so that their symbols can be checked; they would be
 * loaded by the version anyway. */
static int load_needed(const struct elf_file *f, const Elf64_Shdr *dyn,
                       const Elf64_Shdr *dynstr, char *err, size_t errlen)
{
    if (!in_bounds(f, dyn->sh_offset, dyn->sh_size))
        return snprintf(err, errlen, "corrupt .dynamic section"), -1;
    const Elf64_Dyn *d = (const Elf64_Dyn *)(f->data + dyn->sh_offset);
    size_t n = dyn->sh_size / sizeof *d;
    for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
        if (d[i].d_tag != DT_NEEDED)
            continue;
        const char *lib = str_at(f, dynstr, d[i].d_un.d_val);
        if (!lib)
            return snprintf(err, errlen, "corrupt DT_NEEDED entry"), -1;
        if (!kt_libc_dlopen(lib, RTLD_NOW | RTLD_LOCAL)) {
            snprintf(err, errlen, "needed library %s cannot be loaded: %s", lib, dlerror());
            return -1;
        }
    }
    return 0;
}

static int symbol_resolves(const struct elf_file *f, const Elf64_Shdr *dyn,
                           const Elf64_Shdr *dynstr, const char *name)
{
    if (kt_libc_dlsym(RTLD_DEFAULT, name))
        return 1;
    const Elf64_Dyn *d = (const Elf64_Dyn *)(f->data + dyn->sh_offset);
    size_t n = dyn->sh_size / sizeof *d;
    for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
        if (d[i].d_tag != DT_NEEDED)
            continue;
        void *h = kt_libc_dlopen(str_at(f, dynstr, d[i].d_un.d_val), RTLD_NOW | RTLD_NOLOAD);
        if (h && kt_libc_dlsym(h, name))
            return 1;
    }
    return 0;
}

int kt_elf_check_symbols(int fd, char *err, size_t errlen)
{
    struct elf_file f;
    if (open_elf(fd, &f, err, errlen))
        return -1;
    const Elf64_Shdr *dynsym = find_section(&f, ".dynsym");
    const Elf64_Shdr *dyn = find_section(&f, ".dynamic");
    int rc = -1;
    if (!dynsym || !dyn || dynsym->sh_link >= f.eh->e_shnum ||
        !in_bounds(&f, dynsym->sh_offset, dynsym->sh_size) || dynsym->sh_offset % 8 ||
        dyn->sh_offset % 8) {
        snprintf(err, errlen, "no dynamic symbol table");
        goto out;
    }
    const Elf64_Shdr *dynstr = &f.sh[dynsym->sh_link];
    if (!in_bounds(&f, dynstr->sh_offset, dynstr->sh_size)) {
        snprintf(err, errlen, "corrupt dynamic string table");
        goto out;
    }
    if (load_needed(&f, dyn, dynstr, err, errlen))
        goto out;
    const Elf64_Sym *sym = (const Elf64_Sym *)(f.data + dynsym->sh_offset);
    size_t n = dynsym->sh_size / sizeof *sym;
    for (size_t i = 1; i < n; i++) {
        if (sym[i].st_shndx != SHN_UNDEF || ELF64_ST_BIND(sym[i].st_info) == STB_WEAK)
            continue;
        const char *name = str_at(&f, dynstr, sym[i].st_name);
        if (!name) {
            snprintf(err, errlen, "corrupt dynamic symbol name");
            goto out;
        }
        if (*name && !symbol_resolves(&f, dyn, dynstr, name)) {
            snprintf(err, errlen, "undefined symbol %s", name);
            goto out;
        }
    }
    rc = 0;
out:
    free(f.data);
    return rc;
}

int kt_elf_section_addr(int fd, const char *name, uint64_t *addr, uint64_t *size)
{
    struct elf_file f;
    char err[128];
    if (open_elf(fd, &f, err, sizeof err))
        return -1;
    const Elf64_Shdr *s = find_section(&f, name);
    int rc = s && (s->sh_flags & SHF_ALLOC) ? 0 : -1;
    if (rc == 0) {
        *addr = s->sh_addr;
        *size = s->sh_size;
    }
    free(f.data);
    return rc;
}

/* The PT_GNU_RELRO range: *len bytes from *lo (relative); 0 bytes without one. */
static int relro_range(const struct elf_file *f, uint64_t *lo, uint64_t *len)
{
    const Elf64_Ehdr *eh = f->eh;
    *lo = *len = 0;
    if (eh->e_phnum == 0)
        return 0;
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff % 8 != 0 ||
        !in_bounds(f, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
        return -1;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(f->data + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_GNU_RELRO) {
            *lo = ph[i].p_vaddr;
            *len = ph[i].p_memsz;
        }
    return 0;
}

/* Whether [addr, addr + size) lies within [lo, lo + len) (no sum can overflow). */
static int range_within(uint64_t addr, uint64_t size, uint64_t lo, uint64_t len)
{
    return addr >= lo && addr - lo < len && size <= len - (addr - lo);
}

/* Whether [addr, addr + size) lies in an allocated section without SHF_WRITE. */
static int in_readonly_section(const struct elf_file *f, uint64_t addr, uint64_t size)
{
    for (int i = 0; i < f->eh->e_shnum; i++) {
        const Elf64_Shdr *s = &f->sh[i];
        if ((s->sh_flags & SHF_ALLOC) && range_within(addr, size, s->sh_addr, s->sh_size))
            return !(s->sh_flags & SHF_WRITE) && !(s->sh_flags & SHF_TLS);
    }
    return 0;
}

/* The compiler, not the C type, decides where a variable lives: a static that is never
 * written goes to .rodata or .data.rel.ro at -O1 and up even when it is not const.
 * Such a variable cannot be written once the version is loaded (.data.rel.ro is made
 * read-only by RELRO after relocation), so it is the new version's own data. */
int kt_elf_mark_readonly(int fd, struct ktt *k, char *err, size_t errlen)
{
    struct elf_file f;
    if (open_elf(fd, &f, err, errlen))
        return -1;
    uint64_t relro_lo, relro_len;
    if (relro_range(&f, &relro_lo, &relro_len)) {
        snprintf(err, errlen, "truncated or corrupt program header table");
        free(f.data);
        return -1;
    }
    for (int i = 0; i < k->nvars; i++) {
        struct ktt_var *v = &k->vars[i];
        uint64_t size = v->size ? v->size : 1;
        if (v->flags & (KTT_VAR_TLS | KTT_VAR_LOCAL))
            continue;
        if (range_within(v->addr, size, relro_lo, relro_len))
            v->flags |= KTT_VAR_READONLY | KTT_VAR_RELRO;
        else if (in_readonly_section(&f, v->addr, size))
            v->flags |= KTT_VAR_READONLY;
    }
    free(f.data);
    return 0;
}
