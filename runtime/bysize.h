/* bysize.h - the plan of a void * with alternatives, by the allocation's size (bysize.c). */
#ifndef KITSUNE_BYSIZE_H
#define KITSUNE_BYSIZE_H

#include <stddef.h>
#include <stdint.h>

struct plan;
struct plan_op;

const struct plan *kt_plan_by_size(const struct plan_op *op, uintptr_t p, char *why,
                                   size_t len);

#endif
