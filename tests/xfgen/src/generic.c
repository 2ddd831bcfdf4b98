/* A generic hash table: the key slot `void * E_T(@k) key` is a pointer-wide member of
 * the generated struct, and rules may use bool, assert and $xform of a generic typedef
 * (generic.xf); the generated file compiles with -Werror. */
#include "kitsune.h"

struct item {
    int n;
#if VERSION == 2
    int twice;
#endif
};
struct item *first_item;

struct dictEntry E_GENERIC(@k, @v) {
    void * E_T(@k) key;
    void E_T(@v) *val;
    struct dictEntry E_G(@k, @v) *next;
};

struct dict E_GENERIC(@k, @v) {
    struct dictEntry E_G(@k, @v) *head;
    unsigned long used;
};
typedef struct dict E_G(@k, @v) dict E_GENERIC(@k, @v);

struct server {
    dict E_G(int, struct item) *db;
    struct dictEntry E_G(int, struct item) *last;
    int port;
#if VERSION == 2
    _Bool ready;
#endif
} server;
