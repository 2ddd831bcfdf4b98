/*
 * ctypes.c — C definitions of summary types, laid out exactly as the summary says.
 *
 * Generated code sees the old and the new version's types side by side, so each is
 * renamed with a prefix: `struct conn` of the old version becomes `struct kt_old_conn`,
 * typedef `conn_t` becomes `kt_old_conn_t`, an enum becomes an integer typedef of the
 * enum's size (`kt_old_enum_color`), arrays and function types get typedefs
 * (`kt_old_array_12`, `kt_old_func_9`); base types keep their C spelling.
 *
 * Layout.  A struct is written with its members in offset order.  First the natural
 * layout is tried: members where the compiler's own rules (System V: each member at
 * its alignment, a bitfield in the next bits unless it would cross a unit of its
 * declared type) put them, with explicit `unsigned char kt_pad_N[k]` gaps and unnamed
 * `unsigned char : n` bitfields where the summary has holes.  When that cannot
 * reproduce the summary (a packed struct, say) the struct is written packed with the
 * same explicit gaps and given back its alignment with `aligned(A)`; when even that
 * fails, the type becomes an array of bytes of the right size.  Every struct is
 * followed by _Static_asserts on its size and on the offset of each member that is not
 * a bitfield, so any mismatch stops the build of the generated file.
 *
 * Pointers are spelled as pointers to the renamed pointee; every type reachable from a
 * wanted type is emitted, so `$in->next->x` works for any depth.
 */
#include <stdlib.h>
#include <string.h>

#include "xfgen.h"

#define CT_WANT 0x01
#define CT_DECLARED 0x02
#define CT_DECLARING 0x04
#define CT_DEFINED 0x08
#define CT_DEFINING 0x10

#define PTR_SIZE 8

/* ---- small helpers --------------------------------------------------------------- */

static const struct ktt_type *ty(const struct ctypes *ct, int t)
{
    return &ct->k->types[t];
}

static int is_record(const struct ktt_type *t)
{
    return t->kind == KTT_STRUCT || t->kind == KTT_UNION;
}

static int is_complete(const struct ktt_type *t)
{
    return !(is_record(t) && t->size == 0 && t->nfields == 0);
}

static size_t roundup(size_t v, size_t a)
{
    return a ? (v + a - 1) / a * a : v;
}

static int resolve(const struct ktt *k, int t)
{
    return ktt_resolve(k, t);
}

/* ---- names ----------------------------------------------------------------------- */

static char *make_name(const char *prefix, const char *mid, const char *name, int idx)
{
    struct pstr b = {0};
    if (name)
        pstr_printf(&b, "%s%s%s", prefix, mid, name);
    else
        pstr_printf(&b, "%s%s%d", prefix, mid, idx);
    return b.s;
}

struct named {
    const char *name;
    int idx;
    int tag; /* 1: struct/union tag namespace; 0: ordinary identifiers */
    int plain; /* complete or sole definition: keeps the plain name */
};

static int cmp_named(const void *a, const void *b)
{
    const struct named *x = a, *y = b;
    if (x->tag != y->tag)
        return x->tag - y->tag;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->idx - y->idx;
}

/* Two different types with the same name get distinct C names: the first complete
 * one keeps the name, later complete ones get `_<index>`.  Incomplete struct entries
 * share the name, so pointers to them reach the complete definition. */
static void dedupe_names(struct ctypes *ct)
{
    int n = ct->k->ntypes, m = 0;
    struct named *v = xcalloc((size_t)n + 1, sizeof *v);
    for (int i = 0; i < n; i++)
        if (ct->name[i])
            v[m++] = (struct named){ct->name[i], i, is_record(ty(ct, i)), 0};
    qsort(v, (size_t)m, sizeof *v, cmp_named);
    for (int i = 0; i < m;) {
        int j = i;
        while (j < m && v[j].tag == v[i].tag && strcmp(v[j].name, v[i].name) == 0)
            j++;
        int kept = 0;
        for (int x = i; x < j; x++) {
            const struct ktt_type *t = ty(ct, v[x].idx);
            if (!is_complete(t))
                continue;
            if (!kept) {
                kept = 1;
                continue;
            }
            char *nn = make_name(ct->name[v[x].idx], "_", NULL, v[x].idx);
            free(ct->name[v[x].idx]);
            ct->name[v[x].idx] = nn;
        }
        i = j;
    }
    free(v);
}

