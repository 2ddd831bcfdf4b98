/* kitsune.h - the public API of kitsune, dynamic software updating for C.
 *
 * A program includes this header, links against libkitsune and is built as a
 * position-independent shared object with debug info.  It marks update points in its
 * long-running loops, calls kitsune_do_automigrate() near the top of main, and guards
 * initialisation that must not run twice with !kitsune_is_updating().  The names and
 * macros are those of the original Kitsune, so Kitsune programs port unchanged.
 *
 * Everything here compiles with gcc and clang; the annotation macros expand to nothing
 * and are read from the source by kitc. */
#ifndef KITSUNE_H
#define KITSUNE_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>
/* Kitsune's kitsune.h pulled these in, and its programs rely on that. */
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Update points ------------------------------------------------------------- */

/* Non-zero while an update point has work to do: a request is pending or an update is
 * in progress.  Read by the inlined fast path of kitsune_update(); written only by the
 * runtime. */
extern int kitsune_attention;

/* The update point the calling thread passed last: a thread that parks inside a
 * blocking call (a sleep, a condition wait) when an update is pending parks as if at
 * this point.  Written by the inlined fast path; read only by the runtime. */
extern __thread const char *kitsune_point_passed __attribute__((tls_model("initial-exec")));

/* The out-of-line part of an update point.  Never call it directly. */
void kitsune_update_point(const char *kt_point);

/* An update point.  With nothing pending this is a store, a load and a branch. */
static inline void kitsune_update(const char *kt_point)
{
    kitsune_point_passed = kt_point;
    if (__builtin_expect(__atomic_load_n(&kitsune_attention, __ATOMIC_RELAXED), 0))
        kitsune_update_point(kt_point);
}

/* True from the start of the new version until the calling thread reaches the update
 * point its old version left from. */
int kitsune_is_updating(void);

/* True while updating and the calling thread's old version left from `point`. */
int kitsune_is_updating_from(const char *kt_point);

/* True once this process has committed at least one update. */
int kitsune_has_updated(void);

/* Requests an update at the next update point.  Async-signal-safe.  The next version is
 * the one given to kitsune_set_next_version() or, without one, the file loaded now
 * (a self-update). */
void kitsune_signal_update(void);
void kitsune_set_next_version(const char *kt_path);
void kitsune_clear_request(void);

/* Number of the running version: 0 for the first one, incremented by each commit. */
unsigned kitsune_version_number(void);
/* Absolute path of the running version's file (its modules are found beside it:
 * docs/plugins.md). */
const char *kitsune_version_path(void);

/* ---- Data migration -------------------------------------------------------------- */

/* Carries every global, file static and function static of the old version over to
 * the variable of the same key in the new one (through generated transformers where
 * the type changed).  Does nothing unless updating.  Returns the number of variables
 * migrated, or -1 after a failure (the update is then rolled back). */
int kitsune_do_automigrate(void);

/* Migrates one variable by key; returns 1 if it was migrated, 0 if not updating or the
 * old version has no such variable.  `addr`/`size` describe the new variable. */
int kitsune_migrate_var(const char *kt_name, const char *kt_func, const char *kt_file,
                        void *kt_addr, size_t kt_size);

/* Notes a local so that the next version can MIGRATE_LOCAL it. */
void kitsune_note_local(const char *kt_func, const char *kt_name, void *kt_addr, size_t kt_size);
void kitsune_enter_func(const char *kt_func);
void kitsune_exit_func(const char *kt_func);
/* Registers a static that kitc could not see (no debug info); rarely needed. */
void kitsune_note_var(const char *kt_name, const char *kt_func, const char *kt_file, void *kt_addr,
                      size_t kt_size);

/* Address of a variable (or function) of the old or new version, by its parts. */
void *kitsune_get_symbol_addr_old(const char *kt_name, const char *kt_func, const char *kt_file);
void *kitsune_get_symbol_addr_new(const char *kt_name, const char *kt_func, const char *kt_file);

/* Key <-> address lookups (docs/design.md §4 keys: "name", "file/name", "file/func#name"). */
void *kitsune_lookup_key_old(const char *kt_key);
void *kitsune_lookup_key_new(const char *kt_key);
const char *kitsune_lookup_addr_old(const void *kt_addr);
const char *kitsune_lookup_addr_new(const void *kt_addr);

