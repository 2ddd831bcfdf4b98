/*
 * gen.c — writes the C file xfgen generates (docs/xf-language.md, "Generated code").
 *
 * Layout of the file:
 *   1. includes: kitsune_xf.h and the C headers whose names the generated code and
 *      the rules' code may use (assert.h, stdbool.h, stddef.h, stdint.h, stdlib.h,
 *      string.h);
 *   2. the old and new types the rules' code touches, renamed kt_old_* / kt_new_*,
 *      with _Static_asserts on sizes and offsets (ctypes.c);
 *   3. the preamble, verbatim apart from escapes, under #line directives;
 *   4. one `static void kt_rule_<i>(const void *kt_in, void *kt_out,
 *      const void *kt_old_base, void *kt_new_base)` per rule with code;
 *   5. `kitsune_rule_fn const kitsune_xf_rules[]`, indexed like the rule table;
 *   6. the rule table text in section .kitsune_xf (format: runtime/rules.c).
 * With --self (the rules for updating a version from itself) the table is
 * kitsune_xf_rules_self and the section .kitsune_xf_self, so both sets link into one
 * version.
 * The runtime calls rule i of the table with the addresses of the old and new value
 * (runtime/translate.c, kt_translate_rule); which types those are is decided here from the
 * planner's plans, so generated code and runtime agree on every byte.
 */
#include <stdlib.h>
#include <string.h>

#include "plan_dispatch.h"
#include "xfgen.h"

/* ---- what each rule's escapes refer to ------------------------------------------- */

/* A bitfield side of a field rule: the runtime passes the address of the byte that
 * holds the field's first bit. */
struct bits {
    int on;
    unsigned bit, width;
    int is_signed;
};

struct rule_types {
    int in, out, base;       /* type indices (old, new, old); -1 when absent */
    struct bits in_bits, out_bits;
};

struct gen {
    const struct gen_input *in;
    struct ctypes old, nv;
    struct rule_types *rt;
    struct pstr *out;
    struct msgs *m;
    int need_bits;           /* the bitfield helpers are used */
};

static struct bits bits_of(const struct ktt *k, const struct ktt_field *f)
{
    struct bits b = {0, 0, 0, 0};
    if (!f || !f->bit_size)
        return b;
    const struct ktt_type *t = &k->types[ktt_resolve(k, f->type)];
    b.on = 1;
    b.bit = (unsigned)(f->bit_offset % 8);
    b.width = (unsigned)f->bit_size;
    b.is_signed = t->kind == KTT_BASE && t->enc == KTT_SIGNED;
    return b;
}

static const struct plan *plan_with_rule(const struct plan_ctx *pc, int rule, int type_rule)
{
    for (const struct plan *p = pc->plans; p; p = p->next) {
        if (type_rule && p->type_rule == rule)
            return p;
        for (int i = 0; !type_rule && i < p->nops; i++)
            if (p->ops[i].kind == OP_RULE && p->ops[i].rule == rule)
                return p;
    }
    return NULL;
}

static int field_types(struct gen *g, int i, struct rule_types *rt)
{
    const struct plan_rule *r = &g->in->rs->v[i];
    const struct plan *p = plan_with_rule(g->in->plan, i, 0);
    if (!p)
        return -1;
    rt->base = p->old_type;
    size_t off = 0;
    const struct ktt_field *nf = ct_field_path(g->in->nv, p->new_type, r->to_field, &off);
    if (!nf)
        return -1;
    rt->out = nf->type;
    rt->out_bits = bits_of(g->in->nv, nf);
    if (r->kind == RULE_FIELD) {
        off = 0;
        const struct ktt_field *of = ct_field_path(g->in->old, p->old_type, r->from_field, &off);
        if (!of)
            return -1;
        rt->in = of->type;
        rt->in_bits = bits_of(g->in->old, of);
    }
    return 0;
}

