/* E_OPAQUE: pointers the engine must not follow are copied as they are.  A custom blob
 * (length-prefixed bytes that are no C type), a struct pointer whose type changes but
 * which the program manages itself (its layout change is accepted by a rule, opaque.v2.xf),
 * and an opaque void pointer into static data - which the opaque check, on by default,
 * refuses (scenario opaque_check); it is off here, to test what is copied.
 * kitsune-test: env=KITSUNE_OPAQUE_CHECK=0 */
#include <stdint.h>

#include "scenario.h"

struct managed {
#if VERSION == 1
    int a;
#else
    long a; /* the program converts these itself */
#endif
};

struct holder {
    void *blob E_OPAQUE;
    struct managed *own E_OPAQUE;
    int n;
};

struct holder h;
struct holder *heap;
uintptr_t blob_addr, own_addr;
static int some_static = 5;
void *raw E_OPAQUE;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        unsigned char *b = malloc(64);
        b[0] = 10;
        for (int i = 1; i <= 10; i++)
            b[i] = (unsigned char)(i * 3);
        h.blob = b;
        h.own = malloc(sizeof *h.own);
        h.own->a = 1234;
        h.n = 1;
        blob_addr = (uintptr_t)b;
        own_addr = (uintptr_t)h.own;
        heap = malloc(sizeof *heap);
        *heap = h;
        heap->n = 2;
        raw = &some_static;
    } else {
        CHECK((uintptr_t)h.blob == blob_addr);
        CHECK((uintptr_t)h.own == own_addr);
        CHECK((uintptr_t)heap->blob == blob_addr);
        const unsigned char *b = h.blob;
        CHECK_INT(b[0], 10);
        CHECK_INT(b[10], 30);
        CHECK_INT(*(int *)(void *)h.own, 1234); /* still the old layout: not followed */
        CHECK_INT(h.n, 1);
        CHECK_INT(heap->n, 2);
        CHECK(raw != &some_static); /* opaque: left pointing at the old version */
        scenario_report();
    }
    scenario_loop("loop");
}
