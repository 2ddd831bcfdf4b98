/* `kitsune update --check` walks the new state before committing: an E_OPAQUE pointer
 * that still leads into the old version's data is reported by its path and the update
 * rolls back; the program goes on in the old version.
 * kitsune-test: check outcomes=rolled_back reason=holder.cookie (E_OPAQUE) points into the old version */
#include "scenario.h"

struct holder {
    int id;
    void *cookie E_OPAQUE; /* copied as is: the engine may not follow it */
};

int target_value = 17;
struct holder holder;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        holder.id = 1;
        holder.cookie = &target_value;
    }
    scenario_loop("loop");
}