void ct_init(struct ctypes *ct, const struct ktt *k, const char *prefix, const char *version)
{
    memset(ct, 0, sizeof *ct);
    ct->k = k;
    ct->prefix = prefix;
    ct->version = version;
    int n = k->ntypes;
    ct->name = xcalloc((size_t)n + 1, sizeof *ct->name);
    ct->state = xcalloc((size_t)n + 1, 1);
    ct->align = xcalloc((size_t)n + 1, sizeof *ct->align);
    for (int i = 0; i < n; i++) {
        const struct ktt_type *t = &k->types[i];
        switch (t->kind) {
        case KTT_STRUCT:
        case KTT_UNION:
            ct->name[i] = make_name(prefix, t->name ? "" : "anon_", t->name, i);
            break;
        case KTT_ENUM:
            ct->name[i] = make_name(prefix, "enum_", t->name, i);
            break;
        case KTT_TYPEDEF:
            ct->name[i] = make_name(prefix, "", t->name, i);
            break;
        case KTT_ARRAY:
            ct->name[i] = make_name(prefix, "array_", NULL, i);
            break;
        case KTT_FUNC:
            ct->name[i] = make_name(prefix, "func_", NULL, i);
            break;
        default:
            break;
        }
    }
    dedupe_names(ct);
}

void ct_free(struct ctypes *ct)
{
    for (int i = 0; ct->name && i < ct->k->ntypes; i++)
        free(ct->name[i]);
    free(ct->name);
    free(ct->state);
    free(ct->align);
    pstr_free(&ct->out);
    memset(ct, 0, sizeof *ct);
}

int ct_find(const struct ktt *k, const char *name)
{
    static const struct {
        const char *kw;
        enum ktt_kind kind;
    } kws[] = {{"struct ", KTT_STRUCT}, {"union ", KTT_UNION}, {"enum ", KTT_ENUM}};
    enum ktt_kind kind = KTT_TYPEDEF;
    name = strip_typedef_kw(name);
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
        if (strncmp(name, kws[i].kw, strlen(kws[i].kw)) == 0) {
            kind = kws[i].kind;
            name += strlen(kws[i].kw);
        }
    int found = -1;
    for (int i = 0; i < k->ntypes; i++) {
        const struct ktt_type *t = &k->types[i];
        if (t->kind != kind || !t->name || strcmp(t->name, name) != 0)
            continue;
        if (is_complete(t))
            return i;
        if (found < 0)
            found = i;
    }
    return found;
}

/* ---- base types ------------------------------------------------------------------ */

/* The C spelling of a base type, from kitc's name (spaces written as '_'). */
static const char *base_spelling(const struct ktt_type *t)
{
    static const struct {
        const char *ktt, *c;
    } names[] = {
        {"char", "char"},
        {"signed_char", "signed char"},
        {"unsigned_char", "unsigned char"},
        {"short", "short"},
        {"unsigned_short", "unsigned short"},
        {"int", "int"},
        {"unsigned_int", "unsigned int"},
        {"long", "long"},
        {"unsigned_long", "unsigned long"},
        {"long_long", "long long"},
        {"unsigned_long_long", "unsigned long long"},
        {"__int128", "__int128"},
        {"unsigned___int128", "unsigned __int128"},
        {"float", "float"},
        {"double", "double"},
        {"long_double", "long double"},
        {"complex_float", "_Complex float"},
        {"complex_double", "_Complex double"},
        {"complex_long_double", "_Complex long double"},
        {"_Bool", "_Bool"},
    };
    for (size_t i = 0; t->name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(t->name, names[i].ktt) == 0)
            return names[i].c;
    /* Anything else (_Float128, __bf16, ...): a type of the same size and kind. */
    switch (t->enc) {
    case KTT_BOOL:
        return t->size == 1 ? "_Bool" : NULL;
    case KTT_FLOAT:
        return t->size == 4 ? "float" : t->size == 8 ? "double" : t->size == 16 ? "long double"
                                                                                : NULL;
    case KTT_SIGNED:
        return t->size == 1 ? "signed char" : t->size == 2 ? "short" : t->size == 4 ? "int"
               : t->size == 8 ? "long" : t->size == 16 ? "__int128" : NULL;
    case KTT_UNSIGNED:
        return t->size == 1 ? "unsigned char" : t->size == 2 ? "unsigned short"
               : t->size == 4 ? "unsigned int" : t->size == 8 ? "unsigned long"
               : t->size == 16 ? "unsigned __int128" : NULL;
    }
    return NULL;
}

