/* A void * holding two types (kitc: candidates=struct num,struct text) without a rule
 * or an annotation: each object's type is decided at the update by the usable size of
 * its allocation (struct num: 24 bytes, struct text: 72; sizes only 16 bytes apart
 * could not be told: glibc may hand out 16 bytes more).  struct num widens its field
 * and is rebuilt; the text is kept; sharing between boxes is kept and a pointer to
 * static data goes to the new variable.  Version 3 adds a box whose object has a third
 * size: that update fails and rolls back, naming the field, and the program goes on.
 * kitsune-test: expect objects_transformed = 1
 * kitsune-test: outcomes=committed,rolled_back reason=struct box.data: void * holding several types, and the object at ... has 104 usable bytes */
#include "scenario.h"

struct num { /* widens at every version */
#if VERSION == 1
    short v;
#elif VERSION == 2
    int v;
#else
    long v;
#endif
};

struct text {
    char s[64];
};

struct box {
    void *data;
};

struct box boxes[5];
static struct num fixed = {5};

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        struct num *n = malloc(sizeof *n);
        n->v = 21;
        struct text *t = malloc(sizeof *t);
        strcpy(t->s, "hello");
        boxes[0].data = n;
        boxes[1].data = t;
        boxes[2].data = n; /* shared */
        boxes[3].data = &fixed;
    } else {
        struct num *n = boxes[0].data;
        struct text *t = boxes[1].data;
        CHECK_INT(n->v, 21);
        CHECK_STR(t->s, "hello");
        CHECK(boxes[2].data == boxes[0].data);
        CHECK(boxes[3].data == &fixed);
        CHECK_INT(((struct num *)boxes[3].data)->v, 5);
        CHECK(boxes[4].data == NULL);
#if VERSION == 2
        /* for the next update: an object of neither size */
        boxes[4].data = malloc(104); /* 104 usable bytes under glibc and ASan alike */
#endif
        scenario_report();
    }
    scenario_loop("loop");
}
