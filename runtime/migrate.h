/* migrate.h - carrying the state over (migrate.c): the plan of an update, the choice of
 * engine, kitsune_do_automigrate and MIGRATE_*, thread arguments, noted locals. */
#ifndef KITSUNE_MIGRATE_H
#define KITSUNE_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

struct kt_version;
struct plan;
struct kt_report;

/* The committed update's function renames kept for kt_migrate_successor (also done
 * by kt_migrate_end(1)). */
void kt_migrate_keep_renames(void);
const char *kt_migrate_successor(const char *old_key);
/* The new address of an old object or static, by the running engine (threads' start
 * arguments, the audit); old itself when no update runs. */
void *kt_migrate_translate(void *old);
/* After a rollback on a wild pointer: the reason says where the old state keeps it. */
void kt_migrate_name_wild(const struct kt_version *old, char *reason, size_t len);
int kt_migrate_begin(struct kt_version *old, struct kt_version *new_, char *err,
                     size_t errlen);
void kt_migrate_end(int committed);
void kt_stackvars_save_thread(void);
void kt_locals_flip(void);       /* new update: current noted locals become "old" */
void kt_locals_drop_old(void);
void kt_locals_unflip(void);
void kt_migrate_counts(long *vars, long *objects, long *fixed);
/* A local found in a frame (copy: its saved value, owned, or NULL); the
 * notes so taken go again; whether the plan reads old variable old_var. */
void kt_locals_note_frame(const char *func, const char *name, void *addr, size_t size,
                          void *copy);
void kt_locals_uncapture(void);
int kt_migrate_needs_old(int old_var);
/* Before the pause: the plan of the update from old to nv, which must need no further
 * input; the engine that will run it is chosen too. */
int kt_migrate_check(const struct kt_version *old, const struct kt_version *nv, char *err,
                     size_t errlen);
/* At commit: the start arguments of the n threads to restart (start_keys: their old
 * start functions' keys), migrated by the types KITSUNE_THREAD_ARG declares;
 * typed[i]: whether args[i] had one. */
int kt_migrate_thread_args(const char *const *start_keys, void *const *args, void **new_args,
                           int *typed, int n);

#endif
