/* A union of a function pointer and an E_OPAQUE data pointer (a handler or its
 * argument, as in Snort's OutputFuncNode): when it holds a function of the old
 * version it is remapped to the new one, otherwise its value is kept.  In a global
 * array and in a heap object whose struct changes layout (rebuilt). */
#include "scenario.h"

static int handler(void)
{
    return VERSION;
}

struct node {
#if VERSION == 1
    int kind;
#endif
    union {
        int (*fn)(void);
        void * E_OPAQUE arg;
    } u;
#if VERSION == 2
    int kind; /* moved: the struct is rebuilt */
#endif
};

struct node nodes[2];
struct node *heap_node;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        nodes[0].kind = 1;
        nodes[0].u.fn = handler;
        nodes[1].kind = 2;
        nodes[1].u.arg = strdup("argument");
        heap_node = malloc(sizeof *heap_node);
        heap_node->kind = 1;
        heap_node->u.fn = handler;
    } else {
        CHECK(nodes[0].u.fn == handler);
        CHECK_INT(nodes[0].u.fn(), VERSION);
        CHECK_INT(nodes[1].kind, 2);
        CHECK_STR((char *)nodes[1].u.arg, "argument");
        CHECK(heap_node->u.fn == handler);
        CHECK_INT(heap_node->u.fn(), VERSION);
        CHECK_INT(heap_node->kind, 1);
        scenario_report();
    }
    scenario_loop("loop");
}
