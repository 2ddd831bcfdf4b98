/* State that goes away on purpose, and renames, with the rules xfgen suggests
 * (xf_dropped.v2.xf): the global table `users` becomes `accounts`, field `val` becomes
 * `value` (both keep their values), the `sessions` counter and field `legacy` are
 * dropped with `-> (dropped)`, field `fresh` is new, and field `gone` vanishes with
 * nothing like it in its place (no rule needed). */
#include "scenario.h"

struct entry {
    int key;
#if VERSION == 1
    int val;
    int legacy;
    double gone;
#else
    int value;
    int fresh;
#endif
};

#if VERSION == 1
struct entry users[3];
int sessions;
#else
struct entry accounts[3];
#endif
int nentries;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
#if VERSION == 1
        nentries = 3;
        for (int i = 0; i < nentries; i++) {
            users[i].key = i;
            users[i].val = 100 + i;
            users[i].legacy = -1;
            users[i].gone = 0.5;
        }
        sessions = 42;
#endif
    } else {
#if VERSION == 2
        CHECK_INT(nentries, 3);
        for (int i = 0; i < nentries; i++) {
            CHECK_INT(accounts[i].key, i);
            CHECK_INT(accounts[i].value, 100 + i);
            CHECK_INT(accounts[i].fresh, 7);
        }
#endif
        scenario_report();
    }
    scenario_loop("loop");
}
