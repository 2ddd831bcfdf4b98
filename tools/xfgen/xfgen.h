/*
 * xfgen.h — internal interface of the xfgen generator (not installed).
 *
 * xfgen reads two type summaries (.ktt) and an optional .xf rules file, lets the
 * planner (runtime/plan*.c) decide every transformation, reports what it cannot decide,
 * and otherwise writes the C file that is compiled into the new version: the types
 * the rules' code touches, laid out exactly as the summaries say, one function per
 * rule with code, the table of those functions and the rule table text.
 *
 *   text.c     C string literals, copies, messages
 *   rulemap.c  .xf labels -> struct plan_rule; `$`-escapes found and checked
 *   dispatch.c field rules whose code only dispatches on a tag, described
 *   ctypes.c   C definitions of summary types with exact layouts
 *   gen.c      the generated C file
 *   stubs.c    --stubs: the planner's suggestions as an editable .xf file
 *   main.c     command line, diagnostics, exit status
 *
 * Errors are values: functions return 0 or -1 and report through `struct msgs`.
 */
#ifndef KITSUNE_XFGEN_H
#define KITSUNE_XFGEN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "ktt.h"
#include "plan.h"
#include "pstr.h"
#include "xf.h"

/* ---- text.c: strings (growing ones are the planner's struct pstr, runtime/pstr.h) -- */

/* Writes `s` as the inside of a C string literal (quotes, backslashes, newlines). */
void put_c_string(struct pstr *b, const char *s);
/* Duplicates s (NULL stays NULL), allocates zeroed memory; out of memory is
 * plan_out_of_memory(), as in the planner (main.c: a message, exit 1). */
char *xstrdup(const char *s);
void *xcalloc(size_t n, size_t size);

/* ---- diagnostics ------------------------------------------------------------------ */

/* Messages for stderr, one per line, in the order they were found. */
struct msgs {
    struct pstr text;
    int count;
};

void msg(struct msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- rulemap.c --------------------------------------------------------------------- */

/* One `$`-escape of a code block, as xf_scan_escapes reported it. */
struct esc {
    char *name;        /* "in", "xform", ... */
    char **args;
    int nargs;
    size_t start, end; /* byte range in the block, '$' up to the closing ')' */
    int line, col;     /* position of the '$' in the .xf file */
    char *gen_args;    /* $xform with closures: them as E_G arguments, else NULL */
};

/* A code block (the preamble or a rule's) with its escapes. */
struct block {
    const char *code;
    int line, col;
    struct esc *escs;
    int nescs;
};

/* Where a plan_rule came from. */
struct rule_origin {
    const struct xf_rule *rule;   /* NULL for the $xform pairs added by xfgen */
    const struct xf_label *label;
    struct block *block;          /* NULL without code */
    char text[300];               /* the label as written: "a -> b", "INIT struct T.f" */
};

struct ruleset {
    struct plan_rule *v;          /* the rules handed to plan_build, in table order */
    struct rule_origin *origin;
    int n, cap;
    struct block preamble;        /* code NULL when there is none */
    struct block *blocks;         /* one per xf rule (zeroed when it has no code) */
    int nblocks;
};

/* Builds the rule list from a parsed file; escapes are scanned and checked against the
 * summaries (errors go to m).  Returns 0, or -1 after reporting errors. */
int ruleset_build(struct ruleset *rs, const struct xf_file *xf, const struct ktt *old,
                  const struct ktt *nv, struct msgs *m);
void ruleset_free(struct ruleset *rs);

/* ---- dispatch.c ------------------------------------------------------------------- */

/* Describes every field rule whose code only dispatches (plan_rule.dispatch), for the
 * planner to prune; other rules are left as code. */
void dispatch_find(struct ruleset *rs, const struct xf_file *xf);

/* Writes the label for messages, like the parser prints it. */
void format_label(const struct xf_label *l, char *buf, size_t n);

/* Whether a type as written in $oldtype/$xform is a C primitive ("unsigned int"). */
int is_primitive_spelling(const char *t);
/* "typedef X" -> "X"; other spellings unchanged (returns a pointer into t). */
const char *strip_typedef_kw(const char *t);

/* ---- ctypes.c ---------------------------------------------------------------------- */

/* The C rendering of one summary's types under a prefix ("kt_old_", "kt_new_"). */
struct ctypes {
    const struct ktt *k;
    const char *prefix;
    const char *version;   /* "old" or "new", for comments and assertion messages */
    char **name;           /* per type: tag or typedef name (NULL: not named) */
    unsigned char *state;  /* CT_* flags per type */
    int *align;            /* emitted alignment; 0 before computed */
    struct pstr out;       /* the definitions, in dependency order */
    int npad;              /* counter for padding member names */
};

void ct_init(struct ctypes *ct, const struct ktt *k, const char *prefix, const char *version);
void ct_free(struct ctypes *ct);
/* Finds a type by the planner's spelling ("struct T", "union T", "enum T", a typedef
 * name); "typedef T" is accepted too.  Prefers complete definitions.  -1: none. */
int ct_find(const struct ktt *k, const char *name);
/* Marks a type (and everything it reaches) for emission. */
void ct_want(struct ctypes *ct, int t);
/* The C spelling of a wanted type: "struct kt_old_conn", "int", "kt_old_conn_t *". */
void ct_spell(struct ctypes *ct, int t, struct pstr *out);
/* Writes forward declarations, typedefs, definitions and _Static_asserts of every
 * wanted type to ct->out. */
void ct_emit(struct ctypes *ct);
/* Field lookup through a dotted path ("a.b") starting at struct/union type t
 * (typedefs resolved).  Returns the field and adds its byte offset to *off. */
const struct ktt_field *ct_field_path(const struct ktt *k, int t, const char *path, size_t *off);

/* ---- gen.c ------------------------------------------------------------------------- */

struct gen_input {
    const char *old_path, *new_path, *rules_path, *out_path;
    const struct ktt *old, *nv;
    const char *old_text;          /* OLD.ktt bytes, for the fingerprint */
    size_t old_len;
    const struct xf_file *xf;      /* NULL without a rules file */
    const struct ruleset *rs;
    const struct plan_ctx *plan;
    int self;                      /* the rules for updating from itself: the table is
                                      kitsune_xf_rules_self, the text in .kitsune_xf_self */
};

/* Writes the generated C into out.  Returns 0, or -1 after reporting errors in m. */
int gen_c(const struct gen_input *in, struct pstr *out, struct msgs *m);

/* ---- stubs.c ----------------------------------------------------------------------- */

/* The planner's diagnostics as an .xf file to edit. */
void stubs_write(const struct plan_ctx *plan, const char *new_path, struct pstr *out);

#endif /* KITSUNE_XFGEN_H */
