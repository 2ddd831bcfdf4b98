/* A pointer never initialised that happens to hold a heap address: it is in mapped
 * memory, but in no block malloc handed out (here it points at the header malloc keeps
 * in front of a block, which stays allocated: whatever the update allocates, the
 * address is no block's).  The engines check a heap pointer against malloc's chunks before following
 * it, so the update is rolled back with the path of the pointer from its root, and
 * the old version goes on.
 * kitsune-test: outcomes=rolled_back
 * kitsune-test: reason=table[2]->next->next = 0x ... : not an allocation; a pointer to 0x
 */
#include <stdint.h>

#include "scenario.h"

struct node {
#if VERSION == 1
    int value;
#else
    long value; /* the type changes: nodes are rebuilt, and their pointers followed */
#endif
    struct node *next;
};

struct node *table[4];

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        struct node *a = malloc(sizeof *a), *b = malloc(sizeof *b);
        a->value = 1;
        a->next = b;
        b->value = 2;
        /* what malloc left there, made certain: a heap address inside no block */
        uintptr_t garbage = (uintptr_t)a - 8;
        memcpy(&b->next, &garbage, sizeof b->next);
        table[2] = a;
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("loop");
        if (table[2]->value != 1 || table[2]->next->value != 2) {
            printf("FAIL: the old state changed\n");
            fflush(stdout);
        }
        usleep(1000);
    }
}