static int is_integral(const struct ktt_type *t)
{
    return (t->kind == KTT_BASE && t->enc != KTT_FLOAT) || t->kind == KTT_ENUM;
}

/* ---- sizes and alignments (as emitted) -------------------------------------------- */

static size_t ct_size(struct ctypes *ct, int t, int depth)
{
    const struct ktt_type *x = ty(ct, t);
    if (depth > 64)
        return 0;
    switch (x->kind) {
    case KTT_PTR:
        return PTR_SIZE;
    case KTT_ARRAY:
        return x->count < 0 ? 0 : (size_t)x->count * ct_size(ct, x->target, depth + 1);
    case KTT_TYPEDEF:
        return ct_size(ct, x->target, depth + 1);
    case KTT_VOID:
        return x->tparam ? PTR_SIZE : 0; /* void * E_T(@k) key: a pointer-wide slot */
    case KTT_FUNC:
        return 0;
    default:
        return x->size;
    }
}

static void complete(struct ctypes *ct, int t, int depth);

static int ct_alignof(struct ctypes *ct, int t, int depth)
{
    const struct ktt_type *x = ty(ct, t);
    if (depth > 64)
        return 1;
    switch (x->kind) {
    case KTT_PTR:
        return PTR_SIZE;
    case KTT_VOID:
        return x->tparam ? PTR_SIZE : 1;
    case KTT_ARRAY:
    case KTT_TYPEDEF:
        return ct_alignof(ct, x->target, depth + 1);
    case KTT_ENUM:
        return x->size ? (int)x->size : 4;
    case KTT_BASE: {
        const char *c = base_spelling(x);
        size_t a = c && strncmp(c, "_Complex", 8) == 0 ? x->size / 2 : x->size;
        return c && a && a <= 16 && (a & (a - 1)) == 0 ? (int)a : 1;
    }
    case KTT_STRUCT:
    case KTT_UNION:
        if (!ct->align[t])
            complete(ct, t, depth + 1);
        return ct->align[t] ? ct->align[t] : 1;
    default:
        return 1;
    }
}

/* ---- spelling -------------------------------------------------------------------- */

static void spell(struct ctypes *ct, int t, struct pstr *out, int depth)
{
    const struct ktt_type *x = ty(ct, t);
    if (depth > 64) {
        pstr_puts(out, "void");
        return;
    }
    switch (x->kind) {
    case KTT_VOID:
        /* A generic slot (void * E_T(@k) key) is summarised as the void it points to,
         * with the pointer folded in: as wide as a pointer. */
        pstr_puts(out, x->tparam ? "void *" : "void");
        break;
    case KTT_BASE: {
        const char *c = base_spelling(x);
        if (c)
            pstr_puts(out, c);
        else
            pstr_printf(out, "%sbase_%d", ct->prefix, t);
        break;
    }
    case KTT_PTR:
        spell(ct, x->target, out, depth + 1);
        pstr_puts(out, out->len && out->s[out->len - 1] == '*' ? "*" : " *");
        break;
    case KTT_STRUCT:
        pstr_printf(out, "struct %s", ct->name[t]);
        break;
    case KTT_UNION:
        pstr_printf(out, "union %s", ct->name[t]);
        break;
    default:
        pstr_puts(out, ct->name[t]);
        break;
    }
}

void ct_spell(struct ctypes *ct, int t, struct pstr *out)
{
    spell(ct, t, out, 0);
}

/* `TYPE name` for a member or typedef; arrays keep their bounds on the name. */
static void declarator(struct ctypes *ct, int t, const char *name, int last, struct pstr *out)
{
    const struct ktt_type *x = ty(ct, t);
    if (x->kind == KTT_ARRAY) {
        spell(ct, x->target, out, 0);
        if (x->count >= 0)
            pstr_printf(out, " %s[%ld]", name, x->count);
        else
            pstr_printf(out, " %s[%s]", name, last ? "" : "0");
        return;
    }
    spell(ct, t, out, 0);
    pstr_printf(out, "%s%s", out->len && out->s[out->len - 1] == '*' ? "" : " ", name);
}

/* ---- wanted types ---------------------------------------------------------------- */

