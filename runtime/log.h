/* log.h - the per-process log, the private directory and its files, monotonic time,
 * and async-signal-safe formatting for fault reports (log.c). */
#ifndef KITSUNE_LOG_H
#define KITSUNE_LOG_H

#include <stddef.h>
#include <stdint.h>

void kt_log_open(void);
void kt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *kt_private_dir(void); /* private per-user directory, created on demand */
/* The process's files there (log, control socket), removed when it ends: at exit, or
 * by a signal's default action (async-signal-safe). */
void kt_private_file_add(const char *path);
void kt_private_files_remove(void);
double kt_now_ms(void);
void kt_str_append(char *buf, size_t len, const char *s);     /* to the NUL-terminated buf */
void kt_str_append_hex(char *buf, size_t len, uintptr_t v);   /* "0x..." */
void kt_str_append_dec(char *buf, size_t len, long v);        /* decimal */
/* In a forked child: the log goes on in a file of the child's own. */
void kt_log_after_fork(void);

#endif
