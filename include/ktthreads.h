/* ktthreads.h - the original Kitsune's header for threads (kitsune_pthread_create, the wakeable waits, the thread list).
 *
 * Kept so that Kitsune programs include it unchanged; everything it named is declared
 * in kitsune.h, which this includes. */
#ifndef KITSUNE_KTTHREADS_H
#define KITSUNE_KTTHREADS_H
#include "kitsune.h"
#endif
