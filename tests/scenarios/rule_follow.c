/* Rules that follow pointers themselves ($xform through XF_PTR on a void *) while the
 * engine transforms: 3000 heap boxes, each pointing to a rebuilt object chosen by its
 * tag, so the engine's object table grows while objects are being transformed.
 * Sharing holds across rule-followed and engine-followed pointers. */
#include "scenario.h"

#define N 3000

struct num {
#if VERSION == 1
    int v;
#else
    long v;
#endif
};

struct text {
#if VERSION == 1
    char s[6];
    short len;
#else
    short len;
    char s[6];
#endif
};

struct box {
    int kind; /* 1: num, 2: text */
    void *data;
    struct box *next;
};

struct box *boxes;
struct num *first_num; /* the engine follows this one; a rule follows the same object */
struct text *first_text; /* (also puts struct text in the summary: kitc lists the types
                          * its variables reach) */

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = N - 1; i >= 0; i--) {
            struct box *b = malloc(sizeof *b);
            b->kind = i % 2 ? 2 : 1;
            if (b->kind == 1) {
                struct num *n = malloc(sizeof *n);
                n->v = -i;
                b->data = n;
            } else {
                struct text *t = malloc(sizeof *t);
                snprintf(t->s, sizeof t->s, "%d", i % 10000);
                t->len = (short)strlen(t->s);
                b->data = t;
            }
            b->next = boxes;
            boxes = b;
        }
        first_num = boxes->data;
        first_text = boxes->next->data;
    } else {
        int i = 0;
        for (struct box *b = boxes; b; b = b->next, i++) {
            if (i % 2 == 0) {
                CHECK_INT(((struct num *)b->data)->v, -i);
            } else {
                char want[8];
                snprintf(want, sizeof want, "%d", i % 10000);
                CHECK_STR(((struct text *)b->data)->s, want);
                CHECK_INT(((struct text *)b->data)->len, (int)strlen(want));
            }
        }
        CHECK_INT(i, N);
        CHECK(first_num == boxes->data);
        CHECK(first_text == boxes->next->data);
        scenario_report();
    }
    scenario_loop("loop");
}
