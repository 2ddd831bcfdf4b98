/* A union holding pointers: which member is in use is unknown. */
union value {
    long i;
    char *s;
};

struct cell {
    int tag;
    union value v;
};

struct cell cells[2];
