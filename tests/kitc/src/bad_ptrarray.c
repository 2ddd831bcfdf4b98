/* bad_ptrarray.c - E_PTRARRAY on a variable that is not a pointer: kitc must fail. */
#include "kitsune.h"
int E_PTRARRAY(3) not_a_pointer;
