/* lib.h - a library of the opaque test with its own struct entry, unlike the one of
 * opaque_hash.c: a declaration of struct entry in this directory means this one. */
#ifndef OPAQUE_LIB_H
#define OPAQUE_LIB_H

struct entry;
struct entry *lib_first(void);

#endif
