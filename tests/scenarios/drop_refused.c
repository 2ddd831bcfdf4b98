/* A version built by hand (without xfgen) in which the user table was renamed without
 * a rule: the runtime refuses the update before the program pauses, naming the variable
 * whose state would be lost, and the program goes on as it was.  Version 3 keeps the
 * table and checks it is intact.  The const banner and the E_MANUAL_MIGRATE scratch
 * counter vanish in version 2 too; they hold no state the update carries.
 * kitsune-test: outcomes=refused,committed reason=users: not in the new version */
#include "scenario.h"

struct user {
    int id;
    char name[16];
};

#if VERSION == 2
struct user *accounts;
#else
struct user *users;
#endif
int nusers;
#if VERSION == 1
const char *const banner = "users";
int scratch E_MANUAL_MIGRATE;
#endif

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
#if VERSION == 1
        users = calloc(2, sizeof *users);
        users[0].id = 7;
        strcpy(users[0].name, "ada");
        users[1].id = 9;
        strcpy(users[1].name, "bob");
        nusers = 2;
        scratch = (int)strlen(banner);
#endif
    } else {
#if VERSION == 3
        CHECK_INT(nusers, 2);
        CHECK(users != NULL);
        if (users) {
            CHECK_INT(users[0].id, 7);
            CHECK_STR(users[0].name, "ada");
            CHECK_INT(users[1].id, 9);
            CHECK_STR(users[1].name, "bob");
        }
#endif
        scenario_report();
    }
    scenario_loop("loop");
}