static void push(int **stack, int *n, int *cap, int v)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        int *s = realloc(*stack, (size_t)*cap * sizeof *s);
        if (!s)
            plan_out_of_memory();
        *stack = s;
    }
    (*stack)[(*n)++] = v;
}

void ct_want(struct ctypes *ct, int t)
{
    int *stack = NULL, n = 0, cap = 0;
    push(&stack, &n, &cap, t);
    while (n > 0) {
        int i = stack[--n];
        if (i < 0 || i >= ct->k->ntypes || (ct->state[i] & CT_WANT))
            continue;
        ct->state[i] |= CT_WANT;
        const struct ktt_type *x = ty(ct, i);
        if (x->kind == KTT_PTR || x->kind == KTT_ARRAY || x->kind == KTT_TYPEDEF ||
            x->kind == KTT_FUNC)
            push(&stack, &n, &cap, x->target);
        for (int j = 0; j < x->nfields; j++)
            push(&stack, &n, &cap, x->fields[j].type);
        for (int j = 0; j < x->nparams; j++)
            push(&stack, &n, &cap, x->params[j]);
        if (is_record(x) && x->name && !is_complete(x)) {
            /* an incomplete entry: its complete twin carries the definition */
            char buf[300];
            snprintf(buf, sizeof buf, "%s %s", x->kind == KTT_STRUCT ? "struct" : "union",
                     x->name);
            int full = ct_find(ct->k, buf);
            if (full >= 0 && full != i)
                push(&stack, &n, &cap, full);
        }
    }
    free(stack);
}

/* ---- declarations ---------------------------------------------------------------- */

static void enum_int(const struct ktt_type *x, struct pstr *out)
{
    int neg = 0;
    for (int i = 0; i < x->nenums; i++)
        neg |= x->enums[i].value < 0;
    const char *s = x->size == 1 ? "char" : x->size == 2 ? "short" : x->size == 8 ? "long"
                                                                                   : "int";
    pstr_printf(out, "%s %s", neg ? "signed" : "unsigned", s);
}

static void declare(struct ctypes *ct, int t, int depth)
{
    if (depth > 64 || (ct->state[t] & (CT_DECLARED | CT_DECLARING)))
        return;
    ct->state[t] |= CT_DECLARING;
    const struct ktt_type *x = ty(ct, t);
    struct pstr *o = &ct->out;
    switch (x->kind) {
    case KTT_PTR:
        declare(ct, x->target, depth + 1);
        break;
    case KTT_ARRAY:
        complete(ct, x->target, depth + 1);
        pstr_puts(o, "typedef ");
        spell(ct, x->target, o, 0);
        if (x->count >= 0)
            pstr_printf(o, " %s[%ld];\n", ct->name[t], x->count);
        else
            pstr_printf(o, " %s[];\n", ct->name[t]);
        break;
    case KTT_FUNC:
        declare(ct, x->target, depth + 1);
        for (int i = 0; i < x->nparams; i++)
            declare(ct, x->params[i], depth + 1);
        pstr_puts(o, "typedef ");
        spell(ct, x->target, o, 0);
        pstr_printf(o, " %s(", ct->name[t]);
        for (int i = 0; i < x->nparams; i++) {
            if (i)
                pstr_puts(o, ", ");
            spell(ct, x->params[i], o, 0);
        }
        if (x->varargs && x->nparams)
            pstr_puts(o, ", ...");
        else if (!x->varargs && !x->nparams)
            pstr_puts(o, "void");
        pstr_puts(o, ");\n");
        break;
    case KTT_TYPEDEF:
        declare(ct, x->target, depth + 1);
        pstr_puts(o, "typedef ");
        spell(ct, x->target, o, 0);
        pstr_printf(o, " %s;\n", ct->name[t]);
        break;
    case KTT_ENUM:
        pstr_puts(o, "typedef ");
        enum_int(x, o);
        pstr_printf(o, " %s; /* %s enum %s */\n", ct->name[t], ct->version,
                  x->name ? x->name : "(anonymous)");
        break;
    case KTT_BASE:
        if (!base_spelling(x))
            pstr_printf(o, "typedef unsigned char %sbase_%d[%zu]; /* %s base type %s */\n",
                      ct->prefix, t, x->size, ct->version, x->name ? x->name : "?");
        break;
    default:
        break;
    }
    ct->state[t] = (unsigned char)((ct->state[t] & ~CT_DECLARING) | CT_DECLARED);
}

