/* layout.h - types of many shapes whose generated copies (kt_old_*, kt_new_*) must
 * have exactly the compiler's layout: bitfields of every kind, packed and over-aligned
 * structs, anonymous members, flexible arrays, unions with bitfields, odd base types.
 * VERSION 2 adds a bitfield to struct flags. */
#ifndef LAYOUT_H
#define LAYOUT_H
#include <stdbool.h>

#include "kitsune.h"

enum color { RED, GREEN, BLUE = 200 };
enum small { S0, S1 } __attribute__((packed));

struct flags {
    unsigned a : 3;
    signed b : 5;
    unsigned c : 30;          /* does not fit after b: starts a new unit */
    bool d : 1;
    enum color e : 8;
    unsigned long long f : 40;
    unsigned char g : 2;
    int : 0;                  /* unnamed, zero width */
    short h : 9;
#if VERSION == 2
    unsigned added : 4;
#endif
    char tail;
    signed char neg : 3;
};

struct __attribute__((packed)) wire {
    char tag;
    int len;
    short port;
    unsigned long long stamp;
    unsigned x : 12, y : 12;
};

struct __attribute__((aligned(32))) wide {
    int v;
    long double ld;
};

struct nest {
    int kind;
    union {
        long l;
        double d;
        struct {
            short lo, hi;
        };
    };
    struct {
        int x, y;
    } pos;
    struct wire w[2];
    char name[3][5];
    int (*cb)(struct nest *, int);
    struct nest *next;
    enum small sm;
    __int128 big;
    _Complex double z;
    char after_z;
};

typedef struct {
    int a;
    char b;
} pair_t;
typedef pair_t pairs_t[3];

struct flex {
    int n;
    struct nest *items[E_ARRAY(self.n)];
};

union tagged {
    int i;
    float f;
    unsigned bits : 7;
    char bytes[6];
};

struct holder {
    struct flags fl;
    pair_t pair;
    pairs_t pairs;
    union tagged tg;
    struct flex *fx;
    struct wide wd;
    bool ok;
};
#endif
