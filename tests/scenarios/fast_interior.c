/* Interior pointers on the forwarding engine: pointers to unchanged data held inside
 * heap objects that are rebuilt (a member struct, an int member, at offset 0 and
 * further in), from globals, from rebuilt objects and from an object fixed in place,
 * reached before and after their container; a pointer to an unchanged object of the
 * same type that is not inside anything stays as it is.  The engine resolves them
 * once the containers are known; the contents are checked after the update.
 * kitsune-test: env=KITSUNE_ENGINE=fast
 * kitsune-test: expect objects_transformed >= 100 */
#include "scenario.h"

#define N 100

struct inner {
    long a, b;
};

struct outer {
    struct inner first; /* at offset 0 */
    long id;
#if VERSION == 2
    long extra;
#endif
    int count;
    struct inner in;
    struct outer *next;
};

/* Fixed in place (a pointer to a rebuilt object), holding an interior pointer. */
struct holder {
    struct outer *o;
    struct inner *member; /* points into *o */
    int *count;           /* points into *o */
};

struct inner *early_member; /* declared first: met before its container */
struct outer *head;
struct holder *holders[N];
struct inner *late_first;
struct inner *alone;        /* an inner on its own, not inside an outer */
struct inner *to_alone;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = N - 1; i >= 0; i--) {
            struct outer *o = malloc(sizeof *o);
            o->first = (struct inner){i, -i};
            o->id = i;
            o->count = 10 * i;
            o->in = (struct inner){100 + i, 200 + i};
            o->next = head;
            head = o;
            holders[i] = malloc(sizeof *holders[i]);
            *holders[i] = (struct holder){o, &o->in, &o->count};
        }
        early_member = &head->next->in;
        late_first = &head->next->next->first;
        alone = malloc(sizeof *alone);
        *alone = (struct inner){7, 8};
        to_alone = alone;
    } else {
        int i = 0;
        for (struct outer *o = head; o; o = o->next, i++) {
            CHECK_INT(o->id, i);
            CHECK_INT(o->in.b, 200 + i);
#if VERSION == 2
            CHECK_INT(o->extra, 5);
#endif
            CHECK(holders[i]->o == o);
            CHECK(holders[i]->member == &o->in);
            CHECK(holders[i]->count == &o->count);
            CHECK_INT(*holders[i]->count, 10 * i);
        }
        CHECK_INT(i, N);
        CHECK(early_member == &head->next->in);
        CHECK(late_first == &head->next->next->first);
        CHECK_INT(late_first->b, -2);
        CHECK(to_alone == alone);
        CHECK_INT(to_alone->b, 8);
        /* one object: a write through the interior pointer shows in the container */
        holders[3]->member->a = 4242;
        CHECK_INT(head->next->next->next->in.a, 4242);
        scenario_report();
    }
    scenario_loop("loop");
}
