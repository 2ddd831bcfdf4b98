/* A field added without an INIT rule. */
struct rec {
    int a;
#if VERSION == 2
    long added;
#endif
    int b;
};

struct rec rec;