/* ---- layout ---------------------------------------------------------------------- */

struct layout {
    struct ctypes *ct;
    struct pstr body;  /* member declarations */
    size_t cur;        /* bits used so far */
    int align;         /* alignment of the emitted members */
    int nat_align;     /* alignment the members would naturally have */
    int packed;
    int indent;
};

static void indent(struct layout *l)
{
    for (int i = 0; i < l->indent; i++)
        pstr_puts(&l->body, "    ");
}

static void pad_bytes(struct layout *l, size_t n)
{
    if (n == 0)
        return;
    indent(l);
    pstr_printf(&l->body, "unsigned char kt_pad_%d[%zu];\n", l->ct->npad++, n);
    l->cur = roundup(l->cur, 8) + n * 8;
}

static void pad_bits(struct layout *l, size_t n)
{
    while (n > 0) {
        size_t k = n > 8 ? 8 : n;
        indent(l);
        pstr_printf(&l->body, "unsigned char : %zu;\n", k);
        l->cur += k;
        n -= k;
    }
}

/* Moves to bit position `to` (> cur) with explicit padding. */
static void pad_to_bit(struct layout *l, size_t to)
{
    if (l->cur % 8) {
        size_t edge = roundup(l->cur, 8);
        pad_bits(l, (to < edge ? to : edge) - l->cur);
    }
    if (to - l->cur >= 8)
        pad_bytes(l, (to - l->cur) / 8);
    if (to > l->cur)
        pad_bits(l, to - l->cur);
}

static int emit_body(struct ctypes *ct, int t, int ind, struct pstr *out, int *align);

/* Position of a member in bits, for sorting. */
static size_t member_bit(const struct ktt_field *f)
{
    return f->bit_size ? (size_t)f->bit_offset : f->offset * 8;
}

static int cmp_members(const void *a, const void *b)
{
    const struct ktt_field *x = *(const struct ktt_field *const *)a;
    const struct ktt_field *y = *(const struct ktt_field *const *)b;
    size_t bx = member_bit(x), by = member_bit(y);
    if (bx != by)
        return bx < by ? -1 : 1;
    return x < y ? -1 : x > y;
}

static int lay_bitfield(struct layout *l, const struct ktt_field *f)
{
    int ft = resolve(l->ct->k, f->type);
    if (!is_integral(ty(l->ct, ft)))
        return -1;
    size_t b = (size_t)f->bit_offset, w = (size_t)f->bit_size;
    if (b < l->cur)
        return -1;
    int a = ct_alignof(l->ct, f->type, 0);
    if (b > l->cur)
        pad_to_bit(l, b);
    if (!l->packed && b / ((size_t)a * 8) != (b + w - 1) / ((size_t)a * 8))
        return -1; /* the compiler would not put it there */
    indent(l);
    spell(l->ct, f->type, &l->body, 0);
    pstr_printf(&l->body, " %s : %zu;\n", f->name ? f->name : "", w);
    l->cur = b + w;
    if (f->name) {
        l->align = l->packed ? l->align : (a > l->align ? a : l->align);
        l->nat_align = a > l->nat_align ? a : l->nat_align;
    }
    return 0;
}

static int lay_member(struct layout *l, const struct ktt_field *f, int last)
{
    struct ctypes *ct = l->ct;
    size_t o = f->offset * 8;
    int ft = resolve(ct->k, f->type);
    const struct ktt_type *x = ty(ct, ft);
    int anon = !f->name && is_record(x);
    struct pstr anon_body = {0};
    int a = 1;
    if (anon) {
        if (emit_body(ct, ft, l->indent, &anon_body, &a)) {
            pstr_free(&anon_body);
            return -1;
        }
    } else {
        a = ct_alignof(ct, f->type, 0);
    }
    int ea = l->packed ? 1 : a;
    if (roundup(l->cur, (size_t)ea * 8) != o) {
        size_t cb = roundup(l->cur, 8);
        if (o < cb) {
            pstr_free(&anon_body);
            return -1;
        }
        pad_to_bit(l, o);
        if (roundup(l->cur, (size_t)ea * 8) != o) {
            pstr_free(&anon_body);
            return -1;
        }
    }
    indent(l);
    if (anon) {
        pstr_printf(&l->body, "%s ", x->kind == KTT_STRUCT ? "struct" : "union");
        pstr_puts(&l->body, pstr_str(&anon_body));
        pstr_puts(&l->body, ";\n");
        pstr_free(&anon_body);
    } else {
        char name[64];
        if (!f->name)
            snprintf(name, sizeof name, "kt_unnamed_%d", ct->npad++);
        declarator(ct, f->type, f->name ? f->name : name, last, &l->body);
        pstr_puts(&l->body, ";\n");
    }
    l->cur = o + (anon ? x->size : ct_size(ct, f->type, 0)) * 8;
    if (ea > l->align)
        l->align = ea;
    if (a > l->nat_align)
        l->nat_align = a;
    return 0;
}

