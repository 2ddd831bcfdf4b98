/* A graph with shared nodes and cycles, node type changed: two pointers to one old
 * node lead to one new node (sharing preserved), cycles and self-loops stay cycles,
 * and every node is rebuilt exactly once.
 * kitsune-test: expect objects_transformed = 64 */
#include "scenario.h"

#define N 64

struct gnode {
#if VERSION == 1
    int id;
    struct gnode *edges[3];
    struct gnode *self;
#else
    struct gnode *self;
    long id;
    struct gnode *edges[3];
#endif
};

struct gnode *roots[2];
struct gnode *all[N]; /* every node once more, from a global array */

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = 0; i < N; i++) {
            all[i] = calloc(1, sizeof *all[i]);
            all[i]->id = i;
            all[i]->self = all[i];
        }
        for (int i = 0; i < N; i++) {
            all[i]->edges[0] = all[(i + 1) % N];          /* one big cycle */
            all[i]->edges[1] = all[(i * 7 + 3) % N];      /* shared targets */
            all[i]->edges[2] = i % 5 == 0 ? all[i] : NULL; /* self loops */
        }
        roots[0] = all[0];
        roots[1] = all[N / 2];
    } else {
        CHECK(roots[0] == all[0]);
        CHECK(roots[1] == all[N / 2]);
        for (int i = 0; i < N; i++) {
            CHECK_INT(all[i]->id, i);
            CHECK(all[i]->self == all[i]);
            CHECK(all[i]->edges[0] == all[(i + 1) % N]);
            CHECK(all[i]->edges[1] == all[(i * 7 + 3) % N]);
            CHECK(all[i]->edges[2] == (i % 5 == 0 ? all[i] : NULL));
        }
        int steps = 0;
        struct gnode *n = roots[0];
        do {
            n = n->edges[0];
            steps++;
        } while (n != roots[0] && steps <= N);
        CHECK_INT(steps, N);
        scenario_report();
    }
    scenario_loop("loop");
}
