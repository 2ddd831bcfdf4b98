/* Function renames: a table of hash functions (and a heap object) points to a
 * function that the next version renames.  v1 -> v2: the file static hash_fnv became
 * the global hash_string, and the rule `xf_func_renamed.c/hash_fnv -> hash_string`
 * remaps every pointer to it; a pointer the runtime cannot see (behind an E_OPAQUE
 * pointer, as a library would keep it) reaches the renamed function when it is called
 * (the stale-call handler, runtime/stale.c).  v2 -> v3: hash_string is renamed again without a rule,
 * so the table's pointer has no target: refused before the program pauses, naming the
 * slot and the function.
 * kitsune-test: outcomes=committed,refused
 * kitsune-test: reason=hashers[0].fn points to hash_string, which the new version does not have
 */
#include "scenario.h"

typedef unsigned (*hash_fn)(const char *);

static unsigned fnv(const char *s)
{
    unsigned h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

#if VERSION == 1
static unsigned hash_fnv(const char *s) { return fnv(s); }
#define HASH_FNV hash_fnv
#elif VERSION == 2
unsigned hash_string(const char *s) { return fnv(s); }
#define HASH_FNV hash_string
#else
unsigned hash_fnv32(const char *s) { return fnv(s); }
#define HASH_FNV hash_fnv32
#endif
static unsigned hash_len(const char *s) { return (unsigned)strlen(s); }

struct hasher {
    const char *name;
    hash_fn fn;
};

struct hasher hashers[2];
struct hasher *current;     /* on the heap */
struct hasher *hidden E_OPAQUE; /* never followed: its fn still points into v1 */

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        hashers[0] = (struct hasher){"fnv", HASH_FNV};
        hashers[1] = (struct hasher){"len", hash_len};
        current = malloc(sizeof *current);
        *current = hashers[0];
        hidden = malloc(sizeof *hidden);
        *hidden = hashers[0];
    } else {
        CHECK(hashers[0].fn == HASH_FNV);
        CHECK(hashers[1].fn == hash_len);
        CHECK(current->fn == HASH_FNV);
        CHECK_INT(hashers[0].fn("kitsune"), fnv("kitsune"));
        CHECK_INT(current->fn("abc"), fnv("abc"));
    }
    if (!kitsune_is_updating()) {
        printf("ready\n");
        fflush(stdout);
    }
    int reported = !kitsune_is_updating();
    for (;;) {
        kitsune_update("loop");
        if (!reported && !kitsune_is_updating()) {
            /* Committed: the old version is retired, its code unmapped. */
            CHECK_INT(hidden->fn("stale"), fnv("stale"));
            scenario_report();
            reported = 1;
        }
        usleep(1000);
    }
}
