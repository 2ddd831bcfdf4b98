/* proc.h - reading /proc/self, also from a chroot without /proc (proc.c). */
#ifndef KITSUNE_PROC_H
#define KITSUNE_PROC_H

#include <stdio.h>

/* /proc/self/NAME opened for reading, or NULL. */
FILE *kt_proc_fopen(const char *name);
int kt_proc_dir(void); /* /proc opened at start (O_PATH), or -1 */

#endif
