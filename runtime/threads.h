/* threads.h - thread records, parking, restarts (threads.c). */
#ifndef KITSUNE_THREADS_H
#define KITSUNE_THREADS_H

#include <stddef.h>

struct kt_version;

/* The start arguments of the threads (at most max), for the audit */
int kt_threads_args(void **out, int max);
void kt_threads_signal_main(void);
/* [{"tid":N,"main":B,"point":"P"},...] for `kitsune status` */
size_t kt_threads_json(char *out, size_t len);
int kt_threads_quiesce(double timeout_ms, char *err, size_t errlen);
void kt_threads_release(void);                      /* after a refusal or rollback */
void kt_threads_kick(void);                         /* wake blocked threads */
void kt_threads_signal_setup(void);
const char *kt_thread_last_point(void);
void kt_threads_register_main(void);
/* The park/restart protocol with update.c (its header says how it goes). */
void kt_thread_park(const char *point);
const char *kt_thread_updating_from(void);
void kt_thread_finish_update(const char *point);
void kt_thread_note_point(const char *point);
int kt_thread_registered(void);
int kt_threads_check_restart(const struct kt_version *old, const struct kt_version *nv,
                             char *err, size_t errlen);
void kt_threads_restart(const struct kt_version *old, const struct kt_version *nv);
void kt_threads_migrate_args(const struct kt_version *old);
int kt_threads_count_restarted(void);
void kt_threads_after_fork(void);

#endif
