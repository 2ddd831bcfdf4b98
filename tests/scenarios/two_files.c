/* Same-named statics in two files and in two functions stay apart. */
#include "scenario.h"

static int count;        /* two_files.c/count */
int other_count(void);   /* two_files_b.c */
void other_bump(void);

static int next_id(void)
{
    static int calls;    /* two_files.c/next_id#calls */
    return ++calls;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        count = 1;
        next_id();
        other_bump();
        other_bump();
    } else {
        CHECK_INT(count, 1);
        CHECK_INT(next_id(), 2);
        CHECK_INT(other_count(), 20);
        other_bump();
        CHECK_INT(other_count(), 30);
        scenario_report();
    }
    scenario_loop("loop");
}
