/* opaque_util.c - uses struct session without knowing struct hash (see opaque.h). */
#include "opaque_session.h"

int session_id(struct session *s)
{
    return s->id;
}
