/* $gen in the rule of a generic type: struct box is generic in what its payload
 * points to; its rule (xf_gen.v2.xf) renumbers the tag and has the payload followed
 * with the closure bound to @t, here struct item, whose layout changes. */
#include "scenario.h"

struct item {
    int value;
#if VERSION == 2
    int doubled;
#endif
};

struct box E_GENERIC(@t) {
    int tag;
    void E_T(@t) *payload;
};

struct box E_G(struct item) *boxes[3];
struct item *first_item; /* shares the payload of boxes[0] */

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = 0; i < 3; i++) {
            struct item *it = malloc(sizeof *it);
            it->value = 10 * (i + 1);
            boxes[i] = malloc(sizeof *boxes[i]);
            boxes[i]->tag = i;
            boxes[i]->payload = it;
        }
        first_item = boxes[0]->payload;
    } else {
#if VERSION == 2
        for (int i = 0; i < 3; i++) {
            const struct item *it = boxes[i]->payload;
            CHECK_INT(boxes[i]->tag, i + 100);
            CHECK_INT(it->value, 10 * (i + 1));
            CHECK_INT(it->doubled, 20 * (i + 1));
        }
        CHECK(first_item == boxes[0]->payload); /* one new item, shared */
#endif
        scenario_report();
    }
    scenario_loop("loop");
}
