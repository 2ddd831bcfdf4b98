/* A type rule with code: struct point changes representation (int cartesian to double
 * with a scale), so every struct point, inline or on the heap behind pointers, is
 * rebuilt by the rule's code; containers are rebuilt around them. */
#include "scenario.h"

struct point {
#if VERSION == 1
    int x, y;
#else
    double x, y;
    double scale;
#endif
};

struct shape {
    struct point center;
    struct point *corners[2];
    int sides;
};

struct point origin;
struct shape shape;
struct point *path[3];

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
#if VERSION == 1
        origin.x = 1;
        origin.y = 2;
        shape.center = (struct point){10, 20};
        shape.sides = 4;
        for (int i = 0; i < 2; i++) {
            shape.corners[i] = malloc(sizeof(struct point));
            *shape.corners[i] = (struct point){i, -i};
        }
        for (int i = 0; i < 3; i++) {
            path[i] = malloc(sizeof(struct point));
            *path[i] = (struct point){i * 3, i * 4};
        }
        path[2] = shape.corners[1]; /* shared: must stay shared */
#endif
    } else {
#if VERSION == 2
        CHECK(origin.x == 1.0 && origin.y == 2.0 && origin.scale == 1.0);
        CHECK(shape.center.x == 10.0 && shape.center.scale == 1.0);
        CHECK_INT(shape.sides, 4);
        CHECK(shape.corners[1]->y == -1.0);
        CHECK(path[1]->x == 3.0 && path[1]->y == 4.0 && path[1]->scale == 1.0);
        CHECK(path[2] == shape.corners[1]);
#endif
        scenario_report();
    }
    scenario_loop("loop");
}
