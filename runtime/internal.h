/* internal.h - declarations shared by the files of libkitsune (never installed). */
#ifndef KITSUNE_INTERNAL_H
#define KITSUNE_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <ucontext.h>

#include "kitsune.h"
#include "ktt.h"

#define KT_ERRLEN 512

/* For the conservative scanners (the audit, the crash report's stack scan): they read
 * memory word by word, redzones of AddressSanitizer included, by design. */
#define KT_NO_ASAN __attribute__((no_sanitize("address")))

/* ---- log.c ---- */
void kt_log_open(void);
void kt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *kt_private_dir(void); /* private per-user directory, created on demand */
/* The process's files there (log, control socket), removed when it ends: at exit, or
 * by a signal's default action (async-signal-safe). */
void kt_private_file_add(const char *path);
void kt_private_files_remove(void);

/* ---- monotonic time ---- */
double kt_now_ms(void);

/* ---- log.c: async-signal-safe formatting (no malloc, no stdio) for fault reports ---- */
void kt_str_append(char *buf, size_t len, const char *s);     /* to the NUL-terminated buf */
void kt_str_append_hex(char *buf, size_t len, uintptr_t v);   /* "0x..." */
void kt_str_append_dec(char *buf, size_t len, long v);        /* decimal */

/* ---- elf.c: reading a version's file before it is loaded ---- */
/* Copies section `name` of the ELF file open at fd; *data is malloc'd.  1 when the
 * file has no such section, -1 on other errors. */
int kt_elf_section(int fd, const char *name, char **data, size_t *len, char *err,
                   size_t errlen);
/* Whether the ELF file at path has a section of that name (1), cheaply. */
int kt_elf_has_section(const char *path, const char *name);
/* Checks that every undefined, non-weak dynamic symbol resolves in the process once
 * the file's DT_NEEDED libraries are loaded. */
int kt_elf_check_symbols(int fd, char *err, size_t errlen);
/* Flags the variables of k that lie in memory read-only once the file is loaded: in a
 * section without SHF_WRITE (KTT_VAR_READONLY) or in PT_GNU_RELRO (also KTT_VAR_RELRO). */
int kt_elf_mark_readonly(int fd, struct ktt *k, char *err, size_t errlen);
/* Load address (relative) and size of an allocated section. */
int kt_elf_section_addr(int fd, const char *name, uint64_t *addr, uint64_t *size);

/* ---- version.c: one loaded program version ---- */
struct kt_segment {
    uintptr_t lo, hi;
    int prot; /* PROT_* of the segment */
};

struct kt_addr_entry {
    uintptr_t lo, hi;     /* absolute address range [lo, hi) */
    const char *key;
    int var;              /* index into ktt.vars, or -1 for a function */
    int func;             /* index into ktt.funcs, or -1 */
};

/* Segments of a version: its main object's (at most 8), then its modules'. */
#define KT_MAX_SEG 64
#define KT_MAX_MODULES 128

struct kt_version {
    unsigned number;
    char *path;           /* absolute path it was loaded from */
    int memfd;            /* private copy the object is loaded from */
    void *handle;
    uintptr_t base;       /* load bias (l_addr) */
    struct ktt ktt;
    int (*main)(int, char **);
    struct kt_segment seg[KT_MAX_SEG];
    int nseg;
    int nseg_own;         /* the first nseg_own are the main object's own */
    struct kt_addr_entry *by_addr; /* vars and funcs sorted by address */
    int nby_addr;
    uintptr_t lo, hi;     /* span of all segments */
    uint64_t fingerprint; /* of the summary text, to match generated transformers */
    char *xf_text;        /* rule table of the embedded transformers, or NULL */
    char *xf_self_text;   /* the same for updating from itself (.kitsune_xf_self) */
    char debug_name[48];  /* l_name in a forked child: /proc/PID/fd/N of its own pid */
    char *loader_name;    /* the loader's l_name it stands in for, put back to close */
    /* Modules the program dlopens itself (plugins.c, docs/plugins.md).  Once there are
     * any, ktt is composed: the object's own summary (own) and then each module's,
     * whose keys are "NAME@KEY" and addresses relative to this object's base. */
    struct kt_version **mods; /* in the order they were opened */
    int nmods, cap_mods;
    struct ktt own;
    int composed;
    unsigned mods_gen;        /* bumped when mods changes */
    unsigned composed_gen;    /* mods_gen that ktt was composed for */
    unsigned checked_gen;     /* a next version: the running one's mods_gen at the check */
    char *untracked;          /* a module that could not be taken: updates are refused */
    /* As a module: */
    char mod_name[64];        /* NAME of its keys */
    char *opened_as;          /* the path the program first opened it by (a successor
                                 keeps its predecessor's): opening it again finds it */
    int dl_flags;             /* as the program opened it */
    int slot;                 /* its handle (plugins.c), -1 for none */
    int refs;                 /* dlopen count */
    struct kt_version *owner; /* the version it belongs to */
    struct kt_version *pred;  /* a successor: the module of the old version it replaces */
};

