/* arrays.c - kitc test: array lengths read right whatever DWARF form holds the bound
 * (see arrays.h), and the struct holding arrays of all those lengths. */
#include "arrays.h"

#define GLOBALS(n) int g##n[n]; static unsigned char s##n[n] __attribute__((used)); \
    short m##n[2][n]; long t##n[n][2];
ARRAY_LENGTHS(GLOBALS)

struct lens lens;
struct lens two_lens[2];

#define READ(n) f##n[i % n] = (unsigned char)i; sum += s##n[i % n] + f##n[(i + 1) % n];
long read_all(int i)
{
#define STATIC(n) static unsigned char f##n[n] __attribute__((used));
    ARRAY_LENGTHS(STATIC)
    long sum = 0;
    ARRAY_LENGTHS(READ)
    return sum;
}
