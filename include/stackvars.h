/* stackvars.h - the original Kitsune's header for noted locals (NOTE_LOCAL, MIGRATE_LOCAL, ENTER_FUNC/EXIT_FUNC).
 *
 * Kept so that Kitsune programs include it unchanged; everything it named is declared
 * in kitsune.h, which this includes. */
#ifndef KITSUNE_STACKVARS_H
#define KITSUNE_STACKVARS_H
#include "kitsune.h"
#endif
