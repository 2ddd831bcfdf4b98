/* A struct type renamed without a rule. */
#if VERSION == 1
struct conn {
    int fd;
};
struct conn *current;
#else
struct connection {
    int fd;
};
struct connection *current;
#endif
