/* A program with a non-trivial heap for the rollback tests (tests/lib/run_faults.sh):
 * every step of an update fails in turn, and after each the state digest must be the
 * one from before.  The nodes hold function pointers, so the engine fixes them in
 * place and a rollback must undo exactly that.  SIGUSR1 prints the digest. */
#include <signal.h>
#include <stdint.h>

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

int main(void)
{
    kitsune_do_automigrate();
    signal(SIGUSR1, on_usr1);
    if (!kitsune_is_updating()) {
        build();
        printf("ready\n");
        fflush(stdout);
    } else {
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
