/* Rollback of updates run by the forwarding engine (tests/lib/run_faults.sh): every
 * step of an update fails in turn and the state digest must be the one from before.
 * The node types change, so the engine forwards them: a list whose node begins with
 * a pointer (its first word, overwritten by the forwarding address, comes back from
 * the engine's log), a tree whose node begins with its key (the first word comes back
 * from the new object), objects too short for a forwarding word (side map), shared
 * nodes, unchanged nodes fixed in place (function pointers, pointers into static data
 * and to rebuilt nodes) and a heap array of pointers.  SIGUSR1 prints the digest. */
#include <signal.h>
#include <stdint.h>

#include "scenario.h"

#define N 3000
#define TREE 1023

struct small {
#if VERSION == 1
    int v;
#else
    long v; /* widened: rebuilt, 4 bytes before */
#endif
};

struct node {
    struct node *next; /* the first word */
    int key;
    char *name;
    int (*fn)(int);
    struct node *twin; /* shared: many nodes point to the same twin */
    struct small *sm;
#if VERSION == 2
    long weight; /* INIT from the old node */
#endif
};

struct rec {
    long id; /* the first word */
    struct rec *left, *right;
#if VERSION == 2
    int depth;
#endif
};

struct stats {
    long calls;
};

struct cb {
    int (*fn)(int);
    struct node *target;
    struct stats *st;
    struct cb *next;
};

struct index {
    struct node **at E_PTRARRAY(self.n);
    long n;
};

struct node *head;
struct rec *tree;
struct cb *cbs;
struct stats stats;
struct index idx;
static volatile sig_atomic_t want_digest;

static int add(int x) { return x + 1; }
static int mul(int x) { return x * 3; }

static unsigned long long mix(unsigned long long h, unsigned long long v)
{
    h ^= v;
    return h * 0x100000001b3ULL;
}

static unsigned long long digest_tree(unsigned long long h, const struct rec *r)
{
    /* Iterative: depth is small, but the digest must not depend on it. */
    const struct rec *stack[64];
    int n = 0;
    if (r)
        stack[n++] = r;
    while (n) {
        r = stack[--n];
        h = mix(h, (uintptr_t)r);
        h = mix(h, (unsigned long long)r->id);
        h = mix(h, (uintptr_t)r->left);
        h = mix(h, (uintptr_t)r->right);
        if (r->right)
            stack[n++] = r->right;
        if (r->left)
            stack[n++] = r->left;
    }
    return h;
}

static unsigned long long digest(void)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    for (const struct node *n = head; n; n = n->next) {
        h = mix(h, (uintptr_t)n);
        h = mix(h, (uintptr_t)n->next);
        h = mix(h, (unsigned)n->key);
        h = mix(h, (uintptr_t)n->fn);
        h = mix(h, (uintptr_t)n->twin);
        h = mix(h, (uintptr_t)n->sm);
        h = mix(h, (unsigned long long)n->sm->v);
        for (const char *c = n->name; *c; c++)
            h = mix(h, (unsigned char)*c);
    }
    h = digest_tree(h, tree);
    for (const struct cb *c = cbs; c; c = c->next) {
        h = mix(h, (uintptr_t)c);
        h = mix(h, (uintptr_t)c->fn);
        h = mix(h, (uintptr_t)c->target);
        h = mix(h, (uintptr_t)c->st);
    }
    h = mix(h, (uintptr_t)idx.at);
    for (long i = 0; i < idx.n; i++)
        h = mix(h, (uintptr_t)idx.at[i]);
    return h;
}

static void on_usr1(int sig)
{
    (void)sig;
    want_digest = 1;
}

static struct rec *build_tree(long lo, long hi)
{
    if (lo >= hi)
        return NULL;
    long mid = lo + (hi - lo) / 2;
    struct rec *r = malloc(sizeof *r);
    r->id = mid;
    r->left = build_tree(lo, mid);
    r->right = build_tree(mid + 1, hi);
    return r;
}

static void build(void)
{
    struct node *twin = NULL;
    struct node *by_key[N + 1];
    for (int i = N; i > 0; i--) {
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
        n->sm = malloc(sizeof *n->sm);
        n->sm->v = -i;
        head = n;
        by_key[i] = n;
    }
    tree = build_tree(0, TREE);
    for (int i = 1; i <= N; i += 7) {
        struct cb *c = malloc(sizeof *c);
        *c = (struct cb){i % 2 ? add : mul, by_key[i], &stats, cbs};
        cbs = c;
    }
    idx.n = 16;
    idx.at = malloc(16 * sizeof *idx.at);
    for (int i = 0; i < 16; i++)
        idx.at[i] = by_key[1 + i * 100];
}

static long check_tree(const struct rec *r, long lo, long hi, int *ok)
{
    if (!r)
        return 0;
    if (r->id < lo || r->id >= hi)
        *ok = 0;
#if VERSION == 2
    if (r->depth != 5)
        *ok = 0;
#endif
    return 1 + check_tree(r->left, lo, r->id, ok) + check_tree(r->right, r->id + 1, hi, ok);
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
        const struct node *at[N + 1] = {0};
        for (struct node *p = head; p; p = p->next, n++) {
            ok &= p->key == n + 1;
            ok &= p->fn == (p->key % 2 ? add : mul) && p->fn(3) == (p->key % 2 ? 4 : 9);
            ok &= p->sm->v == -p->key;
            char buf[32];
            snprintf(buf, sizeof buf, "node-%d", p->key);
            ok &= strcmp(p->name, buf) == 0;
#if VERSION == 2
            ok &= p->weight == 2L * p->key;
#endif
            if (p->key <= N)
                at[p->key] = p;
        }
        CHECK_INT(n, N);
        CHECK(ok);
        for (const struct node *p = head; p; p = p->next) /* the twin of k: ceil(k/100)*100 */
            ok &= p->twin == at[(p->key + 99) / 100 * 100];
        CHECK(ok);
        int tok = 1;
        CHECK_INT(check_tree(tree, 0, TREE, &tok), TREE);
        CHECK(tok);
        int ncb = 0;
        for (const struct cb *c = cbs; c; c = c->next, ncb++) {
            CHECK(c->st == &stats);
            CHECK(c->target == at[c->target->key]);
            CHECK(c->fn == (c->target->key % 2 ? add : mul));
        }
        CHECK_INT(ncb, (N + 6) / 7);
        for (int i = 0; i < 16; i++)
            CHECK(idx.at[i] == at[1 + i * 100]);
        scenario_report();
    }
    for (;;) {
        kitsune_update("loop");
        if (want_digest) {
            want_digest = 0;
            printf("digest %016llx\n", digest());
            fflush(stdout);
        }
        usleep(1000);
    }
}
