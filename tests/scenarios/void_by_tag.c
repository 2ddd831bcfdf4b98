/* A void * whose type a tag field of its object says (redis's robj: `type` selects what
 * `ptr` is), told by a SWITCH rule.  struct num and struct text have the same usable
 * allocation size (24 bytes), so kitc's candidates cannot be told apart by size (xfgen
 * refuses without the rule), and both change layout in version 2: each object is
 * rebuilt as the type its message's kind names (MSG_NUM, 2 as a number, an (opaque)
 * raw buffer kept as it is), in a global array and in a heap message (fixed in place),
 * with sharing kept; the same objects behind a robj-like struct whose tag is a
 * bitfield.  Version 2 then stores a message of kind 9, which no case names: the update to
 * version 3 rolls back naming the field, the tag value and the message, and the
 * program goes on.
 * kitsune-test: expect objects_transformed = 4
 * kitsune-test: outcomes=committed,rolled_back reason=struct msg.payload: the struct msg at 0x ... has kind == 9, which no case of its SWITCH names (cases 1 2 3) ... add a case for 9 (or a default) to the SWITCH (the struct is variable msgs+80)
 */
#include "scenario.h"

enum kind { MSG_NONE, MSG_NUM, MSG_TEXT, MSG_RAW };

struct num {
#if VERSION == 1
    int v;
    int spare[3];
#else
    long v;      /* widened */
    int spare[3];
#endif
};

struct text {
    char s[16];
#if VERSION >= 2
    int len; /* new: INIT from the old string */
#endif
};

struct msg {
    enum kind kind;
    void *payload;
};

/* redis's robj: the tag is a bitfield (bits 3-6 of the first word) */
struct robj {
    unsigned flags : 3;
    unsigned type : 4;
    int refcount;
    void *ptr;
};

struct msg msgs[6];
struct msg *extra;
struct robj objs[2];

static struct msg make(enum kind k, void *p)
{
    struct msg m = {k, p};
    return m;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        struct num *n = malloc(sizeof *n);
        n->v = 21;
        struct text *t = malloc(sizeof *t);
        strcpy(t->s, "hello");
        char *raw = malloc(16);
        strcpy(raw, "raw bytes");
        msgs[0] = make(MSG_NUM, n);
        msgs[1] = make(MSG_TEXT, t);
        msgs[2] = make(MSG_NUM, n); /* shared */
        msgs[3] = make(MSG_RAW, raw);
        msgs[4] = make(MSG_NONE, NULL);
        extra = malloc(sizeof *extra);
        struct text *t2 = malloc(sizeof *t2);
        strcpy(t2->s, "heap");
        *extra = make(MSG_TEXT, t2);
        struct num *n2 = malloc(sizeof *n2);
        n2->v = -7;
        objs[0].flags = 5, objs[0].type = 2, objs[0].ptr = t; /* the text again */
        objs[1].flags = 7, objs[1].type = 1, objs[1].ptr = n2;
    } else {
        struct num *n = msgs[0].payload;
        struct text *t = msgs[1].payload;
        CHECK_INT(n->v, 21);
        CHECK_STR(t->s, "hello");
        CHECK(msgs[2].payload == msgs[0].payload);
        CHECK_STR((char *)msgs[3].payload, "raw bytes");
        CHECK(msgs[4].payload == NULL);
        CHECK(objs[0].ptr == msgs[1].payload);
        CHECK_INT(((struct num *)objs[1].ptr)->v, -7);
        CHECK_INT(objs[1].flags, 7);
        struct text *t2 = extra->payload;
        CHECK_STR(t2->s, "heap");
#if VERSION >= 2
        CHECK_INT(t->len, 5);
        CHECK_INT(t2->len, 4);
#endif
#if VERSION == 2
        /* for the next update: a kind no case of the SWITCH names */
        struct num *odd = malloc(sizeof *odd);
        odd->v = 9;
        msgs[5] = make((enum kind)9, odd);
#endif
        scenario_report();
    }
    scenario_loop("loop");
}