/* fd >= 0: the file, already open (path is then only its name in messages). */
int kt_version_prepare(const char *path, int fd, struct kt_version **out, char *err,
                       size_t errlen);
int kt_version_load(struct kt_version *v, char *err, size_t errlen);
void kt_version_discard(struct kt_version *v);  /* unload a version never committed */
void kt_version_retire(struct kt_version *v);   /* release an old version after commit */
void kt_version_after_fork(struct kt_version *v); /* name it for the child's debugger */
void *kt_version_var_addr(const struct kt_version *v, const char *key);
void *kt_version_func_addr(const struct kt_version *v, const char *key);
const struct kt_addr_entry *kt_version_lookup_addr(const struct kt_version *v,
                                                   uintptr_t addr);
int kt_version_is_text(const struct kt_version *v, uintptr_t addr);
/* Whether addr lies in a segment of v's objects (not only in their span). */
int kt_version_contains(const struct kt_version *v, uintptr_t addr);
/* Modules: prepared like a version (1: the file has no summary, not a module), loaded
 * with the flags in m->dl_flags; compose rebuilds v->ktt (and, once loaded, the
 * addresses, segments and address index) from its own summary and its modules'. */
int kt_module_prepare(const char *path, struct kt_version **out, char *err, size_t errlen);
int kt_module_load(struct kt_version *m, char *err, size_t errlen);
int kt_version_compose(struct kt_version *v, char *err, size_t errlen);

/* ---- plugins.c: the program's dlopen of its own modules (docs/plugins.md) ---- */
/* Before the pause: the running version's modules composed, their successors prepared
 * into nv (in order) and composed into its summary. */
int kt_plugins_prepare(struct kt_version *cur, struct kt_version *nv, char *err,
                       size_t errlen);
/* Held by the request from kt_plugins_prepare to the end of its check: no module is
 * opened or closed meanwhile. */
void kt_plugins_hold(int on);
/* At the pause: whether the program opened or closed a module since the check. */
int kt_plugins_changed(const struct kt_version *cur, const struct kt_version *nv);
void kt_plugins_loaded(struct kt_version *m);   /* its handle leads to it from now on */
void kt_plugins_commit(struct kt_version *old); /* handles lead to the new modules */
void kt_plugins_settle(struct kt_version *nv); /* after the transfer: its own opens */
void kt_plugins_forget(struct kt_version *m);   /* m is being discarded */
/* [{"name":"N","path":"P"},...]: the running version's modules, for `kitsune status` */
size_t kt_plugins_json(char *out, size_t len);

/* ---- update.c: the update lifecycle ---- */
enum kt_outcome { KT_COMMITTED, KT_REFUSED, KT_ROLLED_BACK };

struct kt_report {
    enum kt_outcome outcome;
    char reason[KT_ERRLEN];
    unsigned from_version, to_version;
    double t_request, t_quiesce, t_load, t_migrate, t_resume, t_retire; /* ms */
    double t_audit;       /* ms, part of t_resume */
    double pause_ms;
    long vars_migrated, objects_transformed, pointers_fixed;
};