#define KITSUNE_STR_(x) #x
#define KITSUNE_STR(x) KITSUNE_STR_(x)

#define MIGRATE_GLOBAL(g) kitsune_migrate_var(#g, NULL, NULL, &(g), sizeof(g))
#define MIGRATE_STATIC(v) kitsune_migrate_var(#v, NULL, __FILE__, &(v), sizeof(v))
#define MIGRATE_LOCAL(l) kitsune_migrate_var(#l, __func__, NULL, &(l), sizeof(l))
#define MIGRATE_LOCAL_STATIC(f, v) kitsune_migrate_var(#v, #f, __FILE__, &(v), sizeof(v))

#define NOTE_LOCAL(l) kitsune_note_local(__func__, #l, &(l), sizeof(l))
#define NOTE_STATIC(v) kitsune_note_var(#v, NULL, __FILE__, &(v), sizeof(v))
#define NOTE_LOCAL_STATIC(v) kitsune_note_var(#v, __func__, __FILE__, &(v), sizeof(v))
#define NOTE_AND_MIGRATE_LOCAL(l) (NOTE_LOCAL(l), MIGRATE_LOCAL(l))
#define NOTE_AND_MIGRATE_STATIC(v) (NOTE_STATIC(v), MIGRATE_STATIC(v))
#define NOTE_AND_MIGRATE_LOCAL_STATIC(f, v) (NOTE_LOCAL_STATIC(v), MIGRATE_LOCAL_STATIC(f, v))
#define ENTER_FUNC() kitsune_enter_func(__func__)
#define EXIT_FUNC() kitsune_exit_func(__func__)
#define LEAVE_FUNC() EXIT_FUNC()

#define GET_OLD_GLOBAL(n) kitsune_get_symbol_addr_old(#n, NULL, NULL)
#define GET_OLD_LOCAL(f, n) kitsune_get_symbol_addr_old(#n, #f, NULL)
#define GET_OLD_STATIC(file, n) kitsune_get_symbol_addr_old(#n, NULL, #file)
#define GET_OLD_LOCAL_STATIC(file, f, n) kitsune_get_symbol_addr_old(#n, #f, #file)
#define GET_NEW_GLOBAL(n) kitsune_get_symbol_addr_new(#n, NULL, NULL)
#define GET_NEW_LOCAL(f, n) kitsune_get_symbol_addr_new(#n, #f, NULL)
#define GET_NEW_STATIC(file, n) kitsune_get_symbol_addr_new(#n, NULL, #file)
#define GET_NEW_LOCAL_STATIC(file, f, n) kitsune_get_symbol_addr_new(#n, #f, #file)

/* Names of hand-written per-variable transformers, void NAME(void *new_addr), found by
 * MIGRATE_* in the new version and run in place of the copy (Kitsune's names; the
 * file is written with `_` for `.`: STATIC_XFORM(main_c, y)). */
#define GLOBAL_XFORM(n) _kitsune_transform_##n
#define STATIC_XFORM(file_c, n) _kitsune_transform_##file_c##___file___##n
#define LOCAL_XFORM(f, n) _kitsune_transform_##f##___func___##n
#define LOCAL_STATIC_XFORM(file_c, f, n) _kitsune_transform_##file_c##___file___##f##___func___##n

/* Optional hooks a version may define (found by name in the new version):
 * called before the new main runs, and when the new main thread reaches the update
 * point the old one left from, before the other threads are restarted. */
void _kitsune_prestart_xform(void);
void _kitsune_mainupdate_xform(void);

/* ---- Blocking calls ------------------------------------------------------------ */

/* A file descriptor that is readable while an update is pending, for poll/epoll/event
 * loops.  Created on first use; never closed by the program. */
int kitsune_wakeup_fd(void);
/* Adds kitsune_wakeup_fd() to an epoll set (EPOLLIN, data.fd = the wakeup fd). */
int kitsune_epoll_add(int kt_epfd);

/* ---- Threads --------------------------------------------------------------------- */

typedef void *(kt_pthread_fn)(void *);

typedef struct ktthread_info {
    void *arg;
    kt_pthread_fn *start_fun;
    const char *update_pt;
    pthread_attr_t attr;
} ktthread_info;

