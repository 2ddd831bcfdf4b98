/* For rule errors: ambiguous rules, rules that match nothing, misused escapes. */
struct point {
    int x, y;
#if VERSION == 2
    int z;
#endif
};

int counter;
struct point where;
