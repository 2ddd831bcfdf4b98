/* A pointer to a changed type: a heap list whose node struct changes layout (a field
 * removed, one widened, two swapped) is rebuilt node by node; the list order, a
 * pointer to its tail and a pointer to its third node all follow.
 * kitsune-test: expect objects_transformed = 50 */
#include "scenario.h"

#define N 50

struct node {
#if VERSION == 1
    int key;
    int junk;
    struct node *next;
    char name[12];
#else
    char name[12];
    struct node *next;
    long key;
#endif
};

struct node *head, *tail, *third;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = N - 1; i >= 0; i--) {
            struct node *n = calloc(1, sizeof *n);
            n->key = -i;
#if VERSION == 1
            n->junk = 99;
#endif
            snprintf(n->name, sizeof n->name, "node%d", i);
            n->next = head;
            head = n;
            if (!tail)
                tail = n;
        }
        third = head->next->next;
    } else {
        int i = 0;
        struct node *last = NULL;
        for (struct node *n = head; n; n = n->next, i++) {
            CHECK_INT(n->key, -i);
            char want[12];
            snprintf(want, sizeof want, "node%d", i);
            CHECK_STR(n->name, want);
            last = n;
        }
        CHECK_INT(i, N);
        CHECK(tail == last);
        CHECK(third == head->next->next);
        CHECK_STR(third->name, "node2");
        scenario_report();
    }
    scenario_loop("loop");
}
