/* maps.h - the process's mappings: readable ranges, the snapshot the engines consult,
 * /proc (maps.c). */
#ifndef KITSUNE_MAPS_H
#define KITSUNE_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The process's readable mappings, sorted (--check, the audit) */
struct kt_map_range {
    uintptr_t lo, hi;
};
struct kt_maps {
    struct kt_map_range *r;
    int n;
    int heap; /* the range holding [heap], asked first (most pointers lead there); -1 */
};
int kt_maps_load(struct kt_maps *m);
int kt_maps_contains(const struct kt_maps *m, uintptr_t p);
int kt_maps_contains_range(const struct kt_maps *m, uintptr_t p, size_t len);
void kt_maps_free(struct kt_maps *m);
/* The readable memory as a snapshot taken when a transfer starts, for the engines
 * (maps.c); kt_maps_readable says yes to everything when there is none. */
int kt_maps_snapshot(void);
int kt_maps_readable(uintptr_t p, size_t len);
/* Only whether [p, p+len) is mapped: enough to read a byte that decides to leave an
 * object alone (a dispatching rule's tag), not to follow or change it. */
int kt_maps_mapped(uintptr_t p, size_t len);
/* Why [p, p+len) is not: "not in mapped memory", "not an allocation", or NULL. */
const char *kt_maps_why(uintptr_t p, size_t len);
/* Whether the program's malloc is glibc's: only then do malloc's chunk headers
 * describe its blocks (a sanitizer's or another allocator's malloc keeps its own). */
int kt_maps_glibc_malloc(void);
/* The bytes of the allocation that starts at p as the program's allocator knows it:
 * glibc's usable size, or under AddressSanitizer the size asked for; 0 when p starts
 * none, or the allocator is another (kt_maps_block_sizes_known). */
size_t kt_maps_block_size(uintptr_t p);
/* Whether kt_maps_block_size can tell: the allocator is glibc's or AddressSanitizer's. */
int kt_maps_block_sizes_known(void);
/* Both at once, with one lookup: kt_maps_readable(p, len), and *block set to
 * kt_maps_block_size(p). */
int kt_maps_heap_object(uintptr_t p, size_t len, size_t *block);
void kt_maps_snapshot_free(void);
/* The main malloc heap ([heap] in the maps, read now: it grows); 0, 0 when none. */
void kt_maps_heap_range(uintptr_t *lo, uintptr_t *hi);

#endif
