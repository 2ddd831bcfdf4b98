/* Function pointers are remapped to the new version's function of the same key:
 * global and static functions, in globals, in structs (global, heap, changed and
 * unchanged types), in arrays, in a heap array; a pointer to a library function
 * (outside the program) is left alone. */
#include "scenario.h"

typedef int (*op_fn)(int);

static int inc(int x) { return x + 1 + VERSION * 1000; }
static int dec(int x) { return x - 1 + VERSION * 1000; }
int dbl(int x) { return 2 * x + VERSION * 1000; }

struct handler {
    const char *name;
    op_fn fn;
};

struct changed {
#if VERSION == 1
    int id;
    op_fn fn;
#else
    op_fn fn;
    long id;
#endif
    struct changed *next;
};

op_fn g_fn;
op_fn table[3];
struct handler handlers[2];
struct handler *heap_handler;
struct changed *chain;
op_fn *heap_fns E_PTRARRAY(4);
size_t (*lib_fn)(const char *);

static void check_op(op_fn f, op_fn want)
{
    CHECK(f == want);
    CHECK_INT(f(10), want(10));
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        g_fn = inc;
        table[0] = inc;
        table[1] = dec;
        table[2] = dbl;
        handlers[0] = (struct handler){"inc", inc};
        handlers[1] = (struct handler){"dbl", dbl};
        heap_handler = malloc(sizeof *heap_handler);
        *heap_handler = (struct handler){"dec", dec};
        for (int i = 0; i < 3; i++) {
            struct changed *c = malloc(sizeof *c);
            c->id = i;
            c->fn = table[i];
            c->next = chain;
            chain = c;
        }
        heap_fns = malloc(4 * sizeof *heap_fns);
        heap_fns[0] = dbl;
        heap_fns[1] = NULL;
        heap_fns[2] = dec;
        heap_fns[3] = inc;
        lib_fn = strlen;
    } else {
        check_op(g_fn, inc);
        CHECK_INT(g_fn(1), 2002);
        check_op(table[0], inc);
        check_op(table[1], dec);
        check_op(table[2], dbl);
        check_op(handlers[0].fn, inc);
        check_op(handlers[1].fn, dbl);
        CHECK_STR(handlers[1].name, "dbl");
        check_op(heap_handler->fn, dec);
        CHECK_STR(heap_handler->name, "dec");
        int i = 2;
        for (struct changed *c = chain; c; c = c->next, i--) {
            CHECK_INT(c->id, i);
            check_op(c->fn, table[i]);
        }
        CHECK_INT(i, -1);
        check_op(heap_fns[0], dbl);
        CHECK(heap_fns[1] == NULL);
        check_op(heap_fns[2], dec);
        check_op(heap_fns[3], inc);
        CHECK(lib_fn == strlen);
        scenario_report();
    }
    scenario_loop("loop");
}
