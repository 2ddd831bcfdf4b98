/* A variable that the new version no longer has: its state is dropped, which xfgen
 * says (a warning: it may be meant), unless the rules read it by its key. */
#if VERSION == 1
int sessions;
int old_counter;
#else
int new_counter;
#endif
static int kept;
int *keep_alive(void) { return &kept; }
