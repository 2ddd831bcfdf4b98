/* extra.h - found only through the -I of compile_commands.json. */
#include "kitsune.h"
struct session {
    struct session * E_OPAQUE self;
    char * E_SZ user;
};
