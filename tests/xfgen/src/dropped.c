/* State that the new version no longer has must be dropped on purpose: a variable that
 * held state, and a field that vanishes while one of the same type appears (a likely
 * rename), are errors unless a rule says `-> (dropped)` or renames them.  A const or
 * E_MANUAL_MIGRATE variable holds no state the update carries; a field that vanishes
 * while nothing like it appears (`gone`) is ordinary evolution. */
#include "kitsune.h"

struct entry {
    int key;
#if VERSION == 1
    int val;
    double gone;
#else
    int value;
#endif
};

#if VERSION == 1
int sessions;
int old_counter;
char *table_name;
const int limit = 3;
int by_hand E_MANUAL_MIGRATE;
#else
int new_counter;
char *tbl_name;
#endif
struct entry entries[4];
