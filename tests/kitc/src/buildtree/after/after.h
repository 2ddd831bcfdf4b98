/* after.h - found through a relative -idirafter, which makes it a system header:
 * kitc ignores annotations there, but needs the file to parse app.c. */
struct after_rec {
    char *text;
};
