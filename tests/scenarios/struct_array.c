/* Arrays of structs whose element type changes: a global array, a 2-D array, an array
 * inside a struct and a file-static array; each element is rebuilt in place of the
 * new array. */
#include "scenario.h"

struct item {
#if VERSION == 1
    char kind;
    int count;
#else
    long count;
    char kind;
#endif
};

struct shelf {
    int n;
    struct item items[4];
};

struct item items[10];
struct item grid[3][2];
struct shelf shelf;
static struct item hidden[2];

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = 0; i < 10; i++)
            items[i] = (struct item){.kind = (char)('a' + i), .count = -i * 7};
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 2; c++)
                grid[r][c] = (struct item){.kind = (char)('A' + r), .count = r * 10 + c};
        shelf.n = 4;
        for (int i = 0; i < 4; i++)
            shelf.items[i] = (struct item){.kind = 's', .count = 1000 + i};
        hidden[1] = (struct item){.kind = 'h', .count = 42};
    } else {
        for (int i = 0; i < 10; i++) {
            CHECK_INT(items[i].kind, 'a' + i);
            CHECK_INT(items[i].count, -i * 7);
        }
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 2; c++) {
                CHECK_INT(grid[r][c].kind, 'A' + r);
                CHECK_INT(grid[r][c].count, r * 10 + c);
            }
        CHECK_INT(shelf.n, 4);
        for (int i = 0; i < 4; i++)
            CHECK_INT(shelf.items[i].count, 1000 + i);
        CHECK_INT(hidden[1].kind, 'h');
        CHECK_INT(hidden[1].count, 42);
        CHECK_INT(hidden[0].count, 0);
        scenario_report();
    }
    scenario_loop("loop");
}
