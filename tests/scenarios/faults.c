/* A program with a non-trivial heap for the rollback tests (tests/lib/run_faults.sh):
 * every step of an update fails in turn, and after each the state digest must be the
 * one from before.  The nodes hold function pointers, so the engine fixes them in
 * place and a rollback must undo exactly that.  SIGUSR1 prints the digest.
 *
 * The new version can also fail on its own before reaching its update point, in the
 * way named in the file $FAULTS_KIND_FILE (empty: it does not fail). */
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>

#include "scenario.h"

struct node {
    int key;
    char *name;
    int (*fn)(int);
    struct node *next;
    struct node *twin; /* shared: many nodes point to the same twin */
};

struct node *head;
struct node *index_of[16];
long rounds;
static volatile sig_atomic_t want_digest;

static int add(int x) { return x + 1; }
static int mul(int x) { return x * 3; }

static unsigned long long mix(unsigned long long h, unsigned long long v)
{
    h ^= v;
    return h * 0x100000001b3ULL;
}

static unsigned long long digest(void)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    for (struct node *n = head; n; n = n->next) {
        h = mix(h, (uintptr_t)n);
        h = mix(h, (unsigned)n->key);
        h = mix(h, (uintptr_t)n->fn);
        h = mix(h, (uintptr_t)n->twin);
        for (const char *c = n->name; *c; c++)
            h = mix(h, (unsigned char)*c);
    }
    for (int i = 0; i < 16; i++)
        h = mix(h, (uintptr_t)index_of[i]);
    return h;
}

static void on_usr1(int sig)
{
    (void)sig;
    want_digest = 1;
}

static void build(void)
{
    struct node *twin = NULL;
    for (int i = 2000; i > 0; i--) {
        struct node *n = malloc(sizeof *n);
        char buf[32];
        snprintf(buf, sizeof buf, "node-%d", i);
        n->key = i;
        n->name = strdup(buf);
        n->fn = i % 2 ? add : mul;
        n->next = head;
        if (i % 100 == 0)
            twin = n;
        n->twin = twin;
        head = n;
        if (i % 125 == 0)
            index_of[i / 125 - 1] = n;
    }
}

/* A heap corrupted by the new version, as glibc 2.36 finds it.  HELD: a block too large
 * for the tcache and the fast bins (4000 bytes), a guard block after it, the size
 * field of the chunk after the first overwritten (8, "in use before it"), then the
 * first freed: _int_free reports "free(): invalid next size (normal)" and aborts with
 * the arena's lock taken.  INVALID: a pointer into the middle of a block is freed:
 * "free(): invalid pointer", before any lock is taken.  BINS: the same, after a fast
 * bin's list was made to lead to garbage (eight 24-byte blocks freed: seven fill the
 * tcache, the eighth goes to its fast bin, and its link is written after its free).
 * A walk of that list (mallinfo2) then finds glibc's check failing, "unaligned fastbin
 * chunk detected", and aborts.  BINS_WILD: the link leads to an aligned address that
 * is no address at all (not canonical), which the walk follows: SIGSEGV.  glibc stores
 * a link mangled with its own address ("safe-linking": (where >> 12) ^ pointer), so
 * the garbage written is mangled the same way, or which of the two the walk meets
 * would depend on where the block lies. */
enum corruption { INVALID, HELD, BINS, BINS_WILD };

static void fast_bin_link_to(void *freed, uintptr_t garbage)
{
    *(volatile uintptr_t *)freed = ((uintptr_t)freed >> 12) ^ garbage; /* volatile: after free */
}

__attribute__((noinline)) void faults_corrupt_heap(enum corruption how)
{
    char *volatile p = malloc(4000);
    char *volatile guard = malloc(64);
    memset(p, 0, 4000);
    if (how == HELD) {
        size_t *next_size = (size_t *)(p + malloc_usable_size(p));
        *next_size = 9;
        free(p);
    } else {
        char *volatile small[8];
        int bins = how == BINS || how == BINS_WILD;
        for (int i = 0; bins && i < 8; i++)
            small[i] = malloc(24);
        for (int i = 0; bins && i < 8; i++)
            free(small[i]);
        if (bins)
            fast_bin_link_to(small[7], how == BINS ? 0x4141414141414141u : 0x4141414141414140u);
        char *volatile inside = p + 8; /* volatile: gcc would see the bad free */
        free(inside);
    }
    free(guard);
}

