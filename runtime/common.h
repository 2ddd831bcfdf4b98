/* common.h - constants every file of libkitsune uses (never installed). */
#ifndef KITSUNE_COMMON_H
#define KITSUNE_COMMON_H

#include <stddef.h>

#define KT_ERRLEN 512
/* For the conservative scanners (the audit, the crash report's stack scan): they read
 * memory word by word, redzones of AddressSanitizer included, by design. */
#define KT_NO_ASAN __attribute__((no_sanitize("address")))

#endif
