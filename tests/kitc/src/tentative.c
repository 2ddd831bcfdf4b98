/* tentative.c - kitc test: `int tab[];` at file scope is a tentative definition of one
 * element.  gcc's DWARF says int[] (no length), so kitc sizes it from the symbol
 * table; with the symbol gone it must refuse rather than list it with size 0. */
int tentative[];
static int tentative_static[] __attribute__((used));
