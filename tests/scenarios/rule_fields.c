/* Rules inside transformed objects (the engine's side of OP_RULE):
 *   - a heap list whose node gains a field (INIT from $base), with pointers to a node
 *     and into a node's member behind the new field;
 *   - a union holding a function pointer or a number, converted by a field rule that
 *     reads the tag from $base (XF_FPTR remaps the function), in a global array and in
 *     heap objects that otherwise keep their layout;
 *   - a field rule that sees the new object's other members already converted. */
#include "scenario.h"

#define N 1000

struct node {
    int id;
#if VERSION == 2
    long weight; /* INIT struct node.weight: id * 10 */
#endif
    struct node *next;
    char name[8];
};

union payload {
    int (*fn)(int);
    long num;
};

struct event {
    int kind; /* 1: fn, 2: num */
    union payload u;
    struct event *next;
};

struct node *nodes;
struct node *node_500;
char *name_500;         /* &node_500->name[1] */
struct event events[3];
struct event *heap_events;

static int handler(int x) { return x + VERSION * 100; }

static struct event make_event(int i)
{
    struct event e = {.kind = i % 2 ? 1 : 2};
    if (e.kind == 1)
        e.u.fn = handler;
    else
        e.u.num = -i;
    return e;
}

static void check_event(const struct event *e, int i)
{
    CHECK_INT(e->kind, i % 2 ? 1 : 2);
    if (e->kind == 1) {
        CHECK(e->u.fn == handler);
        CHECK_INT(e->u.fn(1), 201);
    } else {
        CHECK_INT(e->u.num, -i);
    }
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = N - 1; i >= 0; i--) {
            struct node *n = malloc(sizeof *n);
            n->id = i;
            n->next = nodes;
            snprintf(n->name, sizeof n->name, "n%d", i);
            nodes = n;
            if (i == 500) {
                node_500 = n;
                name_500 = &n->name[1];
            }
        }
        for (int i = 0; i < 3; i++)
            events[i] = make_event(i);
        for (int i = 3; i < 10; i++) {
            struct event *e = malloc(sizeof *e);
            *e = make_event(i);
            e->next = heap_events;
            heap_events = e;
        }
    } else {
        int i = 0;
        for (struct node *n = nodes; n; n = n->next, i++) {
            CHECK_INT(n->id, i);
#if VERSION == 2
            CHECK_INT(n->weight, i * 10L);
#endif
            if (i == 500)
                CHECK(n == node_500);
        }
        CHECK_INT(i, N);
        CHECK(name_500 == &node_500->name[1]);
        CHECK_STR(name_500, "500");
        for (i = 0; i < 3; i++)
            check_event(&events[i], i);
        i = 9;
        for (struct event *e = heap_events; e; e = e->next, i--)
            check_event(e, i);
        CHECK_INT(i, 2);
        scenario_report();
    }
    scenario_loop("loop");
}
