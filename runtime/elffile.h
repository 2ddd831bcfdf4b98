/* elffile.h - reading a version's file before it is loaded (elf.c). */
#ifndef KITSUNE_ELFFILE_H
#define KITSUNE_ELFFILE_H

#include <stddef.h>
#include <stdint.h>
#include "ktt.h"

/* Copies section `name` of the ELF file open at fd; *data is malloc'd.  1 when the
 * file has no such section, -1 on other errors. */
int kt_elf_section(int fd, const char *name, char **data, size_t *len, char *err,
                   size_t errlen);
/* Whether the ELF file at path has a section of that name (1), cheaply. */
int kt_elf_has_section(const char *path, const char *name);
/* Checks that every undefined, non-weak dynamic symbol resolves in the process once
 * the file's DT_NEEDED libraries are loaded. */
int kt_elf_check_symbols(int fd, char *err, size_t errlen);
/* Flags the variables of k that lie in memory read-only once the file is loaded: in a
 * section without SHF_WRITE (KTT_VAR_READONLY) or in PT_GNU_RELRO (also KTT_VAR_RELRO). */
int kt_elf_mark_readonly(int fd, struct ktt *k, char *err, size_t errlen);
/* Load address (relative) and size of an allocated section. */
int kt_elf_section_addr(int fd, const char *name, uint64_t *addr, uint64_t *size);

#endif
