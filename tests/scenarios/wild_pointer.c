/* A pointer in the program's state that was never initialised (a node's `next` left
 * as malloc returned it): the engines check each pointer against the mapped memory
 * before following it, so the update fails with a reason naming the pointer and where
 * its type was reached, instead of faulting on it, and the old version goes on.
 * kitsune-test: outcomes=rolled_back
 * kitsune-test: reason=is not in mapped memory */
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

struct node *head;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        head = malloc(sizeof *head);
        head->value = 7;
        /* what malloc left there, made certain: an address nothing is mapped at */
        uintptr_t garbage = 0x6570797400340050u;
        memcpy(&head->next, &garbage, sizeof head->next);
        printf("ready\n");
        fflush(stdout);
    }
    for (;;) {
        kitsune_update("loop");
        if (head->value != 7) {
            printf("FAIL: the old state changed\n");
            fflush(stdout);
        }
        usleep(1000);
    }
}
