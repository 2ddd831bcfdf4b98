/* Enum values renumbered (and new ones inserted): values are mapped by enumerator
 * name, in globals, arrays and heap structs; an enum that grows from 4 to 8 bytes
 * (an enumerator beyond 32 bits) is converted too. */
#include "scenario.h"

#if VERSION == 1
enum color { RED, GREEN, BLUE };
enum state { IDLE = -1, BUSY = 1, DONE = 2 };
enum big { SMALL = 1, LARGE = 2 };
#else
enum color { BLACK, BLUE, WHITE, GREEN, RED };
enum state { DONE = -3, IDLE = 10, STARTING, BUSY = 100 };
enum big { HUGE = 0x100000000LL, LARGE = 5, SMALL = 7 };
#endif

struct job {
    enum state st;
    enum color col;
    enum big size;
    struct job *next;
};

enum color g_color;
enum state g_states[3];
enum big g_big;
struct job *jobs;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        g_color = BLUE;
        g_states[0] = IDLE;
        g_states[1] = BUSY;
        g_states[2] = DONE;
        g_big = LARGE;
        for (int i = 0; i < 3; i++) {
            struct job *j = malloc(sizeof *j);
            j->st = g_states[i];
            j->col = (enum color)i;
            j->size = i == 1 ? SMALL : LARGE;
            j->next = jobs;
            jobs = j;
        }
    } else {
        CHECK(sizeof(enum big) == 8);
        CHECK_INT(g_color, BLUE);
        CHECK_INT(g_states[0], IDLE);
        CHECK_INT(g_states[1], BUSY);
        CHECK_INT(g_states[2], DONE);
        CHECK_INT(g_big, LARGE);
        struct job *j = jobs; /* pushed in reverse: DONE/BLUE, BUSY/GREEN, IDLE/RED */
        CHECK_INT(j->st, DONE);
        CHECK_INT(j->col, BLUE);
        CHECK_INT(j->size, LARGE);
        j = j->next;
        CHECK_INT(j->st, BUSY);
        CHECK_INT(j->col, GREEN);
        CHECK_INT(j->size, SMALL);
        j = j->next;
        CHECK_INT(j->st, IDLE);
        CHECK_INT(j->col, RED);
        CHECK_INT(j->size, LARGE);
        CHECK(j->next == NULL);
        scenario_report();
    }
    scenario_loop("loop");
}
