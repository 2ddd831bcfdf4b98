/* argc and argv reach the new version's main unchanged.
 * kitsune-test: args=alpha,beta */
#include "scenario.h"

int main(int argc, char **argv)
{
    kitsune_do_automigrate();
    if (kitsune_is_updating()) {
        CHECK_INT(argc, 3);
        CHECK(strstr(argv[0], "argv_v1.so") != NULL);
        CHECK_STR(argv[1], "alpha");
        CHECK_STR(argv[2], "beta");
        CHECK(argv[3] == NULL);
        scenario_report();
    }
    scenario_loop("loop");
}
