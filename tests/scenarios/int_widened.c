/* Integers widened: int -> long, short -> int, signed char -> long long,
 * unsigned -> unsigned long, unsigned char -> int; negative values keep their sign, in
 * globals, struct fields, arrays and heap objects.  Floating point widened too:
 * float -> double, double -> long double. */
#include "scenario.h"

#if VERSION == 1
typedef int wide_t;
typedef short mid_t;
typedef signed char tiny_t;
typedef unsigned int uwide_t;
typedef unsigned char ubyte_t;
typedef float real_t;
typedef double longreal_t;
#else
typedef long wide_t;
typedef int mid_t;
typedef long long tiny_t;
typedef unsigned long uwide_t;
typedef int ubyte_t;
typedef double real_t;
typedef long double longreal_t;
#endif

struct rec {
    wide_t w;
    mid_t m;
    tiny_t t;
    uwide_t u;
    ubyte_t b;
    real_t r;
    struct rec *next;
};

wide_t g_w;
mid_t g_m;
tiny_t g_t;
uwide_t g_u;
real_t g_r;
longreal_t g_lr;
wide_t arr[5];
struct rec recs[2];
struct rec *heap;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        g_w = -123456;
        g_m = -32000;
        g_t = -128;
        g_u = 4000000000u;
        g_r = -0.375f;
        g_lr = 1e300;
        for (int i = 0; i < 5; i++)
            arr[i] = -i * 1000000;
        recs[0] = (struct rec){-1, -2, -3, 0xffffffffu, 255, 1.5f, NULL};
        recs[1] = (struct rec){2147483647, 32767, 127, 1, 0, -2.25f, NULL};
        heap = malloc(sizeof *heap);
        *heap = (struct rec){-2147483647 - 1, -32768, -100, 3000000000u, 200, 1e30f, NULL};
        recs[1].next = heap;
    } else {
        CHECK(sizeof(wide_t) == 8);
        CHECK_INT(g_w, -123456);
        CHECK_INT(g_m, -32000);
        CHECK_INT(g_t, -128);
        CHECK_INT(g_u, 4000000000u);
        CHECK(sizeof(real_t) == 8 && g_r == -0.375);
        CHECK(g_lr == 1e300);
        CHECK(recs[0].r == 1.5 && recs[1].r == -2.25);
        CHECK(heap->r == (double)1e30f);
        for (int i = 0; i < 5; i++)
            CHECK_INT(arr[i], -i * 1000000);
        CHECK_INT(recs[0].w, -1);
        CHECK_INT(recs[0].m, -2);
        CHECK_INT(recs[0].t, -3);
        CHECK_INT(recs[0].u, 0xffffffffu);
        CHECK_INT(recs[0].b, 255);
        CHECK_INT(recs[1].w, 2147483647);
        CHECK_INT(recs[1].m, 32767);
        CHECK_INT(recs[1].t, 127);
        CHECK(recs[1].next == heap);
        CHECK_INT(heap->w, -2147483647L - 1);
        CHECK_INT(heap->m, -32768);
        CHECK_INT(heap->t, -100);
        CHECK_INT(heap->u, 3000000000u);
        CHECK_INT(heap->b, 200);
        scenario_report();
    }
    scenario_loop("loop");
}
