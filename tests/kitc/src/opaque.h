/* opaque.h - kitc test of types no variable reaches: struct hash is defined only in
 * opaque_hash.c, which has no variables, and is incomplete in opaque_main.c, whose
 * variable points to it (so is struct session, see opaque_session.h); struct iojob,
 * its typedef and enum job_state appear only in function signatures.  struct entry has
 * two definitions, opaque_hash.c's and opaque_lib/lib.c's. */
#ifndef OPAQUE_H
#define OPAQUE_H

struct hash;
struct entry;
struct hash *hash_new(int nbuckets);
int hash_put(struct hash *h, int key, int value);

enum job_state { JOB_NEW, JOB_RUNNING = 3, JOB_DONE };
typedef struct iojob {
    int fd;
    long offset;
    enum job_state state;
} iojob;

int iojob_run(iojob *job);

#endif
