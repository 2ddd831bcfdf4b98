/* Locals of E_NOTELOCALS functions are listed with their types (keys func#name) and
 * where the compiler keeps them; those of other functions are not. */
#include "kitsune.h"

struct session {
    int id;
    char user[8];
};

int calls;

__attribute__((noinline)) int work(struct session *s)
{
    return s->id + calls++;
}

int serve(int n) E_NOTELOCALS
{
    struct session sess = {n, "x"};
    int total = 0;
    for (int i = 0; i < n; i++) {
        total += work(&sess);
        kitsune_update("loop");
    }
    return total;
}

int helper(int n)
{
    int doubled = n * 2;
    struct session s = {doubled, ""};
    return work(&s);
}
