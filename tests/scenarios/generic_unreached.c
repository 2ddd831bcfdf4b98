/* A generic list whose argument names a type no variable reaches: struct iojob appears
 * only behind the list's void pointers and in functions, and changes layout in
 * version 2 (its new field set by the rule in generic_unreached.v2.xf).  kitc lists it
 * all the same, so E_G(struct iojob) resolves and every job is converted.  Built with
 * gcc and clang at -O0 and -O2 (run_cc_matrix.sh).
 * kitsune-test: expect objects_transformed = 3 */
#include "scenario.h"

struct iojob {
#if VERSION == 1
    int fd;
    long offset;
#else
    long offset;
    char tag[4];
    int fd;
#endif
};

struct queue E_GENERIC(@t) {
    void E_T(@t) *item;
    struct queue E_G(@t) *next;
};

struct queue E_G(struct iojob) *jobs;

static struct iojob *new_job(int fd, long offset)
{
    struct iojob *j = calloc(1, sizeof *j);
    j->fd = fd;
    j->offset = offset;
    return j;
}

static void push(struct iojob *j)
{
    struct queue *q = malloc(sizeof *q);
    q->item = j;
    q->next = jobs;
    jobs = q;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = 0; i < 3; i++)
            push(new_job(10 + i, 1000L * i));
    } else {
        int i = 2;
        for (struct queue *q = jobs; q; q = q->next, i--) {
            struct iojob *j = q->item;
            CHECK_INT(j->fd, 10 + i);
            CHECK_INT(j->offset, 1000L * i);
#if VERSION == 2
            CHECK_STR(j->tag, "job");
#endif
        }
        CHECK_INT(i, -1);
        scenario_report();
    }
    scenario_loop("loop");
}
