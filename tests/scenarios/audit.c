/* The audit before commit (on with kitsune update --check): a pointer into the old
 * version's data that is reached only through an E_OPAQUE pointer - which neither the
 * engines nor the typed --check walk follow - is found and the update to the program
 * itself rolls back, naming the chunk, how it was reached and what it points to.
 * Committed, the new version would read the retired version's data.
 * kitsune-test: check outcomes=rolled_back reason=+8, reached from variable holder+8 -> the data of target_value+0 */
#include "scenario.h"

struct inner {
    long tag;
    int *counter; /* into the version's own data */
};

struct holder {
    int id;
    void *cookie E_OPAQUE; /* the program's business: copied as is */
};

int target_value = 17;
struct holder holder;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        struct inner *in = malloc(sizeof *in);
        in->tag = 1;
        in->counter = &target_value;
        holder.id = 1;
        holder.cookie = in;
    } else {
        const struct inner *in = holder.cookie;
        CHECK_INT(*in->counter, 17);
        scenario_report();
    }
    scenario_loop("loop");
}