static int var_types(struct gen *g, int i, struct rule_types *rt)
{
    const struct plan_ctx *pc = g->in->plan;
    for (int v = 0; v < pc->nvars; v++) {
        const struct plan_var *pv = &pc->vars[v];
        if (pv->rule != i)
            continue;
        rt->out = g->in->nv->vars[pv->new_var].type;
        if (pv->old_var >= 0 && g->in->rs->v[i].kind == RULE_VAR)
            rt->in = g->in->old->vars[pv->old_var].type;
        return 0;
    }
    return -1;
}

static int type_types(struct gen *g, int i, struct rule_types *rt)
{
    const struct plan_rule *r = &g->in->rs->v[i];
    rt->in = ct_find(g->in->old, r->from);
    rt->out = ct_find(g->in->nv, r->to);
    if (rt->in >= 0 && rt->out >= 0)
        return 0;
    const struct plan *p = plan_with_rule(g->in->plan, i, 1);
    if (!p)
        return -1;
    rt->in = p->old_type;
    rt->out = p->new_type;
    return 0;
}

static int resolve_rule_types(struct gen *g)
{
    const struct ruleset *rs = g->in->rs;
    int rc = 0;
    g->rt = xcalloc((size_t)rs->n + 1, sizeof *g->rt);
    for (int i = 0; i < rs->n; i++) {
        struct rule_types *rt = &g->rt[i];
        rt->in = rt->out = rt->base = -1;
        if (!rs->v[i].has_code || rs->v[i].kind == RULE_XFORM)
            continue;
        int r = -1;
        switch (rs->v[i].kind) {
        case RULE_VAR:
        case RULE_INIT_VAR:
            r = var_types(g, i, rt);
            break;
        case RULE_TYPE:
            r = type_types(g, i, rt);
            break;
        case RULE_FIELD:
        case RULE_INIT_FIELD:
            r = field_types(g, i, rt);
            break;
        default:
            break;
        }
        if (r) {
            const struct rule_origin *o = &rs->origin[i];
            msg(g->m, "%s:%d:%d: cannot find the types of this rule in the summaries: %s",
                g->in->rules_path, o->label->line, o->label->col, o->text);
            rc = -1;
            continue;
        }
        if (rt->in >= 0)
            ct_want(&g->old, rt->in);
        if (rt->base >= 0)
            ct_want(&g->old, rt->base);
        if (rt->out >= 0)
            ct_want(&g->nv, rt->out);
        g->need_bits |= rt->in_bits.on || rt->out_bits.on;
    }
    return rc;
}

/* Marks the types named by $oldtype/$newtype in a block. */
static void want_named(struct gen *g, const struct block *b)
{
    for (int i = 0; i < b->nescs; i++) {
        const struct esc *e = &b->escs[i];
        int is_old = !strcmp(e->name, "oldtype");
        if (!is_old && strcmp(e->name, "newtype") != 0)
            continue;
        char base[256];
        snprintf(base, sizeof base, "%s", e->args[0]);
        for (size_t n = strlen(base); n > 0 && (base[n - 1] == '*' || base[n - 1] == ' ');)
            base[--n] = '\0';
        if (is_primitive_spelling(base))
            continue;
        struct ctypes *ct = is_old ? &g->old : &g->nv;
        int t = ct_find(ct->k, base);
        if (t >= 0)
            ct_want(ct, t);
    }
}

/* ---- text helpers ---------------------------------------------------------------- */

static int out_line(const struct pstr *b)
{
    int n = 1;
    for (size_t i = 0; i < b->len; i++)
        n += b->s[i] == '\n';
    return n;
}

static void line_directive(struct pstr *o, int line, const char *file)
{
    pstr_printf(o, "#line %d \"", line);
    put_c_string(o, file);
    pstr_puts(o, "\"\n");
}

/* Back to the generated file's own line numbers. */
static void line_back(struct gen *g)
{
    if (g->out->len && g->out->s[g->out->len - 1] != '\n')
        pstr_puts(g->out, "\n");
    line_directive(g->out, out_line(g->out) + 1, g->in->out_path);
}

