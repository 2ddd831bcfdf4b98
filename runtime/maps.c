/* maps.c - the process's readable memory, as a snapshot taken when a state transfer
 * starts.
 *
 * The engines follow every pointer they find in the old state.  One that was never
 * initialised (a field malloc left as it found it) points anywhere; following it
 * faults or, worse, walks garbage.  So before a pointer is followed it is checked
 * against this snapshot: the object it points to must lie in readable memory.  The
 * snapshot is taken with every thread parked, so what the old state can point to was
 * mapped then.  Without a snapshot (it could not be read) nothing is refused. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct range {
    uintptr_t lo, hi;
};

static struct range *ranges;
static size_t nranges;

void kt_maps_free(void)
{
    free(ranges);
    ranges = NULL;
    nranges = 0;
}

/* Reads /proc/self/maps: readable mappings, adjacent ones merged (the list is sorted). */
int kt_maps_snapshot(void)
{
    kt_maps_free();
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r')
            continue;
        if (nranges && ranges[nranges - 1].hi == lo) {
            ranges[nranges - 1].hi = hi;
            continue;
        }
        if (nranges == cap) {
            cap = cap ? cap * 2 : 256;
            struct range *n = realloc(ranges, cap * sizeof *n);
            if (!n) {
                fclose(f);
                kt_maps_free();
                return -1;
            }
            ranges = n;
        }
        ranges[nranges++] = (struct range){lo, hi};
    }
    fclose(f);
    return 0;
}

/* Whether [p, p + len) lies in readable memory (len 0 counts as 1). */
int kt_maps_readable(uintptr_t p, size_t len)
{
    if (!nranges)
        return 1;
    uintptr_t end = p + (len ? len : 1);
    if (end < p)
        return 0;
    size_t lo = 0, hi = nranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ranges[mid].hi <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nranges && ranges[lo].lo <= p && end <= ranges[lo].hi;
}
