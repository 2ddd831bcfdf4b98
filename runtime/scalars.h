/* scalars.h - reading and writing the scalars of old and new objects, of any width,
 * for both engines (xform.c, fast.c): integers, floats, pointers, counts of arrays,
 * bitfields, enums mapped by name.  Inline: they run once per field. */
#ifndef KITSUNE_SCALARS_H
#define KITSUNE_SCALARS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "plan.h"

static inline long long kt_read_int(const void *p, unsigned size, int is_signed)
{
    switch (size) {
    case 1:
        return is_signed ? (long long)*(const int8_t *)p : (long long)*(const uint8_t *)p;
    case 2: {
        int16_t s;
        uint16_t u;
        memcpy(&s, p, 2);
        memcpy(&u, p, 2);
        return is_signed ? (long long)s : (long long)u;
    }
    case 4: {
        int32_t s;
        uint32_t u;
        memcpy(&s, p, 4);
        memcpy(&u, p, 4);
        return is_signed ? (long long)s : (long long)u;
    }
    default: { long long v; memcpy(&v, p, 8); return v; }
    }
}

static inline void kt_write_int(void *p, unsigned size, long long v)
{
    switch (size) {
    case 1: { uint8_t x = (uint8_t)v; memcpy(p, &x, 1); break; }
    case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
    default: memcpy(p, &v, 8);
    }
}

static inline long double kt_read_float(const void *p, unsigned size)
{
    if (size == 4) {
        float f;
        memcpy(&f, p, sizeof f);
        return f;
    }
    double d;
    memcpy(&d, p, sizeof d);
    return d;
}

static inline void kt_write_float(void *p, unsigned size, long double v)
{
    if (size == 8) {
        double d = (double)v;
        memcpy(p, &d, sizeof d);
    } else {
        memcpy(p, &v, sizeof v < size ? sizeof v : size);
    }
}

static inline uintptr_t kt_read_ptr(const void *p)
{
    uintptr_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Elements of an E_PTRARRAY or E_ARRAY: a literal, or a count field of the old
 * object at old_base. */
static inline size_t kt_op_count(const struct plan_op *op, const char *old_base)
{
    if (op->count >= 0)
        return (size_t)op->count;
    long long n = kt_read_int(old_base + op->count_off, op->count_size, op->count_signed);
    return n > 0 ? (size_t)n : 0;
}

/* Elements up to and including the first all-zero one (E_SZ). */
static inline size_t kt_nul_count(uintptr_t p, size_t stride)
{
    const unsigned char *b = (const unsigned char *)p;
    if (stride == 0)
        return 1;
    for (size_t n = 0;; n++, b += stride) {
        size_t i = 0;
        while (i < stride && b[i] == 0)
            i++;
        if (i == stride)
            return n + 1;
    }
}

/* A bitfield moved or resized; it spans at most 9 bytes (7 bits of offset and 64 of
 * value). */
static inline void kt_move_bits(const struct plan_op *op, const char *ob, char *nb)
{
    unsigned __int128 ov = 0, nv = 0;
    unsigned obytes = (op->old_bit + op->old_bits + 7u) / 8u;
    unsigned nbytes = (op->new_bit + op->new_bits + 7u) / 8u;
    memcpy(&ov, ob + op->old_off, obytes);
    memcpy(&nv, nb + op->new_off, nbytes);
    unsigned __int128 one = 1;
    unsigned long long val = (unsigned long long)(ov >> op->old_bit);
    if (op->old_bits < 64) {
        val &= (1ULL << op->old_bits) - 1;
        if (op->old_signed && (val >> (op->old_bits - 1)) & 1)
            val |= ~0ULL << op->old_bits; /* sign-extend */
    }
    unsigned __int128 mask = ((one << op->new_bits) - 1) << op->new_bit;
    nv = (nv & ~mask) | (((unsigned __int128)val << op->new_bit) & mask);
    memcpy(nb + op->new_off, &nv, nbytes);
}

/* An enum value mapped by enumerator name. */
static inline void kt_map_enum(const struct plan_op *op, const char *ob, char *nb)
{
    long long v = kt_read_int(ob + op->old_off, op->len, op->old_signed);
    for (int i = 0; i < op->n_enum; i++)
        if (op->enum_map[2 * i] == v) {
            v = op->enum_map[2 * i + 1];
            break;
        }
    kt_write_int(nb + op->new_off, op->new_len, v);
}

#endif
