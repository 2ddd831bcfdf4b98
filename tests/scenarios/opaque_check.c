/* Opaque is not blind (on by default, without --check or KITSUNE_AUDIT): the object an
 * E_OPAQUE pointer leads to keeps a pointer into the old version's data.  The engines
 * copy the pointer as it is and the typed walk does not follow it; the opaque check
 * scans what it leads to and the update to the program itself rolls back, naming the
 * pointer and what the word points to.  Committed, the new version would read the
 * retired version's data.  A second E_OPAQUE object holding only a heap pointer and a
 * function pointer is no violation; what lies two chunks down (outer->in) is scanned
 * only by the full check (KITSUNE_OPAQUE_CHECK=1, docs/reliability.md §2.1).
 * kitsune-test: outcomes=rolled_back reason=opaque ... failed: 1 word(s) ... heap chunk 0x ... (24 bytes) +8, reached from the never-followed pointer holder.cookie -> the data of target_value+0
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
    void *deep E_OPAQUE;
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
        out->in = malloc(sizeof *out->in); /* deeper: only the full check looks */
        out->in->tag = 3;
        out->in->counter = NULL;
        struct fine *f = malloc(sizeof *f);
        f->cb = callback;
        f->text = strdup("heap text");
        holder.id = 1;
        holder.cookie = in;
        holder.other = f;
        holder.deep = out;
    } else {
        const struct inner *in = holder.cookie;
        CHECK_INT(*in->counter, 17);
        scenario_report();
    }
    scenario_loop("loop");
}