struct kt_runtime {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct kt_version *cur;     /* running version */
    struct kt_version *next;    /* prepared or being loaded */
    struct kt_version *old;     /* while updating: the version being replaced */
    struct kt_version *left;    /* after a commit, until every restarted thread has
                                   passed its first update point: the retired version,
                                   whose key and address tables those threads may use */
    int argc;
    char **argv;
    pthread_t main_thread;
    int has_updated;
    char old_point[128];        /* update point the old main left from */
};
extern struct kt_runtime kt_rt;

/* Default limits (ms), overridden by KITSUNE_QUIESCE_TIMEOUT_MS and
 * KITSUNE_UPDATE_TIMEOUT_MS, and per request by `kitsune update --timeout`.  Threads
 * that have parked are frozen while the others are awaited, and the whole program is
 * frozen while the new version runs to its update point, so both are kept to what a
 * live service can bear; a new version that passes no update point at all is rolled
 * back from the watchdog's signal KT_WATCHDOG_GRACE_MS after the limit. */
#define KT_QUIESCE_TIMEOUT_MS 2000
#define KT_UPDATE_TIMEOUT_MS 2000
#define KT_WATCHDOG_GRACE_MS 250
/* How long a request made by the program waits for an update point to take it before
 * the control thread takes it anyway (the program may be blocked). */
#define KT_SELF_REQUEST_GRACE_MS 200
#define KT_MIGRATE_TIMEOUT_MS 60000
/* The engines' transfer starts (1) and ends (0): see update.c. */
void kt_update_engine_timing(int running);

struct kt_request_opts {
    int check;          /* --check */
    const char *fault;  /* --fault STEP (tests), or NULL */
    double timeout_ms;  /* --timeout: bounds quiescence and the freeze; 0: defaults */
    int client_fd;      /* the requesting connection (-1: the program itself); a
                           request whose client has gone before the pause is cancelled */
    int version_fd;     /* the new version's file, opened by the client and passed over
                           the socket (a chrooted process cannot open it); -1: by path */
};

/* Asks for an update to `path` (NULL: reload the running file) and waits for the
 * outcome; called by the control thread.  Fills *report. */
void kt_update_request(const char *path, const struct kt_request_opts *opts,
                       struct kt_report *report);
double kt_update_timeout_ms(void);
void kt_update_timeout_check(const void *ctx); /* ctx: the handler's ucontext */
int kt_fault_injected(const char *step);
/* check.c: --check, after the transfer and before commit. */
int kt_check_state(const struct kt_version *old, const struct kt_version *nv, char *err,
                   size_t errlen);
/* check.c: where the old state keeps `value` (a refused wild pointer), as a path
 * from its variable; 0 when found. */
int kt_check_find_path(const struct kt_version *v, uintptr_t value, char *path, size_t len);
/* fptr_check.c: before the pause, function pointers in the migrated variables that
 * have no target in the new version. */
struct plan_ctx;
int kt_fptr_check(const struct plan_ctx *ctx, const struct kt_version *old,
                  const struct kt_version *nv, char *err, size_t errlen);
/* migrate.c: the key an old function has in the version just committed (renames). */
/* The committed update's function renames kept for kt_migrate_successor (also done
 * by kt_migrate_end(1)). */
void kt_migrate_keep_renames(void);
const char *kt_migrate_successor(const char *old_key);
/* oom.c: a failed allocation in the update path: rolls back (main thread, before
 * commit), refuses (control thread, after kt_oom_arm), or stops a helper. */
#include <setjmp.h>
__attribute__((noreturn)) void kt_oom(const char *what);
/* What cannot go on without killing the program: logs why, then this thread waits
 * forever (signals still reach the process); never abort(). */
__attribute__((noreturn)) void kt_stop_thread(const char *what, const char *detail);
void kt_oom_arm(jmp_buf *env); /* NULL: disarm */
char *kt_strdup(const char *s); /* never NULL: kt_oom */
/* update.c: rolls back with `reason` if the main thread is in an update; else returns */
void kt_update_abandon(const char *reason);
/* Fault injection (KITSUNE_FAULTS): `--fault alloc=N` fails the Nth allocation made
 * while the request is handled (tests/lib/failalloc.c counts them). */
