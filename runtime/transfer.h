/* transfer.h - what the transfer is working on, for the report of a failure during it
 * (transfer.c): the variable migrated and the object transformed, named by the fault
 * handler's report, and the last wild pointer refused, named by the rollback.
 *
 * A leaf: the engines write it, the failure path (update.c, crash reports) reads it,
 * and neither needs the other for it.  Plain stores by the engines, read by the fault
 * handler on the same (main) thread. */
#ifndef KITSUNE_TRANSFER_H
#define KITSUNE_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

struct plan;

extern const char *volatile kt_transfer_var;         /* key of the variable migrated */
extern const struct plan *volatile kt_transfer_plan; /* plan of the object transformed */

/* The transfer is at variable `var` now (NULL: at none), no object yet. */
void kt_transfer_at(const char *var);
/* Appends " (variable KEY; an object of struct T, first reached as PATH)" to buf, as
 * far as known; async-signal-safe. */
void kt_transfer_describe(char *buf, size_t len);

/* The reason an update fails on pointer v to an object of plan p that does not lie
 * in readable memory (an uninitialised pointer, most likely); v is kept as the last
 * wild pointer. */
void kt_wild_pointer(char *buf, size_t len, uintptr_t v, const struct plan *p);
/* The last wild pointer refused (0: none) and why, forgotten as it is read. */
uintptr_t kt_transfer_take_wild(const char **why);

#endif
