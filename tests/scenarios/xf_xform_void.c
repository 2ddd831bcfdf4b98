/* `$xform` on a `void *` field whose target type is chosen from the enclosing old
 * object ($base.kind), as redis and icecast do: one target type changed (struct num
 * gained a field), the other did not; sharing between boxes is kept. */
#include "scenario.h"

struct num {
    long v;
#if VERSION >= 2
    long twice; /* new: 2 * v */
#endif
};

struct text {
    char s[16];
};

struct box {
    int kind; /* 1: data is a struct num; 2: a struct text; 0: nothing */
    void *data;
};

struct box boxes[4];
/* The summary lists the types the program's variables reach; these make sure the
 * types behind `data` are among them. */
struct num *last_num;
struct text *last_text;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        struct num *n = malloc(sizeof *n);
        n->v = 21;
        struct text *t = malloc(sizeof *t);
        strcpy(t->s, "hello");
        boxes[0] = (struct box){1, n};
        boxes[1] = (struct box){2, t};
        boxes[2] = (struct box){1, n}; /* shared */
        boxes[3] = (struct box){0, NULL};
        last_num = n;
        last_text = t;
    } else {
#if VERSION >= 2
        struct num *n = boxes[0].data;
        struct text *t = boxes[1].data;
        CHECK_INT(n->v, 21);
        CHECK_INT(n->twice, 42);
        CHECK_STR(t->s, "hello");
        CHECK(boxes[2].data == boxes[0].data);
        CHECK(boxes[3].data == NULL);
        CHECK_INT(boxes[1].kind, 2);
        CHECK(last_num == n && last_text == t);
#endif
        scenario_report();
    }
    scenario_loop("loop");
}
