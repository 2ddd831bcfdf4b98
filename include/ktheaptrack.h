/* ktheaptrack.h - the original Kitsune's header for heap lists (kitsune_heaplist, NOTE_HEAP, HEAPLIST_FOR_EACH).
 *
 * Kept so that Kitsune programs include it unchanged; everything it named is declared
 * in kitsune.h, which this includes. */
#ifndef KITSUNE_KTHEAPTRACK_H
#define KITSUNE_KTHEAPTRACK_H
#include "kitsune.h"
#endif
