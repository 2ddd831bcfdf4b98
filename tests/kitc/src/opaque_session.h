/* opaque_session.h - struct session, included by opaque_hash.c (where struct hash is
 * complete) and opaque_util.c (where it is not), declared only in opaque_main.c: its
 * two definitions differ until struct hash is resolved in the second. */
#ifndef OPAQUE_SESSION_H
#define OPAQUE_SESSION_H

struct hash;
struct session {
    int id;
    struct hash *h;
};

int session_id(struct session *s);
struct session *session_new(int id);

#endif