/* ---- escapes --------------------------------------------------------------------- */

static void type_arg(struct gen *g, struct ctypes *ct, const char *arg, struct pstr *o)
{
    char base[256];
    int stars = 0;
    snprintf(base, sizeof base, "%s", arg);
    for (size_t n = strlen(base); n > 0 && (base[n - 1] == '*' || base[n - 1] == ' ');) {
        stars += base[n - 1] == '*';
        base[--n] = '\0';
    }
    int t = is_primitive_spelling(base) ? -1 : ct_find(ct->k, base);
    if (t >= 0)
        ct_spell(ct, t, o);
    else
        pstr_puts(o, strip_typedef_kw(base));
    if (stars)
        pstr_puts(o, " ");
    for (int i = 0; i < stars; i++)
        pstr_puts(o, "*");
    (void)g;
}

static void expand(struct gen *g, const struct esc *e, const struct rule_types *rt,
                   struct pstr *o)
{
    const char *n = e->name;
    if (!strcmp(n, "in") && rt) {
        /* (for a bitfield, kt_in points to a temporary holding its value) */
        pstr_puts(o, "(*(");
        ct_spell(&g->old, rt->in, o);
        pstr_puts(o, " const *)kt_in)");
    } else if (!strcmp(n, "out") && rt) {
        pstr_puts(o, "(*(");
        ct_spell(&g->nv, rt->out, o);
        pstr_puts(o, " *)kt_out)");
    } else if (!strcmp(n, "base") && rt) {
        pstr_puts(o, "(*(");
        ct_spell(&g->old, rt->base, o);
        pstr_puts(o, " const *)kt_old_base)");
    } else if (!strcmp(n, "oldtype") || !strcmp(n, "newtype")) {
        type_arg(g, n[0] == 'o' ? &g->old : &g->nv, e->args[0], o);
    } else if (!strcmp(n, "gen")) {
        pstr_puts(o, "kitsune_xf_gen(\"");
        put_c_string(o, e->args[0][0] == '@' ? e->args[0] + 1 : e->args[0]);
        pstr_puts(o, "\")");
    } else if (!strcmp(n, "xform")) {
        /* With closures, the type is instantiated with the bindings they stand for
         * (rulemap.c); the closures' own code is not run. */
        pstr_puts(o, e->gen_args ? "kitsune_xf_type_args(\"" : "kitsune_xf_type(\"");
        put_c_string(o, strip_typedef_kw(e->args[0]));
        pstr_puts(o, "\", \"");
        put_c_string(o, strip_typedef_kw(e->args[1]));
        if (e->gen_args) {
            pstr_puts(o, "\", \"");
            put_c_string(o, e->gen_args);
        }
        pstr_puts(o, "\")");
    }
}

/* Writes a block's code with escapes replaced; lines are kept where they were so that
 * #line directives stay true. */
static void emit_code(struct gen *g, const struct block *b, const struct rule_types *rt)
{
    struct pstr *o = g->out;
    line_directive(o, b->line, g->in->rules_path);
    for (int i = 1; i < b->col; i++)
        pstr_puts(o, " ");
    size_t at = 0;
    for (int i = 0; i < b->nescs; i++) {
        const struct esc *e = &b->escs[i];
        pstr_put(o, b->code + at, e->start - at);
        expand(g, e, rt, o);
        for (size_t j = e->start; j < e->end; j++)
            if (b->code[j] == '\n')
                pstr_puts(o, "\n");
        at = e->end;
    }
    pstr_puts(o, b->code + at);
    line_back(g);
}

/* ---- pieces of the file ---------------------------------------------------------- */

