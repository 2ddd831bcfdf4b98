/* kitc.h - the in-memory model kitc builds from an object's DWARF (types, variables,
 * functions), the source annotations found with libclang, and the passes between them:
 * read DWARF -> attach annotations -> deduplicate types -> write the .ktt text. */
#ifndef KITC_H
#define KITC_H

#include <stdint.h>
#include <stdio.h>

#include "util.h"

enum kind { K_VOID, K_BASE, K_PTR, K_ARRAY, K_STRUCT, K_UNION, K_ENUM, K_TYPEDEF, K_FUNC };

/* A source position; file is the normalised absolute path (NULL when unknown). */
struct pos {
    const char *file;
    int line;
};

struct member {
    char *name;     /* NULL for an anonymous member */
    uint64_t off;   /* byte offset */
    int bitfield;   /* 1 when bitoff/bitsize are meaningful */
    uint64_t bitoff, bitsize;
    int type;
    struct pos pos;
};

struct enumerator {
    char *name;
    int is_unsigned;
    int64_t value;
};

/* One type.  Raw types are created per DWARF DIE (and per annotated clone); after
 * deduplication `rep` names the representative of each one's class. */
struct type {
    enum kind kind;
    uint64_t size;
    char *name;       /* base name, struct/union/enum tag, typedef name; NULL if none */
    const char *enc;  /* base: "signed", "unsigned", "float", "bool" */
    int target;       /* ptr target, array element, typedef target, func return */
    int64_t count;    /* array: element count, -1 when unknown */
    int incomplete;   /* struct/union/enum known only from a declaration */
    struct member *mem;
    size_t nmem;
    struct enumerator *en;
    size_t nen;
    int *param;
    size_t nparam;
    int varargs;
    char *annot;      /* annotation tokens, space separated; NULL if none */
    struct pos pos;
    int origin;       /* a struct/typedef annotated with E_G: the type it instantiates */
    int clone;        /* made by type_clone (an annotated level), not read from DWARF */
    int local;        /* defined in a function body (block scope) */
    int rep;          /* class representative (set by dedup) */
    int id;           /* output id, 0 when not emitted */
};

enum { VF_CONST = 1, VF_TLS = 2, VF_MANUAL = 4, VF_AUTO = 8, VF_ENCODED = 16, VF_LOCAL = 32,
       VF_DROP = 64 /* left out of the summary */ };

struct var {
    char *key;        /* set by make_keys() once the root is known */
    char *name;
    char *func;       /* owning function of a function static, else NULL */
    int external;
    int type;
    uint64_t addr, size;  /* size set by var_sizes() */
    int64_t sym_size;     /* st_size of its ELF symbol, -1 when none was found */
    int flags;
    uint64_t encoding;    /* VF_ENCODED: hash of the computation of its value */
    struct pos pos;
    /* VF_LOCAL (a local of an E_NOTELOCALS function, in a frame): the code ranges
     * where its function is active ("LO-HI,..."), and where the local is and how to
     * reach it there ("LO-HI:SPEC,...", SPEC c+N / bR+N / rR, docs/ktt-format.md);
     * NULL when the compiler kept it nowhere. */
    char *frame, *loc;
    char *scope;          /* VF_LOCAL of a nested block: the block's code ranges */
    uint64_t origin;      /* VF_LOCAL: DIE of its declaration (inlined copies share it) */
};

struct func {
    char *key;        /* set by make_keys() */
    char *name;
    int external;
    struct pos pos;
    uint64_t addr, size;
};

struct model {
    const char *object;   /* path given on the command line */
    char *root;           /* source root (absolute, normalised) */
    struct type *t;
    size_t nt, capt;
    struct var *v;
    size_t nv, capv;
    struct func *f;
    size_t nf, capf;
    struct var *lv;       /* locals of every function: those of E_NOTELOCALS ones join v */
    size_t nlv, caplv;
    char **cu_files;      /* absolute source file of each C compile unit */
    size_t ncu, capcu;
    int void_type;        /* raw id of the shared void type */
};

/* model.c */
int type_new(struct model *m, enum kind kind);
int type_clone(struct model *m, int id);
int array_of(struct model *m, int elem, int64_t count);
int64_t type_size(const struct model *m, int id);
/* Sets each variable's size from its type, once types are deduplicated (a declared-only
 * struct then has its definition).  A variable whose size cannot be known, or whose
 * ELF symbol is larger than its type, is an error: it could not be migrated whole.
 * Returns 0, or -1 after printing the errors. */
int var_sizes(struct model *m);
void type_add_annot(struct type *t, const char *tok);
int type_rep(const struct model *m, int id);
char *model_relfile(const struct model *m, const char *file);

/* dwarf.c: reads every CU of `path`.  Returns 0, or -1 after printing an error. */
int dwarf_read(struct model *m, const char *path);
/* Sets m->root from the CU files (used when neither --root nor -p gave one). */
void dwarf_default_root(struct model *m);

/* Forms the keys of variables and functions (docs/design.md §4) relative to m->root. */
void make_keys(struct model *m);

/* dedup.c: merges structurally identical types and resolves declarations. */
void dedup_types(struct model *m);
/* Sorts variables and functions by key, drops duplicates, and numbers the types: first
 * those reached from the variables, then every other type defined at file scope. */
void assign_ids(struct model *m);

