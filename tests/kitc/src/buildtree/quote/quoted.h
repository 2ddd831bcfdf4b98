/* quoted.h - found through a relative -iquote. */
struct quoted_entry {
    void * E_OPAQUE cookie;
};