static void emit_header(struct gen *g)
{
    struct pstr *o = g->out;
    const struct gen_input *in = g->in;
    pstr_printf(o, "/* Generated by xfgen from %s, %s", in->old_path, in->new_path);
    if (in->rules_path)
        pstr_printf(o, " and %s", in->rules_path);
    pstr_puts(o, ".  Do not edit: edit the rules and rebuild.\n"
               " * The state transformers of the update into this version (docs/xf-language.md). */\n"
               "#include <assert.h>\n#include <stdbool.h>\n#include <stddef.h>\n"
               "#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n\n"
               "#include \"kitsune_xf.h\"\n\n"
               "#if defined(__GNUC__) && !defined(__clang__)\n"
               "#pragma GCC diagnostic ignored \"-Wpacked-bitfield-compat\"\n"
               "#endif\n");
}

static void emit_types(struct gen *g)
{
    struct pstr *o = g->out;
    ct_emit(&g->old);
    ct_emit(&g->nv);
    if (g->old.out.len) {
        pstr_printf(o, "\n/* ---- types of the old version (%s) ---- */\n", g->in->old_path);
        pstr_puts(o, pstr_str(&g->old.out));
    }
    if (g->nv.out.len) {
        pstr_printf(o, "\n/* ---- types of the new version (%s) ---- */\n", g->in->new_path);
        pstr_puts(o, pstr_str(&g->nv.out));
    }
}

static void emit_bit_helpers(struct gen *g)
{
    if (!g->need_bits)
        return;
    pstr_puts(g->out,
            "\n/* Bitfields: the runtime passes the byte holding a field's first bit. */\n"
            "static unsigned long long kt_bits_get(const void *p, unsigned bit, unsigned width,\n"
            "                                      int is_signed)\n"
            "{\n"
            "    const unsigned char *b = p;\n"
            "    unsigned long long v = 0;\n"
            "    for (unsigned i = 0; i < width; i++)\n"
            "        v |= (unsigned long long)((b[(bit + i) / 8] >> ((bit + i) % 8)) & 1u) << i;\n"
            "    if (is_signed && width < 64 && ((v >> (width - 1)) & 1u))\n"
            "        v |= ~0ULL << width;\n"
            "    return v;\n"
            "}\n\n"
            "static void kt_bits_set(void *p, unsigned bit, unsigned width, unsigned long long v)\n"
            "{\n"
            "    unsigned char *b = p;\n"
            "    for (unsigned i = 0; i < width; i++) {\n"
            "        unsigned at = bit + i;\n"
            "        b[at / 8] = (unsigned char)((b[at / 8] & ~(1u << (at % 8))) |\n"
            "                                    (((v >> i) & 1u) << (at % 8)));\n"
            "    }\n"
            "}\n");
}

static void emit_preamble(struct gen *g)
{
    const struct block *b = &g->in->rs->preamble;
    if (!b->code)
        return;
    pstr_puts(g->out, "\n/* ---- preamble ---- */\n");
    /* --self keeps some of the rules: helpers that served the others go unused. */
    if (g->in->self)
        pstr_puts(g->out, "#pragma GCC diagnostic push\n"
                        "#pragma GCC diagnostic ignored \"-Wunused-function\"\n"
                        "#pragma GCC diagnostic ignored \"-Wunused-variable\"\n");
    emit_code(g, b, NULL);
    if (g->in->self)
        pstr_puts(g->out, "\n#pragma GCC diagnostic pop\n");
}

static const char *const sig =
    "(const void *kt_in, void *kt_out, const void *kt_old_base, void *kt_new_base)";

/* A rule on a bitfield: the user's code works on whole values in temporaries and a
 * wrapper moves the bits. */