/* emit.c */
void emit_ktt(const struct model *m, FILE *out);

/* annotations.c: one annotation macro use found in the source. */
enum ann_kind {
    A_OPAQUE, A_PTR, A_PTRARRAY, A_ARRAY, A_SZ, A_GENERIC, A_T, A_G, A_MANUAL, A_AUTO,
    A_NOTELOCALS, A_HELD, A_OPTIONAL
};

/* What an annotation is attached to: a field, variable or typedef declaration (by
 * name and position), a struct/union/typedef definition (E_GENERIC), or a function
 * definition (E_NOTELOCALS). */
enum ann_target { AT_FIELD, AT_VAR, AT_TYPEDEF, AT_STRUCT, AT_UNION, AT_FUNC,
                  AT_PARAM /* infer.c only: a function's void * parameter */ };

struct annot {
    enum ann_kind kind;
    char *arg;         /* normalised argument text, NULL if none */
    char *where;       /* "FILE:LINE:COL" of the macro, for diagnostics */
    enum ann_target target;
    char *decl_name;   /* declared name (NULL for an anonymous struct) */
    char *decl_file;   /* canonical absolute path of the declaration */
    int decl_line;
    int stars;         /* '*' tokens of the declarator to the left of the macro */
    int bracket;       /* E_ARRAY: index of the enclosing [] pair, -1 if none */
    char *inferred;    /* not written in the source: an E_PTRARRAY infer_lengths() made
                          from the allocations at these positions ("FILE:LINE,...") */
};

/* infer.c: one piece of evidence of what a `void *` field or variable points to. */
struct evidence {
    enum ann_target target;  /* AT_FIELD, AT_VAR, or AT_PARAM (decl_name "fn#i") */
    char *decl_name;
    const char *decl_file;   /* canonical absolute path of the declaration */
    int decl_line;
    char *type_name;         /* the evidence's type as written, e.g. "StringVector *" */
    char *target_name;       /* the candidate it points to, e.g. "StringVector" */
    int record;              /* the target is a struct (1), a union (2), or neither (0) */
    int bytes;               /* the target is a char type: a byte buffer */
    char *tag;               /* its tag, NULL when anonymous */
    const char *type_file;   /* canonical path and line of its definition */
    int type_line;
    const char *how;         /* "assigned from", "cast to", ... */
    const char *file;        /* where the evidence is (canonical) */
    int line;
    char *via;               /* a link, not a type: the value is passed to parameter
                                "fn#i" (directly, or with callback fn); the parameter's
                                evidence becomes the declaration's at apply time */
    const char *via_file;    /* derived evidence: where the parameter's evidence is, */
    int via_line;
    const char *via_how;     /* and how the value reached the parameter ("passed to") */
};

struct evidence_list {
    struct evidence *e;
    size_t n, cap;
};

/* infer.c: an allocation stored into a pointer field or file-scope variable that
 * points to structs or pointers, and the length it gives. */
struct length_ev {
    enum ann_target target;  /* AT_FIELD or AT_VAR */
    char *decl_name;
    const char *decl_file;   /* canonical absolute path of the declaration */
    int decl_line;
    int stars;               /* '*' written in the declared type (annot.stars) */
    char *len;               /* E_PTRARRAY's argument: "N" or "self.F"; NULL when the
                                allocation's length is neither (a local count, a byte
                                count) */
    const char *file;        /* where the allocation is stored (canonical) */
    int line;
};

struct length_list {
    struct length_ev *e;
    size_t n, cap;
};

struct annot_list {
    struct annot *a;
    size_t n, cap;
    struct evidence_list ev;  /* found in the same parse (infer.c) */
    struct length_list lens;  /* the same */
};

struct source_opts {
    const char *build_dir;      /* -p, or NULL */
    const char **incdirs;       /* -I directories */
    size_t nincdirs;
    const char **defines;       /* -D and -U options, as written */
    size_t ndefines;
    int allow_unparsed;         /* --allow-unparsed: a source clang cannot parse is a
                                   warning, not an error */
};

/* Parses the sources and appends their annotations.  Returns 0, or -1 after
 * printing errors (bad annotation text, a source of the object clang cannot parse).
 * Sets *root_out to the common source directory of the compilation database when
 * build_dir is given. */
int annotations_collect(const struct source_opts *o, struct model *m,
                        struct annot_list *out, char **root_out);
/* Applies annotations to the model; -1 after printing errors. */
int annotations_attach(struct model *m, const struct annot_list *l);

/* infer.c: records the evidence in one parsed translation unit (a CXTranslationUnit). */
void infer_scan(void *tu, struct evidence_list *out, struct length_list *lens);
/* Adds an E_PTRARRAY (with `inferred` set) for each pointer declaration without an
 * annotation whose allocations all give it the same length, other than 1. */
void infer_lengths(const struct model *m, struct annot_list *l);
/* Turns each `void *` field or variable without an annotation whose evidence names one
 * struct or union into a pointer to it (token inferred=FILE:LINE,...); warns about the
 * ones with several candidates.  With explain set, prints what it found for the field
 * or variable of that name ("S.f", "struct S.f", "f").  Returns 0. */
int infer_apply(struct model *m, const struct annot_list *l, const char *explain);

/* embed.c */
int ktt_embed(const char *ktt, const char *so);
int ktt_extract(const char *so, FILE *out);

#endif
