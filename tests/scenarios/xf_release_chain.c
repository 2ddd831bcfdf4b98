/* Rules for another release: version 3's rules were generated against version 2 (its
 * timeout counts milliseconds, v1 and v2 count seconds).  Updating v1 straight to v3
 * must be refused before the program pauses, naming both summaries; v1 -> v2 -> v3
 * then applies the rules where they belong, and v3 -> v3 (the same program again)
 * plans without them.
 * kitsune-test: outcomes=refused,committed,committed,committed
 * kitsune-test: reason=were generated against the summary
 */
#include "scenario.h"

long timeout = 5;
#if VERSION >= 2
int requests;
#endif

int main(void)
{
    kitsune_do_automigrate();
    if (kitsune_is_updating()) {
        CHECK_INT(timeout, VERSION == 3 ? 5000 : 5);
        scenario_report();
    }
    scenario_loop("loop");
}
