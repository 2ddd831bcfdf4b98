/* A pointer into the retired version's data that nothing caught (no --check, so no
 * audit; the opaque check, which would refuse it, turned off): after the commit the new
 * version reads through it and the fault ends the process with a report naming the
 * retired version, the variable and offset, and the code that read it - not an
 * anonymous "access to retired data".
 * kitsune-test: env=KITSUNE_OPAQUE_CHECK=0
 * kitsune-test: dies-with=access to the retired data of version 0: target_value+4 (address 0x
 */
#include "scenario.h"

struct inner {
    long tag;
    int *counter;
};

struct holder {
    int id;
    void *cookie E_OPAQUE;
};

int target_value[2] = {17, 18};
struct holder holder;

__attribute__((noinline)) int read_counter(void)
{
    const struct inner *in = holder.cookie;
    return *in->counter;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        struct inner *in = malloc(sizeof *in);
        in->tag = 1;
        in->counter = &target_value[1];
        holder.cookie = in;
        printf("ready\n");
        fflush(stdout);
    } else {
        scenario_report();
    }
    for (int after = 0;;) {
        kitsune_update("loop");
        /* Some time after the commit, so that the update's reply is out first. */
        if (kitsune_has_updated() && ++after > 200 && read_counter() != 18)
            printf("FAILED: read a wrong value\n");
        usleep(1000);
    }
}
