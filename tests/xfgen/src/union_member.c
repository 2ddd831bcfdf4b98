/* Anonymous union members (no field name) holding pointers: a rule names one where its
 * type is declared, struct node.<union at union_member.c:8>, or by its members,
 * struct pair.<n,p>; the one without a rule is reported under that name. */
#include "kitsune.h"

struct node {
    int tag;
    union {
        long i;
        char *s;
    };
};

struct pair {
    int tag;
    union {
        long n;
        char *p;
    };
};

struct node nodes[2];
struct pair pairs[2];
