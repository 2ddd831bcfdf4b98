/* A variable rule that converts a member itself with $xform (XF_INVOKE of a type
 * closure on an inline struct): the heap objects that member leads to are found and
 * rebuilt like any others, so its pointers land on new objects. */
#include "scenario.h"

struct node {
#if VERSION == 1
    int v;
#else
    long v;
#endif
    struct node *next;
};

struct inner {
    struct node *list;
    int len;
};

struct holder {
#if VERSION == 1
    int count;
#else
    long count; /* the rule doubles it */
#endif
    struct inner in;
};

struct holder holder;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        holder.count = 21;
        for (int i = 3; i > 0; i--) {
            struct node *n = malloc(sizeof *n);
            n->v = -i;
            n->next = holder.in.list;
            holder.in.list = n;
        }
        holder.in.len = 3;
    } else {
        CHECK_INT(holder.count, 42);
        CHECK_INT(holder.in.len, 3);
        int i = 1;
        for (struct node *n = holder.in.list; n; n = n->next, i++)
            CHECK_INT(n->v, -i);
        CHECK_INT(i, 4);
        scenario_report();
    }
    scenario_loop("loop");
}
