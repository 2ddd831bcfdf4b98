/* Three successive updates v1 -> v2 -> v3 -> v3, the last a self-update of the same
 * file; each version adds its own mark to the history it inherits.
 * kitsune-test: outcomes=committed,committed,committed */
#include "scenario.h"

int history[8];
int nhistory;
static int (*version_fn)(void);

static int which(void) { return VERSION; }

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        version_fn = which;
    } else {
        CHECK_INT(version_fn(), VERSION);
        CHECK(nhistory >= 1 && history[0] == 1);
        CHECK(history[nhistory - 1] <= VERSION);
        CHECK_INT(kitsune_version_number(), nhistory);
        scenario_report();
    }
    history[nhistory++] = VERSION;
    scenario_loop("loop");
}
