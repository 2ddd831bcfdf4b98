/* flag.c - kitc test: a static that only ever holds 0 or 7; clang -O2 shrinks it to a
 * one-byte flag whose DWARF location computes the value.  kitc lists it as that byte
 * with a hash of the computation. */
static int initialised;

void init(void)
{
    initialised = 7;
}

int ready(void)
{
    return initialised;
}
