/* layout_check.c - compiled with the code xfgen generated for layout.xf (included
 * below) and the real types of layout.h (VERSION 2): every bitfield of the generated
 * copies must sit on exactly the bits of the real one, and the generated rule
 * functions must do what the rules say when called the way the runtime calls them. */
#include <stdio.h>
#include <string.h>

#include "layout.h"
#include XF_C /* the generated file */

static int fails;

#define CHECK(c)                                                                       \
    do {                                                                               \
        if (!(c)) {                                                                    \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);                        \
            fails++;                                                                   \
        }                                                                              \
    } while (0)

static unsigned long long ones = ~0ULL;

/* The same bits must be set in the real and the generated struct. */
#define SAME_BITS(REAL, GEN, field)                                                    \
    do {                                                                               \
        REAL r_;                                                                       \
        GEN g_;                                                                        \
        memset(&r_, 0, sizeof r_);                                                     \
        memset(&g_, 0, sizeof g_);                                                     \
        r_.field = ones;                                                               \
        g_.field = ones;                                                               \
        CHECK(sizeof r_ == sizeof g_ && memcmp(&r_, &g_, sizeof r_) == 0);             \
    } while (0)

/* The byte where a bitfield starts (what the runtime passes to a field rule). */
#define FIRST_BYTE(T, field, out)                                                      \
    do {                                                                               \
        T t_;                                                                          \
        memset(&t_, 0, sizeof t_);                                                     \
        t_.field = ones;                                                               \
        const unsigned char *b_ = (const unsigned char *)&t_;                          \
        out = 0;                                                                       \
        while (out < sizeof t_ && !b_[out])                                            \
            out++;                                                                     \
    } while (0)

static void bitfields(void)
{
    SAME_BITS(struct flags, struct kt_new_flags, a);
    SAME_BITS(struct flags, struct kt_new_flags, b);
    SAME_BITS(struct flags, struct kt_new_flags, c);
    SAME_BITS(struct flags, struct kt_new_flags, d);
    SAME_BITS(struct flags, struct kt_new_flags, e);
    SAME_BITS(struct flags, struct kt_new_flags, f);
    SAME_BITS(struct flags, struct kt_new_flags, g);
    SAME_BITS(struct flags, struct kt_new_flags, h);
    SAME_BITS(struct flags, struct kt_new_flags, added);
    SAME_BITS(struct flags, struct kt_new_flags, neg);
    SAME_BITS(struct wire, struct kt_new_wire, x);
    SAME_BITS(struct wire, struct kt_new_wire, y);
    SAME_BITS(union tagged, union kt_new_tagged, bits);
    CHECK(sizeof(struct holder) == sizeof(struct kt_new_holder));
    CHECK(sizeof(struct nest) == sizeof(struct kt_new_nest));
    CHECK(sizeof(pair_t) == sizeof(kt_new_pair_t));
    CHECK(sizeof(pairs_t) == sizeof(kt_new_pairs_t));
    CHECK(offsetof(struct holder, wd) == offsetof(struct kt_new_holder, wd));
}

static void rules(void)
{
    /* rule 0: struct wire, by hand */
    struct wire w = {'t', 7, 80, 123456789ULL, 100, 200}, wo;
    memset(&wo, 0, sizeof wo);
    kitsune_xf_rules[0](&w, &wo, &w, &wo);
    CHECK(wo.x == 101 && wo.y == 200 && wo.len == 7 && wo.stamp == 123456789ULL);

    /* rule 1: struct nest */
    struct nest n, no;
    memset(&n, 0, sizeof n);
    n.kind = 21;
    n.lo = 5;
    n.after_z = 'z';
    kitsune_xf_rules[1](&n, &no, &n, &no);
    CHECK(no.kind == 42 && no.hi == 5 && no.after_z == 'z');

    /* rules 3 and 4: bitfields of struct flags (old layout: kt_old_flags) */
    struct kt_old_flags of;
    struct flags nf;
    memset(&of, 0, sizeof of);
    memset(&nf, 0, sizeof nf);
    of.a = 5;
    of.b = -3;
    nf.a = 6;
    nf.c = 12345;
    size_t ob, nb, na;
    FIRST_BYTE(struct kt_old_flags, b, ob);
    FIRST_BYTE(struct flags, b, nb);
    FIRST_BYTE(struct flags, added, na);
    kitsune_xf_rules[3]((char *)&of + ob, (char *)&nf + nb, &of, &nf);
    CHECK(nf.b == -4 && nf.a == 6 && nf.c == 12345);
    kitsune_xf_rules[4](NULL, (char *)&nf + na, &of, &nf);
    CHECK(nf.added == 5 && nf.b == -4 && nf.h == 0);

    /* rule 7: the variable pair */
    pair_t p = {3, 'x'}, po = {0, 0};
    kitsune_xf_rules[7](&p, &po, NULL, NULL);
    CHECK(po.a == 30 && po.b == 'x');
}

int main(void)
{
    bitfields();
    rules();
    if (fails)
        printf("%d check(s) failed\n", fails);
    else
        printf("layout and rules: all checks passed\n");
    return fails != 0;
}
