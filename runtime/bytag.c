/* bytag.c - which of several types a void * object is, told by a tag field of the
 * object that holds the pointer.
 *
 * `SWITCH struct msg.payload ON self.kind { 1: struct text  2: struct num }` says that
 * msg.payload points to a struct text when the msg's kind is 1: the planner makes one
 * plan per case (plan_tag.c, plan_by_tag) and the general engine reads the tag of each old
 * msg it meets to pick one.  A value no case names (and no default) fails the update:
 * transforming the object as a guess would commit wrong state, and the rule's author
 * said what each value means. */
#include "bytag.h"

#include <stdio.h>
#include <string.h>

#include "plan.h"

long long kt_tag_value(const struct plan_op *op, const char *base)
{
    uint64_t raw = 0;
    memcpy(&raw, base + op->tag_off, op->tag_len); /* little-endian, as LP64 x86-64 */
    raw >>= op->tag_bit;
    if (op->tag_bits < 64)
        raw &= ((uint64_t)1 << op->tag_bits) - 1;
    if (op->tag_signed && op->tag_bits < 64 && (raw >> (op->tag_bits - 1)) & 1)
        raw |= ~(uint64_t)0 << op->tag_bits;
    return (long long)raw;
}

/* "struct msg" of "struct msg.body.payload": the type whose object holds the tag. */
static int holder_len(const char *path)
{
    const char *sp = strchr(path, ' ');
    const char *dot = strchr(sp ? sp : path, '.');
    return dot ? (int)(dot - path) : (int)strlen(path);
}

int kt_plan_by_tag(const struct plan_op *op, const char *base, uintptr_t v,
                   const struct plan **out, char *why, size_t len)
{
    long long tag = kt_tag_value(op, base);
    for (int i = 0; i < op->nalts; i++)
        if (i != op->tag_default && op->tag_vals[i] == tag) {
            *out = op->alts[i];
            return 1;
        }
    if (op->tag_default >= 0) {
        *out = op->alts[op->tag_default];
        return 1;
    }
    const char *path = op->path ? op->path : "a void *";
    int n = snprintf(why, len, "%s: the %.*s at %#lx has %s == %lld, which no case of its "
                     "SWITCH names (cases", path, holder_len(path), path,
                     (unsigned long)(uintptr_t)base, op->tag_name ? op->tag_name : "its tag",
                     tag);
    for (int i = 0; i < op->nalts && n >= 0 && (size_t)n < len; i++)
        if (i != op->tag_default)
            n += snprintf(why + n, len - n, " %lld", op->tag_vals[i]);
    if (n >= 0 && (size_t)n < len)
        snprintf(why + n, len - n, "), so what the object at %#lx is cannot be told; add a "
                 "case for %lld (or a default) to the SWITCH", (unsigned long)v, tag);
    return 0;
}