extern long kt_fault_alloc_at, kt_fault_alloc_count;
/* maps.c: the process's readable mappings, sorted (--check, the audit) */
struct kt_map_range {
    uintptr_t lo, hi;
};
struct kt_maps {
    struct kt_map_range *r;
    int n;
};
int kt_maps_load(struct kt_maps *m);
/* /proc/self/NAME, also from a chroot without /proc (maps.c) */
FILE *kt_proc_fopen(const char *name);
int kt_proc_dir(void); /* /proc opened at start (O_PATH), or -1 */
int kt_maps_contains(const struct kt_maps *m, uintptr_t p);
int kt_maps_contains_range(const struct kt_maps *m, uintptr_t p, size_t len);
void kt_maps_free(struct kt_maps *m);
/* chunks.c: the chunks in use of glibc's main arena ([heap]) */
struct kt_chunks {
    uintptr_t lo, hi;   /* [heap] */
    uintptr_t known_hi; /* the walk's end: beyond it (not glibc's heap?) nothing is known */
    uint64_t *starts;   /* a bit per 16 bytes: a chunk in use starts there */
    size_t nbits;
};
int kt_chunks_index(struct kt_chunks *ci); /* -1: out of memory */
void kt_chunks_free(struct kt_chunks *ci);
/* The start of the chunk in use holding p, or 0; *end: the end of its user area. */
uintptr_t kt_chunks_find(const struct kt_chunks *ci, uintptr_t p, uintptr_t *end);
int kt_chunks_known(const struct kt_chunks *ci, uintptr_t p); /* p is judged */
/* audit.c: before commit, no word the program keeps may point into the old version's
 * writable data or code (but function starts).  With --check, and whenever
 * KITSUNE_AUDIT=1 (off by default: see docs/reliability.md for its cost).  *ms: its cost. */
#define KT_AUDIT_DEFAULT 0
int kt_audit_default(void);
int kt_audit(const struct kt_version *old, const struct kt_version *nv, double *ms, char *err,
             size_t errlen);
/* threads.c: the start arguments of the threads (at most max), for the audit */
int kt_threads_args(void **out, int max);
void *kt_migrate_translate(void *old);
/* crash.c: crashes and exit() of the new version before commit (async-signal-safe) */
void kt_crash_install(void);
void kt_crash_stack(const void *lo, size_t size); /* the stack a handler may scan */
void kt_crash_describe(char *buf, size_t len, int sig, const siginfo_t *info,
                       const void *ctx, const char *during);
/* "access to the retired data of version N: KEY+OFF (address A) by FUNC (version M)" */
void kt_crash_describe_retired(char *buf, size_t len, unsigned version, const char *key,
                               uintptr_t off, uintptr_t addr, const void *ctx);
void kt_update_current_stack(uintptr_t *lo, uintptr_t *hi); /* update.c: mmap'd main stack */
int kt_crash_in_allocator(const void *ctx); /* ctx: the handler's ucontext */
int kt_update_fault(int sig, const siginfo_t *info, const void *ctx);
/* signals.c: the runtime's handler first, the program's recorded behind it */
void kt_signal_take(int sig, void (*fn)(int, siginfo_t *, void *));
void kt_signal_pass_on(int sig, siginfo_t *info, void *ctx); /* to the program's */
void kt_signal_default(int sig); /* default action, the private files removed first */
void kt_signal_catch_exits(void); /* SIG_DFL signals that end the process: cleanup */
/* stale.c */
void kt_stale_add(const struct kt_version *v);
void kt_stale_install(void);
void kt_threads_signal_main(void);
int kt_updating(void);
/* Aborts the update in progress (before commit) with a reason. */
void kt_update_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- control.c ---- */
int kt_control_start(void);
size_t kt_json_str(char *out, size_t len, const char *s); /* a JSON string literal */
const char *kt_outcome_name(enum kt_outcome o);
/* history.c: the outcomes `kitsune status` lists */
void kt_history_reset(void);
void kt_history_add(const char *path, const struct kt_report *r);
size_t kt_history_json(char *out, size_t len);
/* notify.c: sd_notify when NOTIFY_SOCKET is set */
void kt_notify_ready(void);
void kt_notify_update_start(const char *path);
void kt_notify_update_end(const struct kt_report *r);
/* threads.c: [{"tid":N,"main":B,"point":"P"},...] for `kitsune status` */
size_t kt_threads_json(char *out, size_t len);
void kt_control_wake(void); /* async-signal-safe nudge (kitsune_signal_update) */
/* A request made by the program: pending (asked or being served), and the update
 * point that takes it (control.c); the attention flag recomputed (update.c). */
