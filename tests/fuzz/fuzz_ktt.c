/* fuzz_ktt.c - libFuzzer target: the .ktt reader and the planner on hostile summaries.
 * A summary comes from a file the runtime reads out of a version it was asked to load,
 * so neither may crash, hang or leak on any input.  The planner compares the summary
 * with itself, as for a v->v update. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ktt.h"
#include "plan.h"

/* The planner ran out of memory (plan.h): a finding for the fuzzer. */
void plan_out_of_memory(void)
{
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ktt k;
    char err[512];
    if (ktt_parse("fuzz.ktt", (const char *)data, size, &k, err, sizeof err) != 0)
        return 0;
    char name[256];
    for (int i = 0; i < k.ntypes; i++)
        ktt_type_name(&k, i, name, sizeof name);
    struct plan_ctx ctx;
    plan_build(&ctx, &k, &k, NULL, 0);
    plan_free(&ctx);
    ktt_free(&k);
    return 0;
}
