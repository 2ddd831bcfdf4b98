/* E_SZ: NUL-terminated arrays.  Heap strings (char * E_SZ) stay where they are; a
 * heap array of structs ended by an all-zero element is rebuilt with every element
 * (its length found on the old array), and a NULL-terminated array of pointers to
 * changed structs has each pointer followed. */
#include "scenario.h"

struct entry {
#if VERSION == 1
    int id;
    char *name E_SZ;
#else
    char *name E_SZ;
    long id;
#endif
};

struct rec {
#if VERSION == 1
    short n;
#else
    int n;
#endif
    struct rec *self;
};

char *title E_SZ;
struct entry *entries E_SZ;   /* ended by {0, NULL} */
struct rec **recs E_SZ;       /* ended by NULL */
char *title_addr_check;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        title = strdup("a heap title");
        title_addr_check = title;
        entries = calloc(6, sizeof *entries);
        for (int i = 0; i < 5; i++) {
            entries[i].id = i + 1;
            entries[i].name = malloc(8);
            snprintf(entries[i].name, 8, "e%d", i + 1);
        }
        recs = calloc(4, sizeof *recs);
        for (int i = 0; i < 3; i++) {
            recs[i] = malloc(sizeof **recs);
            recs[i]->n = (short)(-10 * i);
            recs[i]->self = recs[i];
        }
    } else {
        CHECK_STR(title, "a heap title");
        CHECK(title == title_addr_check);
        for (int i = 0; i < 5; i++) {
            CHECK_INT(entries[i].id, i + 1);
            char want[8];
            snprintf(want, sizeof want, "e%d", i + 1);
            CHECK_STR(entries[i].name, want);
        }
        CHECK_INT(entries[5].id, 0);
        CHECK(entries[5].name == NULL);
        for (int i = 0; i < 3; i++) {
            CHECK_INT(recs[i]->n, -10 * i);
            CHECK(recs[i]->self == recs[i]);
        }
        CHECK(recs[3] == NULL);
        scenario_report();
    }
    scenario_loop("loop");
}
