/* Rules for anonymous union members (no field name), which hold pointers: one named
 * where its type is declared (struct node.<union at anon_union_rule.c:13>), one by its
 * members (struct pair.<n,p>), in anon_union_rule.v2.xf.  Both structs change layout
 * (a widened tag), so they are rebuilt and the rules say which member is in use. */
#include "scenario.h"

struct node {
#if VERSION == 1
    int tag; /* 1: s is in use, 0: i */
#else
    long tag;
#endif
    union {
        long i;
        char *s;
    };
};

struct pair {
#if VERSION == 1
    int tag;
#else
    long tag;
#endif
    union {
        long n;
        char *p;
    };
};

struct node nodes[2];
struct pair pairs[2];
char *text; /* on the heap: the rules copy the pointer as it is */

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        text = strdup("kept");
        nodes[0].tag = 0;
        nodes[0].i = 42;
        nodes[1].tag = 1;
        nodes[1].s = text;
        pairs[0].tag = 1;
        pairs[0].p = text;
        pairs[1].tag = 0;
        pairs[1].n = 7;
    } else {
        CHECK_INT(nodes[0].i, 42);
        CHECK_STR(nodes[1].s, "kept");
        CHECK(nodes[1].s == text);
        CHECK(pairs[0].p == text);
        CHECK_INT(pairs[1].n, 7);
        CHECK_INT(pairs[0].tag, 1);
        scenario_report();
    }
    scenario_loop("loop");
}
