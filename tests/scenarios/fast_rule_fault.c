/* A transformer that fails in the middle of a forwarded update: the first attempt
 * crashes (SIGSEGV) in a rule, the second calls kitsune_xf_fail, the third commits.
 * With KITSUNE_THREADS=2 the failing node lies in the half of the tree a helper
 * thread takes.  Each rollback must leave every old object as it was (the third
 * attempt transforms them all again and checks them).
 * kitsune-test: outcomes=rolled_back,rolled_back,committed */
#include "scenario.h"

#define TREE 65535
#define N 2000

struct rec {
    long id;
    struct rec *left, *right;
#if VERSION == 2
    long twice;
#endif
};

struct node {
    struct node *next;
    long key;
#if VERSION == 2
    int extra;
#endif
};

struct rec *tree;
struct node *head;
int attempts; /* counted by the rules, in the old version */

static struct rec *build(long lo, long hi)
{
    if (lo >= hi)
        return NULL;
    long mid = lo + (hi - lo) / 2;
    struct rec *r = malloc(sizeof *r);
    r->id = mid;
    r->left = build(lo, mid);
    r->right = build(mid + 1, hi);
    return r;
}

static long check(const struct rec *r, long lo, long hi)
{
    if (!r)
        return 0;
    CHECK(r->id >= lo && r->id < hi);
#if VERSION == 2
    CHECK_INT(r->twice, 2 * r->id);
#endif
    return 1 + check(r->left, lo, r->id) + check(r->right, r->id + 1, hi);
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        tree = build(0, TREE);
        for (long i = N; i > 0; i--) {
            struct node *n = malloc(sizeof *n);
            n->key = i;
            n->next = head;
            head = n;
        }
    } else {
        CHECK_INT(check(tree, 0, TREE), TREE);
        long k = 1;
        for (struct node *n = head; n; n = n->next, k++) {
            CHECK_INT(n->key, k);
#if VERSION == 2
            CHECK_INT(n->extra, 9);
#endif
        }
        CHECK_INT(k, N + 1);
        scenario_report();
    }
    scenario_loop("loop");
}
