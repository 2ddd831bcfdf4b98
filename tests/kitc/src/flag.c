/* flag.c - kitc test: a static that only ever holds 0 or 7; clang -O2 shrinks it to a
 * one-byte flag whose DWARF location computes the value.  kitc cannot list it and must
 * say so. */
static int initialised;

void init(void)
{
    initialised = 7;
}

int ready(void)
{
    return initialised;
}
