/* Globals of every shape, file statics and function statics carried over by
 * kitsune_do_automigrate(), with pointers into static data and to functions remapped. */
#include "scenario.h"

struct pair {
    int a;
    long b;
};

struct node {
    int value;
    struct node *next;
};

int counter;
double ratio;
char name[16];
int table[8];
struct pair pair;
struct pair pairs[3];
struct node *list;            /* heap data: stays where it is */
int *into_table;              /* interior pointer into a global array */
struct pair *to_pair;         /* pointer to a global struct */
const char *greeting;         /* pointer to a string literal */
int (*op)(int);               /* function pointer to a static function */
int (*ops[2])(int);           /* array of function pointers */
static int file_static;
const int version_constant = VERSION * 100; /* const: not migrated */
int manual_skip E_MANUAL_MIGRATE;             /* left alone by automigration */
int manual_explicit E_MANUAL_MIGRATE;         /* migrated only by MIGRATE_GLOBAL */

static int add_one(int x) { return x + 1 + (VERSION - 1) * 1000; }
int twice(int x) { return 2 * x + (VERSION - 1) * 1000; }

static int tick(void)
{
    static int calls; /* same name as below, different function */
    return ++calls;
}

static int tock(void)
{
    static int calls;
    calls += 10;
    return calls;
}

static void setup(void)
{
    counter = 42;
    ratio = 0.5;
    strcpy(name, "kitsune");
    for (int i = 0; i < 8; i++)
        table[i] = i * i;
    pair = (struct pair){7, 70000000000L};
    for (int i = 0; i < 3; i++)
        pairs[i] = (struct pair){i, -i};
    for (int i = 3; i > 0; i--) {
        struct node *n = malloc(sizeof *n);
        n->value = i;
        n->next = list;
        list = n;
    }
    into_table = &table[5];
    to_pair = &pairs[2];
    greeting = "hello from v1";
    op = add_one;
    ops[0] = add_one;
    ops[1] = twice;
    file_static = 5;
    manual_skip = 11;
    manual_explicit = 12;
    tick();
    tick();
    tock();
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        setup();
    } else {
        CHECK_INT(counter, 42);
        CHECK(ratio == 0.5);
        CHECK_STR(name, "kitsune");
        CHECK_INT(table[7], 49);
        CHECK_INT(pair.b, 70000000000L);
        CHECK_INT(pairs[2].a, 2);
        CHECK_INT(list->value, 1);
        CHECK_INT(list->next->next->value, 3);
        CHECK(into_table == &table[5]);
        CHECK_INT(*into_table, 25);
        CHECK(to_pair == &pairs[2]);
        CHECK_STR(greeting, "hello from v1");
        CHECK(op == add_one);
        CHECK_INT(op(1), 1002);
        CHECK(ops[1] == twice);
        CHECK_INT(ops[1](1), 1002);
        CHECK_INT(file_static, 5);
        CHECK_INT(tick(), 3);
        CHECK_INT(tock(), 20);
        CHECK_INT(version_constant, 200);
        CHECK_INT(manual_skip, 0);
        CHECK_INT(manual_explicit, 0);
        CHECK(MIGRATE_GLOBAL(manual_explicit));
        CHECK_INT(manual_explicit, 12);
        scenario_report();
    }
    scenario_loop("loop");
}
