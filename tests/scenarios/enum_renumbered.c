/* Enum values renumbered (and new ones inserted): values are mapped by enumerator
 * name, in globals, arrays and heap structs; an enum that grows from 4 to 8 bytes
 * (an enumerator beyond 32 bits) is converted too, so is an unsigned enum with values
 * above INT_MAX.  A heap struct whose only change is a renumbered enum is rebuilt (the
 * old state stays untouched for rollback), and an enum element reached both through
 * a heap array and through a pointer to it is converted exactly once. */
#include "scenario.h"

#if VERSION == 1
enum color { RED, GREEN, BLUE };
enum state { IDLE = -1, BUSY = 1, DONE = 2 };
enum big { SMALL = 1, LARGE = 2 };
enum flag { F_LOW = 1, F_HIGH = 0x80000000u };
#else
enum color { BLACK, BLUE, WHITE, GREEN, RED };
enum state { DONE = -3, IDLE = 10, STARTING, BUSY = 100 };
enum big { HUGE = 0x100000000LL, LARGE = 5, SMALL = 7 };
enum flag { F_HIGH = 0x90000000u, F_LOW = 0xa0000000u };
#endif

struct tagged { /* same layout in both versions: only the values moved */
    enum color col;
    enum flag fl;
    struct tagged *next;
};

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
struct tagged *tags;
enum color *palette E_PTRARRAY(4);
enum color *third_color;

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
        for (int i = 0; i < 2; i++) {
            struct tagged *t = malloc(sizeof *t);
            *t = (struct tagged){i ? GREEN : RED, i ? F_HIGH : F_LOW, tags};
            tags = t;
        }
        palette = malloc(4 * sizeof *palette);
        for (int i = 0; i < 4; i++)
            palette[i] = (enum color)(i % 3);
        third_color = &palette[2];
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
        CHECK_INT(tags->col, GREEN);
        CHECK_INT(tags->fl, F_HIGH);
        CHECK_INT(tags->next->col, RED);
        CHECK_INT(tags->next->fl, F_LOW);
        CHECK(tags->next->next == NULL);
        CHECK_INT(palette[0], RED);
        CHECK_INT(palette[1], GREEN);
        CHECK_INT(palette[2], BLUE);
        CHECK_INT(palette[3], RED);
        CHECK(third_color == &palette[2]);
        scenario_report();
    }
    scenario_loop("loop");
}