static void emit_bits_wrapper(struct gen *g, int i, const struct rule_types *rt)
{
    struct pstr *o = g->out;
    pstr_printf(o, "\nstatic void kt_rule_%d%s\n{\n", i, sig);
    if (rt->in < 0)
        pstr_puts(o, "    (void)kt_in;\n");
    if (rt->in >= 0) {
        pstr_puts(o, "    ");
        ct_spell(&g->old, rt->in, o);
        pstr_puts(o, " kt_in_v;\n");
    }
    pstr_puts(o, "    ");
    ct_spell(&g->nv, rt->out, o);
    pstr_puts(o, " kt_out_v;\n");
    if (rt->in >= 0 && rt->in_bits.on)
        pstr_printf(o, "    kt_in_v = (__typeof__(kt_in_v))kt_bits_get(kt_in, %u, %u, %d);\n",
                  rt->in_bits.bit, rt->in_bits.width, rt->in_bits.is_signed);
    else if (rt->in >= 0)
        pstr_puts(o, "    memcpy(&kt_in_v, kt_in, sizeof kt_in_v);\n");
    if (rt->out_bits.on)
        pstr_printf(o, "    kt_out_v = (__typeof__(kt_out_v))kt_bits_get(kt_out, %u, %u, %d);\n",
                  rt->out_bits.bit, rt->out_bits.width, rt->out_bits.is_signed);
    else
        pstr_puts(o, "    memcpy(&kt_out_v, kt_out, sizeof kt_out_v);\n");
    pstr_printf(o, "    kt_rule_%d_body(%s, &kt_out_v, kt_old_base, kt_new_base);\n", i,
              rt->in >= 0 ? "&kt_in_v" : "NULL");
    if (rt->out_bits.on)
        pstr_printf(o, "    kt_bits_set(kt_out, %u, %u, (unsigned long long)kt_out_v);\n",
                  rt->out_bits.bit, rt->out_bits.width);
    else
        pstr_puts(o, "    memcpy(kt_out, &kt_out_v, sizeof kt_out_v);\n");
    pstr_puts(o, "}\n");
}

static void emit_rule(struct gen *g, int i)
{
    const struct ruleset *rs = g->in->rs;
    const struct rule_origin *org = &rs->origin[i];
    const struct rule_types *rt = &g->rt[i];
    int wrapped = rt->in_bits.on || rt->out_bits.on;
    struct pstr *o = g->out;
    pstr_printf(o, "\n/* rule %d: %s (%s:%d:%d) */\n", i, org->text, g->in->rules_path,
              org->label->line, org->label->col);
    pstr_printf(o, "static void kt_rule_%d%s%s\n{\n", i, wrapped ? "_body" : "", sig);
    pstr_puts(o, "    (void)kt_in;\n    (void)kt_out;\n    (void)kt_old_base;\n"
               "    (void)kt_new_base;\n    {\n");
    emit_code(g, org->block, rt);
    pstr_puts(o, "    }\n}\n");
    if (wrapped)
        emit_bits_wrapper(g, i, rt);
}

static void emit_rule_table(struct gen *g)
{
    const struct ruleset *rs = g->in->rs;
    struct pstr *o = g->out;
    const char *table = g->in->self ? "kitsune_xf_rules_self" : "kitsune_xf_rules";
    pstr_printf(o, "\n/* Rule i of the table below is called as %s[i]. */\n"
                 "kitsune_rule_fn const %s[] = {", table, table);
    for (int i = 0; i < rs->n; i++) {
        int code = rs->v[i].has_code && rs->v[i].kind != RULE_XFORM;
        if (code)
            pstr_printf(o, "\n    kt_rule_%d,", i);
        else
            pstr_puts(o, "\n    NULL,");
    }
    if (rs->n == 0)
        pstr_puts(o, "\n    NULL, /* no rules */");
    pstr_puts(o, "\n};\n");
}

static void table_name(struct pstr *o, const char *s)
{
    if (!s) {
        pstr_puts(o, "-");
        return;
    }
    for (; *s; s++) {
        char c = *s == ' ' ? ':' : *s;
        pstr_put(o, &c, 1);
    }
}