/* Lays out the members of struct or union t; -1 when this mode cannot reproduce it. */
static int lay_record(struct layout *l, int t)
{
    const struct ktt_type *x = ty(l->ct, t);
    int n = x->nfields;
    const struct ktt_field **m = xcalloc((size_t)n + 1, sizeof *m);
    for (int i = 0; i < n; i++)
        m[i] = &x->fields[i];
    qsort(m, (size_t)n, sizeof *m, cmp_members);
    int rc = 0;
    size_t end = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        if (x->kind == KTT_UNION) {
            if (member_bit(m[i]) != 0) {
                rc = -1;
                break;
            }
            l->cur = 0;
        }
        rc = m[i]->bit_size ? lay_bitfield(l, m[i])
                            : lay_member(l, m[i], x->kind == KTT_STRUCT && i == n - 1);
        if (l->cur > end)
            end = l->cur;
    }
    free(m);
    if (rc)
        return -1;
    size_t bytes = roundup(end, 8) / 8;
    if (bytes > x->size)
        return -1;
    l->cur = end;
    if (roundup(bytes, (size_t)l->align) != x->size) {
        if (x->kind == KTT_UNION) {
            indent(l);
            pstr_printf(&l->body, "unsigned char kt_pad_%d[%zu];\n", l->ct->npad++, x->size);
        } else {
            pad_bytes(l, x->size - bytes);
        }
        if (roundup(x->size, (size_t)l->align) != x->size)
            return -1;
    }
    return 0;
}

/* Writes "{ members }" plus attributes for struct/union t; *align gets the emitted
 * alignment.  Returns -1 only for an impossible record (never with the byte fallback). */
static int emit_body(struct ctypes *ct, int t, int ind, struct pstr *out, int *align)
{
    const struct ktt_type *x = ty(ct, t);
    for (int packed = 0; packed <= 1; packed++) {
        struct layout l = {ct, {0}, 0, 1, 1, packed, ind + 1};
        int npad = ct->npad;
        if (lay_record(&l, t) == 0) {
            pstr_puts(out, "{\n");
            pstr_puts(out, pstr_str(&l.body));
            for (int i = 0; i < ind; i++)
                pstr_puts(out, "    ");
            pstr_puts(out, "}");
            int a = l.align;
            if (packed) {
                a = x->size % (size_t)l.nat_align == 0 ? l.nat_align : 1;
                if (a > 1)
                    pstr_printf(out, " __attribute__((packed, aligned(%d)))", a);
                else
                    pstr_puts(out, " __attribute__((packed))");
            }
            *align = a;
            pstr_free(&l.body);
            return 0;
        }
        ct->npad = npad;
        pstr_free(&l.body);
    }
    /* Not expressible member by member: the right number of bytes. */
    pstr_printf(out, "{\n");
    for (int i = 0; i <= ind; i++)
        pstr_puts(out, "    ");
    pstr_printf(out, "unsigned char kt_bytes[%zu]; /* layout not expressible in C */\n",
              x->size);
    for (int i = 0; i < ind; i++)
        pstr_puts(out, "    ");
    pstr_puts(out, "}");
    *align = 1;
    return 0;
}

/* ---- definitions ----------------------------------------------------------------- */

static void asserts_for(struct ctypes *ct, int t, const char *cname, const char *label,
                        size_t base, int depth, struct pstr *o)
{
    const struct ktt_type *x = ty(ct, t);
    for (int i = 0; i < x->nfields && depth < 16; i++) {
        const struct ktt_field *f = &x->fields[i];
        if (f->bit_size)
            continue;
        int ft = resolve(ct->k, f->type);
        if (!f->name) {
            if (is_record(ty(ct, ft)))
                asserts_for(ct, ft, cname, label, base + f->offset, depth + 1, o);
            continue;
        }
        pstr_printf(o, "_Static_assert(offsetof(%s, %s) == %zu, \"%s %s.%s: offset\");\n", cname,
                  f->name, base + f->offset, ct->version, label, f->name);
    }
}