/* Named in the rollback's reason: the code that crashed.  Without UBSan's checks in
 * the sanitizer build: the division by zero and the bad loads are the point. */
__attribute__((noinline, no_sanitize("undefined"))) int faults_fail_now(const char *kind)
{
    volatile int zero = 0;
    /* Called through a pointer, or the compiler moves the call to faults_fail_now.cold,
     * which the report could only name by its offset. */
    void (*volatile do_abort)(void) = abort;
    if (strcmp(kind, "abort") == 0)
        do_abort();
    if (strcmp(kind, "fpe") == 0)
        return (int)(uintptr_t)kind / zero; /* not 1 / x, which gcc computes without dividing */
    if (strcmp(kind, "ill") == 0)
        __asm__ volatile("ud2"); /* not __builtin_trap, which goes to .cold */
    if (strcmp(kind, "segv") == 0)
        return *(volatile int *)(uintptr_t)(16 + zero);
    if (strcmp(kind, "bus") == 0) { /* a mapping of a file truncated under it */
        char path[] = "/tmp/kitsune-faults-XXXXXX";
        int fd = mkstemp(path);
        unlink(path);
        if (fd < 0 || ftruncate(fd, 4096))
            return -1;
        volatile char *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
        if (ftruncate(fd, 0))
            return -1;
        return m[zero];
    }
    if (strcmp(kind, "exit") == 0)
        exit(4);
    if (strcmp(kind, "hang") == 0)
        for (;;)
            zero = 0;
    if (strcmp(kind, "hang_malloc") == 0) /* the watchdog mostly lands inside malloc */
        for (;;) {
            char *volatile p = malloc(40000 + (size_t)zero);
            p[0] = 1;
            free(p);
        }
    if (strcmp(kind, "heap_lock") == 0) { /* glibc aborts inside free, its lock held */
        faults_corrupt_heap(HELD);
        return -1;
    }
    if (strcmp(kind, "heap_free") == 0) { /* glibc aborts inside free before locking */
        faults_corrupt_heap(INVALID);
        return -1;
    }
    if (strcmp(kind, "heap_bins") == 0) { /* and the arena's free lists are garbage */
        faults_corrupt_heap(BINS);
        return -1;
    }
    if (strcmp(kind, "heap_bins_wild") == 0) { /* and lead nowhere */
        faults_corrupt_heap(BINS_WILD);
        return -1;
    }
    return 0;
}

/* The failure asked for by the test, or "" (read before anything is allocated). */
static const char *failure_kind(void)
{
    static char kind[32];
    const char *path = getenv("FAULTS_KIND_FILE");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (f) {
        if (!fgets(kind, sizeof kind, f))
            kind[0] = 0;
        kind[strcspn(kind, "\n")] = 0;
        fclose(f);
    }
    return kind;
}

int main(void)
{
    kitsune_do_automigrate();
    signal(SIGUSR1, on_usr1);
    if (!kitsune_is_updating()) {
        build();
        printf("ready\n");
        fflush(stdout);
    } else {
        const char *kind = failure_kind();
        if (strcmp(kind, "return") == 0)
            return 3;
        if (kind[0])
            faults_fail_now(kind);
        int n = 0, ok = 1;
        for (struct node *p = head; p; p = p->next, n++)
            ok &= p->fn(3) == (p->key % 2 ? 4 : 9) && p->fn == (p->key % 2 ? add : mul);
        CHECK_INT(n, 2000);
        CHECK(ok);
        CHECK_INT(index_of[3]->key, 500);
        scenario_report();
    }
    for (;;) {
        kitsune_update("loop");
        if (want_digest) {
            want_digest = 0;
            printf("digest %016llx\n", digest());
            fflush(stdout);
        }
        rounds++;
        usleep(1000);
    }
}
