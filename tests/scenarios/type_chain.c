/* A chain of 100 distinct struct types, each pointing to the next, the last one
 * changed: the planner follows pointers through a worklist, so how far types lead
 * through pointers is no depth limit (it stopped at 64 with "nested too deeply"). */
#include "scenario.h"

#define LINK(i, j)                                                                       \
    struct s##i {                                                                        \
        int v;                                                                           \
        struct s##j *next;                                                               \
    };
LINK(0, 1) LINK(1, 2) LINK(2, 3) LINK(3, 4) LINK(4, 5) LINK(5, 6)
LINK(6, 7) LINK(7, 8) LINK(8, 9) LINK(9, 10) LINK(10, 11) LINK(11, 12)
LINK(12, 13) LINK(13, 14) LINK(14, 15) LINK(15, 16) LINK(16, 17) LINK(17, 18)
LINK(18, 19) LINK(19, 20) LINK(20, 21) LINK(21, 22) LINK(22, 23) LINK(23, 24)
LINK(24, 25) LINK(25, 26) LINK(26, 27) LINK(27, 28) LINK(28, 29) LINK(29, 30)
LINK(30, 31) LINK(31, 32) LINK(32, 33) LINK(33, 34) LINK(34, 35) LINK(35, 36)
LINK(36, 37) LINK(37, 38) LINK(38, 39) LINK(39, 40) LINK(40, 41) LINK(41, 42)
LINK(42, 43) LINK(43, 44) LINK(44, 45) LINK(45, 46) LINK(46, 47) LINK(47, 48)
LINK(48, 49) LINK(49, 50) LINK(50, 51) LINK(51, 52) LINK(52, 53) LINK(53, 54)
LINK(54, 55) LINK(55, 56) LINK(56, 57) LINK(57, 58) LINK(58, 59) LINK(59, 60)
LINK(60, 61) LINK(61, 62) LINK(62, 63) LINK(63, 64) LINK(64, 65) LINK(65, 66)
LINK(66, 67) LINK(67, 68) LINK(68, 69) LINK(69, 70) LINK(70, 71) LINK(71, 72)
LINK(72, 73) LINK(73, 74) LINK(74, 75) LINK(75, 76) LINK(76, 77) LINK(77, 78)
LINK(78, 79) LINK(79, 80) LINK(80, 81) LINK(81, 82) LINK(82, 83) LINK(83, 84)
LINK(84, 85) LINK(85, 86) LINK(86, 87) LINK(87, 88) LINK(88, 89) LINK(89, 90)
LINK(90, 91) LINK(91, 92) LINK(92, 93) LINK(93, 94) LINK(94, 95) LINK(95, 96)
LINK(96, 97) LINK(97, 98) LINK(98, 99)

struct s99 {
#if VERSION == 1
    int v;
#else
    long v;
#endif
    struct s0 *next;
};

struct s0 *head;


/* Builds the chain s0 -> s1 -> ... -> s99 -> s0 through untyped steps. */
static void build(void)
{
    void *prev = NULL, *first = NULL;
    for (int i = 0; i < 100; i++) {
        struct s0 *n = calloc(1, 16);
        n->v = i * 3;
        if (prev)
            ((struct s0 *)prev)->next = (struct s1 *)(void *)n;
        else
            first = n;
        prev = n;
    }
    ((struct s99 *)prev)->next = (struct s0 *)first;
    head = first;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        build();
    } else {
        struct s0 *n = head;
        for (int i = 0; i < 99; i++) {
            CHECK_INT(n->v, i * 3);
            n = (struct s0 *)n->next;
        }
        struct s99 *last = (struct s99 *)n;
        CHECK_INT(last->v, 99 * 3);
        CHECK(last->next == head);
        scenario_report();
    }
    scenario_loop("loop");
}
