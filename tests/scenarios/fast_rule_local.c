/* Rules whose $xform converts into a local copy (not into $out itself) on the
 * forwarding engine: a `void *` through XF_PTR into a local, then assigned, and an
 * inline member through $xform into a local struct.  The engine cannot come back to a
 * local later, so it rebuilds what they lead to at once; contents checked after.
 * kitsune-test: env=KITSUNE_ENGINE=fast
 * kitsune-test: expect objects_transformed >= 200 */
#include "scenario.h"

#define N 200

struct num {
#if VERSION == 1
    int v;
#else
    long v;
#endif
    struct num *same; /* points to itself: rebuilt at once, met again */
};

struct box {
    void *data; /* a struct num */
    struct box *next;
};

struct inner {
    struct num *first;
    int len;
};

struct holder {
#if VERSION == 1
    int count;
#else
    long count;
#endif
    struct inner in;
};

struct box *boxes;
struct holder holder;
struct num *last_num; /* struct num among the types the variables reach */

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = N - 1; i >= 0; i--) {
            struct box *b = malloc(sizeof *b);
            struct num *n = malloc(sizeof *n);
            n->v = -i;
            n->same = n;
            b->data = n;
            b->next = boxes;
            boxes = b;
        }
        holder.count = 3;
        holder.in.first = boxes->data;
        holder.in.len = N;
    } else {
        int i = 0;
        for (struct box *b = boxes; b; b = b->next, i++) {
            struct num *n = b->data;
            CHECK_INT(n->v, -i);
            CHECK(n->same == n);
        }
        CHECK_INT(i, N);
        CHECK_INT(holder.count, 3);
        CHECK_INT(holder.in.len, N);
        CHECK(holder.in.first == boxes->data);
        scenario_report();
    }
    scenario_loop("loop");
}