int kitsune_pthread_create(pthread_t *kt_thread, const pthread_attr_t *kt_attr,
                           kt_pthread_fn *kt_start, void *kt_arg);
/* Declares, at file scope, what the threads started with `fn` get as argument:
 * KITSUNE_THREAD_ARG(task_start, struct task); makes the argument migrate at an update
 * like a `struct task *` variable (the object rebuilt, its function pointers remapped).
 * Without it only the argument's address is translated. */
#define KITSUNE_THREAD_ARG(kt_fn, kt_type) \
    __attribute__((used)) static kt_type *kitsune_thread_arg__##kt_fn
int ktthreads_pthread_cond_wait(pthread_cond_t *kt_cond, pthread_mutex_t *kt_mutex);
int ktthreads_pthread_cond_timedwait(pthread_cond_t *kt_cond, pthread_mutex_t *kt_mutex,
                                     const struct timespec *kt_abstime);
void ktthreads_ms_sleep(int kt_ms);
/* Registers a callback the updating thread runs to unblock the calling thread. */
void ktthreads_update_callback(void (*kt_cb)(void *), void *kt_arg);
/* Iterate the tracked threads (in _kitsune_mainupdate_xform). */
void kitsune_threads_reset(void);
ktthread_info *kitsune_threads_next(void);
void kitsune_thread_remove(void);
void kitsune_thread_add(void *kt_arg, kt_pthread_fn *kt_fn, const char *kt_update_pt,
                        pthread_attr_t *kt_attr);

/* ---- Heap lists ------------------------------------------------------------------ */

typedef struct kitsune_heaplist_node {
    void *addr;
    struct kitsune_heaplist_node *next;
} kitsune_heaplist_node;
typedef kitsune_heaplist_node kitsune_heaplist_iterator;
typedef struct kitsune_heaplist {
    kitsune_heaplist_node *head;
} kitsune_heaplist;

void kitsune_heaplist_init(kitsune_heaplist *kt_list);
/* 0, or -1 when out of memory (the object is not noted). */
int kitsune_heaplist_add(kitsune_heaplist *kt_list, void *kt_addr);
int kitsune_heaplist_del(kitsune_heaplist *kt_list, void *kt_addr);
kitsune_heaplist_iterator *kitsune_heaplist_begin(kitsune_heaplist *kt_list);
kitsune_heaplist_iterator *kitsune_heaplist_end(kitsune_heaplist *kt_list);
kitsune_heaplist_iterator *kitsune_heaplist_last(kitsune_heaplist *kt_list);
kitsune_heaplist_iterator *kitsune_heaplist_next(kitsune_heaplist_iterator *kt_it);
int kitsune_heaplist_isempty(kitsune_heaplist *kt_list);
void kitsune_heaplist_free(kitsune_heaplist *kt_list);

/* As in Kitsune, the list is passed by pointer and the iterator is the program's own
 * variable (kitsune_heaplist_iterator *tmp), which holds NULL after the loop. */
#define NOTE_HEAP(list, addr) kitsune_heaplist_add((list), (addr))
#define UNNOTE_HEAP(list, addr) kitsune_heaplist_del((list), (addr))
#define HEAPLIST_FOR_EACH(list, cur, type, tmp)                                          \
    for ((tmp) = kitsune_heaplist_begin(list); (tmp) && ((cur) = (type)(tmp)->addr, 1);  \
         (tmp) = kitsune_heaplist_next(tmp))

/* ---- Logging --------------------------------------------------------------------- */

int kitsune_logging_init(const char *kt_appname);
void kitsune_log(const char *kt_fmt, ...) __attribute__((__format__(__printf__, 1, 2)));

/* ---- Annotations (read by kitc from the source; no effect on code or layout) ----- */

#define E_PTR
#define E_OPAQUE
#define E_PTRARRAY(...)
#define E_ARRAY(...)
#define E_SZ
#define E_GENERIC(...)
#define E_T(...)
#define E_G(...)
#define E_MANUAL_MIGRATE
#define E_AUTO_MIGRATE
#define E_NOTELOCALS

#ifdef __cplusplus
}
#endif
#endif /* KITSUNE_H */
