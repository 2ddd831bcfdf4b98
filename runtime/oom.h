/* oom.h - out of memory in the update path, and what cannot go on (oom.c). */
#ifndef KITSUNE_OOM_H
#define KITSUNE_OOM_H

#include <setjmp.h>
#include <stddef.h>

void kt_oom_arm(jmp_buf *env); /* NULL: disarm */
char *kt_strdup(const char *s); /* never NULL: kt_oom */
/* A failed allocation in the update path: rolls back (main thread, before commit),
 * refuses (control thread, after kt_oom_arm), or stops a helper. */
__attribute__((noreturn)) void kt_oom(const char *what);
/* Grows a malloc'd array to hold `need` elements of `elem` bytes (capacity doubles,
 * from 1024); never NULL: kt_oom. */
void *kt_grow(void *arr, size_t *cap, size_t need, size_t elem);

#endif
