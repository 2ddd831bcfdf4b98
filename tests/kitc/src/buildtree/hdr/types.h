/* types.h - found through a relative -I; its annotations must be seen. */
struct cache {
    struct cache * E_OPAQUE self;
    char * E_SZ name;
    int * E_PTRARRAY(self.n) slots;
    int n;
};
