/* user.c - knows the library's struct entry only from its declaration. */
#include "lib.h"

struct entry *lib_cursor;
