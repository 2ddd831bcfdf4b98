/* Opaque is not blind (on by default, without --check or KITSUNE_AUDIT): an object
 * reached only through an E_OPAQUE pointer, two heap chunks down, keeps a pointer into
 * the old version's data.  The engines copy the pointer as it is and the typed walk does
 * not follow it; the opaque check scans what it leads to and the update to the program
 * itself rolls back, naming the pointer the chain starts from and what the word points
 * to.  Committed, the new version would read the retired version's data.  A second
 * E_OPAQUE buffer holding only heap pointers and a function pointer is no violation.
 * kitsune-test: outcomes=rolled_back reason=opaque ... failed: 1 word(s) ... heap chunk 0x ... (24 bytes) +8, reached from the never-followed pointer holder.cookie through 1 other chunk(s) -> the data of target_value+0
 */
#include "scenario.h"

struct inner {
    long tag;
    int *counter; /* into the version's own data */
};

struct outer {
    long id;
    struct inner *in;
};

struct fine {
    int (*cb)(void); /* a function's start: calls to it are redirected */
    char *text;      /* the heap */
};

struct holder {
    int id;
    void *cookie E_OPAQUE; /* the program's business: copied as is */
    void *other E_OPAQUE;
};

int target_value = 17;
struct holder holder;

static int callback(void)
{
    return 3;
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        struct inner *in = malloc(sizeof *in);
        in->tag = 1;
        in->counter = &target_value;
        struct outer *out = malloc(sizeof *out);
        out->id = 2;
        out->in = in;
        struct fine *f = malloc(sizeof *f);
        f->cb = callback;
        f->text = strdup("heap text");
        holder.id = 1;
        holder.cookie = out;
        holder.other = f;
    } else {
        const struct outer *out = holder.cookie;
        CHECK_INT(*out->in->counter, 17);
        scenario_report();
    }
    scenario_loop("loop");
}