static int has_bytes_fallback(const char *body)
{
    return strstr(body, "kt_bytes[") != NULL;
}

static void define(struct ctypes *ct, int t, int depth)
{
    const struct ktt_type *x = ty(ct, t);
    ct->state[t] |= CT_DEFINING;
    for (int i = 0; i < x->nfields; i++)
        complete(ct, x->fields[i].type, depth + 1);
    struct pstr body = {0}, cname = {0}, label = {0};
    int align = 1;
    emit_body(ct, t, 0, &body, &align);
    ct->align[t] = align;
    spell(ct, t, &cname, 0);
    if (x->name)
        pstr_printf(&label, "%s %s", x->kind == KTT_STRUCT ? "struct" : "union", x->name);
    else
        pstr_printf(&label, "%s", pstr_str(&cname));
    struct pstr *o = &ct->out;
    pstr_printf(o, "\n/* %s %s", ct->version, pstr_str(&label));
    if (x->decl)
        pstr_printf(o, " (%s)", x->decl);
    pstr_printf(o, " */\n%s %s;\n", pstr_str(&cname), pstr_str(&body));
    pstr_printf(o, "_Static_assert(sizeof(%s) == %zu, \"%s %s: size\");\n", pstr_str(&cname),
              x->size, ct->version, pstr_str(&label));
    if (!has_bytes_fallback(pstr_str(&body)))
        asserts_for(ct, t, pstr_str(&cname), pstr_str(&label), 0, 0, o);
    pstr_free(&body);
    pstr_free(&cname);
    pstr_free(&label);
    ct->state[t] = (unsigned char)((ct->state[t] & ~CT_DEFINING) | CT_DEFINED);
}

static void complete(struct ctypes *ct, int t, int depth)
{
    if (depth > 64)
        return;
    declare(ct, t, depth);
    const struct ktt_type *x = ty(ct, t);
    if (is_record(x)) {
        if (!(ct->state[t] & (CT_DEFINED | CT_DEFINING)) && is_complete(x))
            define(ct, t, depth);
    } else if (x->kind == KTT_TYPEDEF) {
        complete(ct, x->target, depth + 1);
    }
}

void ct_emit(struct ctypes *ct)
{
    int n = ct->k->ntypes;
    for (int i = 0; i < n; i++) {
        const struct ktt_type *x = ty(ct, i);
        if ((ct->state[i] & CT_WANT) && is_record(x))
            pstr_printf(&ct->out, "%s %s;\n", x->kind == KTT_STRUCT ? "struct" : "union",
                      ct->name[i]);
    }
    for (int i = 0; i < n; i++)
        if (ct->state[i] & CT_WANT)
            complete(ct, i, 0);
}

/* ---- field paths ----------------------------------------------------------------- */

static const struct ktt_field *find_member(const struct ktt *k, int t, const char *name,
                                           size_t n, size_t *off, int depth)
{
    const struct ktt_type *x = &k->types[resolve(k, t)];
    if (depth > 16 || !(x->kind == KTT_STRUCT || x->kind == KTT_UNION))
        return NULL;
    for (int i = 0; i < x->nfields; i++) {
        const struct ktt_field *f = &x->fields[i];
        if (f->name ? strlen(f->name) == n && strncmp(f->name, name, n) == 0
                    : plan_anon_named(k, f, name, n)) {
            *off += f->offset;
            return f;
        }
    }
    for (int i = 0; i < x->nfields; i++) {
        const struct ktt_field *f = &x->fields[i];
        size_t sub = 0;
        const struct ktt_field *g = NULL;
        if (!f->name)
            g = find_member(k, f->type, name, n, &sub, depth + 1);
        if (g) {
            *off += f->offset + sub;
            return g;
        }
    }
    return NULL;
}

const struct ktt_field *ct_field_path(const struct ktt *k, int t, const char *path, size_t *off)
{
    const struct ktt_field *f = NULL;
    while (path && *path) {
        size_t n = plan_path_seg(path); /* `<union at f.c:3>` is one segment */
        f = find_member(k, f ? f->type : t, path, n, off, 0);
        if (!f)
            return NULL;
        path = path[n] == '.' ? path + n + 1 : NULL;
    }
    return f;
}
