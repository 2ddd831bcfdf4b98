/* shapes.h - types shared by the kitc test program's two files (each CU has its own
 * copy in the DWARF; kitc must list each type once). */
#ifndef SHAPES_H
#define SHAPES_H
#include "kitsune.h"

enum color { RED, GREEN = 5, BLUE = -2 };

struct flags {
    int sign : 3;
    unsigned int mode : 5;
    unsigned int wide : 20;
    int after;
};

struct conn {
    int fd;
    struct conn *peer;
};

typedef struct conn conn_t;
typedef conn_t conn_alias;

struct shape {
    int kind;
    union {
        int radius;
        double side;
    };
    struct {
        int x, y;
    } origin;
    enum color color;
};

struct buf {
    unsigned int len;
    char data[];
};

struct list E_GENERIC(@t) {
    void E_T(@t) *item;
    struct list E_G(@t) *next;
};

struct node {
    struct conn * E_OPAQUE c;
    char * E_SZ name;
    int * E_PTRARRAY(self.n) vals;
    int n;
    struct node * E_PTRARRAY(4) * E_PTRARRAY(self.n) grid;
    struct node *next;
    int (*cb)(int, char *);
    void (*vcb)(const char *, ...);
};

struct sized {
    int len;
    char data[E_ARRAY(self.len)];
} E_GENERIC(@s);

int counter_a(void);
int counter_b(void);
int other_tick(void);
#endif