static void table_line(const struct plan_rule *r, struct pstr *o)
{
    static const char *const kinds[] = {"var", "init-var", "type", "field", "init-field",
                                        "xform", "gen", "drop", "tag"};
    pstr_printf(o, "R %s ", kinds[r->kind]);
    switch (r->kind) {
    case RULE_DROP:
        table_name(o, r->from);
        pstr_puts(o, r->from_field ? " " : " -");
        if (r->from_field) {
            table_name(o, r->from_field);
            pstr_puts(o, " - -");
        }
        break;
    case RULE_TAG:
        table_name(o, r->to);
        pstr_puts(o, " ");
        table_name(o, r->to_field);
        pstr_printf(o, " %s %s", r->tag, r->cases);
        break;
    case RULE_FIELD:
        table_name(o, r->from);
        pstr_puts(o, " ");
        table_name(o, r->from_field);
        pstr_puts(o, " ");
        /* fall through */
    case RULE_INIT_FIELD:
        if (r->kind == RULE_INIT_FIELD)
            pstr_puts(o, "- - ");
        table_name(o, r->to);
        pstr_puts(o, " ");
        table_name(o, r->to_field);
        break;
    default:
        table_name(o, r->from);
        pstr_puts(o, " ");
        table_name(o, r->to);
        if (r->gen_args)
            pstr_printf(o, " %s", r->gen_args);
        if (r->gen_args && r->in_rule >= 0)
            pstr_printf(o, " %d", r->in_rule);
        break;
    }
    pstr_puts(o, r->has_code && r->kind != RULE_XFORM ? " code\n" : " nocode\n");
}

static void emit_section(struct gen *g)
{
    const struct ruleset *rs = g->in->rs;
    struct pstr text = {0};
    const char *object = g->in->old->object;
    pstr_printf(&text, "kitsune-xf 1\nold %016llx%s%s\n",
              (unsigned long long)ktt_fingerprint(g->in->old_text, g->in->old_len),
              object && *object ? " " : "", object ? object : "");
    for (int i = 0; i < rs->n; i++)
        table_line(&rs->v[i], &text);
    for (int i = 0; i < rs->n; i++) { /* after every R line: they name rule indices */
        char d[4096];
        if (rs->v[i].dispatch && plan_dispatch_format(rs->v[i].dispatch, d, sizeof d) == 0)
            pstr_printf(&text, "D %d %s\n", i, d);
    }
    struct pstr *o = g->out;
    pstr_printf(o, "\n/* The rules, for the runtime's planner (format: runtime/rules.c). */\n"
                 "__attribute__((section(\"%s\"), used))\n"
                 "static const char kt_rule_table[] =",
              g->in->self ? ".kitsune_xf_self" : ".kitsune_xf");
    const char *s = pstr_str(&text);
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);
        char *line = strndup(s, n);
        pstr_puts(o, "\n    \"");
        put_c_string(o, line ? line : "");
        pstr_puts(o, "\"");
        free(line);
        s += n;
    }
    pstr_puts(o, ";\n");
    pstr_free(&text);
}

int gen_c(const struct gen_input *in, struct pstr *out, struct msgs *m)
{
    struct gen g;
    memset(&g, 0, sizeof g);
    g.in = in;
    g.out = out;
    g.m = m;
    ct_init(&g.old, in->old, "kt_old_", "old");
    ct_init(&g.nv, in->nv, "kt_new_", "new");
    int rc = resolve_rule_types(&g);
    want_named(&g, &in->rs->preamble);
    for (int i = 0; i < in->rs->nblocks; i++)
        want_named(&g, &in->rs->blocks[i]);
    if (rc == 0) {
        emit_header(&g);
        emit_types(&g);
        emit_bit_helpers(&g);
        emit_preamble(&g);
        for (int i = 0; i < in->rs->n; i++)
            if (in->rs->v[i].has_code && in->rs->v[i].kind != RULE_XFORM)
                emit_rule(&g, i);
        emit_rule_table(&g);
        emit_section(&g);
    }
    ct_free(&g.old);
    ct_free(&g.nv);
    free(g.rt);
    return rc;
}
