/* closure.h - Kitsune's transformation closures for generated code (closure.c). */
#ifndef KITSUNE_CLOSURE_H
#define KITSUNE_CLOSURE_H

/* After an update: every closure made for it goes. */
void kt_closures_free(void);

#endif