int kt_self_request_pending(void);
/* The readable memory as a snapshot taken when a transfer starts, for the engines
 * (maps.c); kt_maps_readable says yes to everything when there is none. */
int kt_maps_snapshot(void);
int kt_maps_readable(uintptr_t p, size_t len);
/* Only whether [p, p+len) is mapped: enough to read a byte that decides to leave an
 * object alone (a dispatching rule's tag), not to follow or change it. */
int kt_maps_mapped(uintptr_t p, size_t len);
/* Why [p, p+len) is not: "not in mapped memory", "not an allocation", or NULL. */
const char *kt_maps_why(uintptr_t p, size_t len);
/* The usable bytes of the malloc'd block that starts at p, or 0 when not known. */
size_t kt_maps_block_size(uintptr_t p);
void kt_maps_snapshot_free(void);
struct plan;
void kt_wild_pointer(char *buf, size_t len, uintptr_t v, const struct plan *p);
void kt_migrate_name_wild(const struct kt_version *old, char *reason, size_t len);
/* bysize.c: the candidate plan of a void * op with alts for the heap object at p, by its
 * allocation's usable size; NULL with the reason in why when none fits. */
struct plan_op;
const struct plan *kt_plan_by_size(const struct plan_op *op, uintptr_t p, char *why,
                                   size_t len);
void kt_self_request_at_point(void);
void kt_attention_refresh(void);

/* ---- threads.c ---- */
int kt_threads_quiesce(double timeout_ms, char *err, size_t errlen);
void kt_threads_release(void);                      /* after a refusal or rollback */
void kt_threads_kick(void);                         /* wake blocked threads */
int kt_thread_is_main(void);
const char *kt_thread_old_point(void);              /* for kitsune_is_updating_from */
void kt_threads_signal_setup(void);
int kt_threads_wake_signal(void);
/* update.c: parking inside a blocking call (threads.c, blocking.c). */
void kt_wait_point(pthread_mutex_t *mutex);
int kt_update_can_park(void);
const char *kt_thread_last_point(void);
void kt_wakeup_set(int on);

/* ---- migrate.c ---- */
/* What the transfer is working on, named by the report of a fault during it: plain
 * stores by the engines, read by the fault handler on the same (main) thread. */
struct plan;
extern const char *volatile kt_transfer_var;         /* key of the variable migrated */
extern const struct plan *volatile kt_transfer_plan; /* plan of the object transformed */
/* Appends " (variable KEY; an object of struct T, first reached as PATH)" to buf, as
 * far as known; async-signal-safe. */
void kt_transfer_describe(char *buf, size_t len);
int kt_migrate_begin(struct kt_version *old, struct kt_version *new_, char *err,
                     size_t errlen);
int kt_migrate_all(struct kt_report *report);
void kt_migrate_end(int committed);
void kt_stackvars_save_thread(void);

/* ---- heap tracking for noted locals of the main thread ---- */
struct kt_frame;
void kt_locals_flip(void);       /* new update: current noted locals become "old" */
void kt_locals_drop_old(void);
void kt_locals_unflip(void);
void kt_threads_register_main(void);
void kt_migrate_counts(long *vars, long *objects, long *fixed);
void *kt_locals_find_old(const char *func, const char *name, size_t *size);
/* locals.c: notes the locals of E_NOTELOCALS functions of version v found in the
 * calling (main) thread's frames; -1 with err when one the plan needs is optimised
 * out there (nothing is noted then). */
int kt_locals_capture(const struct kt_version *v, const char *point, char *err,
                      size_t errlen);
/* migrate.c: a local found in a frame (copy: its saved value, owned, or NULL); the
 * notes so taken go again; whether the plan reads old variable old_var. */
void kt_locals_note_frame(const char *func, const char *name, void *addr, size_t size,
                          void *copy);
void kt_locals_uncapture(void);
int kt_migrate_needs_old(int old_var);

#endif
