/* Statics in memory that is read-only once the version is loaded belong to the new
 * version: they are never copied (the copy would fault), and pointers to the old
 * version's copies are remapped to the new one's, by key and offset.
 *
 *   table, names   not const, but never written: gcc and clang at -O1 and up put them
 *                  into .data.rel.ro (relocated, then made read-only by RELRO); at -O0
 *                  they stay in .data and are migrated as usual;
 *   ctable,        const, with relocations (function pointers, string pointers):
 *   cnames         .data.rel.ro at any -O level; pointed to from a global and from a
 *                  heap object, so those pointers must be remapped (the old copy is
 *                  unmapped when the old version retires);
 *   limits         const without relocations: .rodata.
 * Version 2 adds an entry to ctable and changes a limit: what runs after the update is
 * the new version's data (table and names keep their contents, so the outcome is the
 * same whether they were migrated, at -O0, or not).  Version 3 drops ctable, which
 * the heap still points to: that update is rolled back.  tests/lib/run_compilers.sh
 * builds this with gcc and clang at -O0 and -O2.
 * kitsune-test: outcomes=committed,committed,rolled_back
 * kitsune-test: reason=pointer into read-only variable ro_statics.c/ctable, which the new version does not have */
#include "scenario.h"

struct cmd {
    const char *name;
    int (*fn)(int);
};

static int cmd_set(int x) { return x + 1 + VERSION * 1000; }
static int cmd_get(int x) { return 2 * x + VERSION * 1000; }
static int cmd_del(int x) { return -x + VERSION * 1000; }
#if VERSION == 2
static int cmd_len(int x) { return x + 100 + VERSION * 1000; }
#endif

static struct cmd table[] = {{"SET", cmd_set}, {"GET", cmd_get}, {"DEL", cmd_del}};
static const char *names[3] = {"alpha", "beta", "gamma"};

#if VERSION < 3
static const struct cmd ctable[] = {
    {"c-set", cmd_set}, {"c-get", cmd_get}, {"c-del", cmd_del},
#if VERSION == 2
    {"c-len", cmd_len},
#endif
};
#endif
static const char *const cnames[] = {"one", "two", "three"};
static const int limits[4] = {10, 20, 30, 40 + VERSION};

/* Pointers into the constant tables, from a global and from a heap object. */
const struct cmd *current;
const char *const *cur_name;
const int *cur_limit;
struct holder {
    const struct cmd *cmd;
    const char *const *name;
    long uses;
};
struct holder *held;
int calls; /* ordinary state, migrated */

#define COUNT(a) (int)(sizeof(a) / sizeof *(a))

/* Reads the tables with indices the compiler cannot fold (else clang drops table). */
static int run(const char *name, int arg)
{
    volatile int zero = 0;
    for (int i = zero; i < COUNT(table); i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].fn(arg);
    return -1;
}

static const char *name_at(int i) { return i < COUNT(names) ? names[i] : NULL; }

int main(void)
{
    kitsune_do_automigrate();
    volatile int one = 1;
    int k = one; /* unknown to the compiler */
    if (!kitsune_is_updating()) {
#if VERSION < 3 /* (version 3 never starts fresh) */
        current = &ctable[k];
#endif
        cur_name = &cnames[k + 1];
        cur_limit = &limits[k + 2];
        held = malloc(sizeof *held);
#if VERSION < 3
        held->cmd = &ctable[k + 1];
#endif
        held->name = &cnames[k];
        held->uses = 7;
        calls = run("SET", 1) + run("GET", 2);
    } else {
        int v = VERSION * 1000;
        CHECK_INT(calls, 2 + 4 + 2000);
        CHECK_INT(run("SET", 5), 6 + v);
        CHECK_INT(run("DEL", 5), -5 + v);
        CHECK_STR(name_at(k), "beta");
#if VERSION == 2
        CHECK_INT(ctable[3].fn(5), 105 + v);
#endif
#if VERSION < 3
        CHECK(current == &ctable[1]);
        CHECK_STR(current->name, "c-get");
        CHECK_INT(current->fn(3), 6 + v);
#endif
        CHECK(cur_name == &cnames[2]);
        CHECK_STR(*cur_name, "three");
        CHECK(cur_limit == &limits[3]);
        CHECK_INT(*cur_limit, 40 + VERSION);
#if VERSION < 3
        CHECK(held->cmd == &ctable[2]);
        CHECK_INT(held->cmd->fn(3), -3 + v);
#endif
        CHECK(held->name == &cnames[1]);
        CHECK_STR(*held->name, "two");
        CHECK_INT(held->uses, 7);
        scenario_report();
    }
    scenario_loop("loop");
}
