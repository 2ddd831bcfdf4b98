/* ktt.h - in-memory form of a .ktt type summary (docs/ktt-format.md).
 *
 * Shared by the runtime (which reads the summary embedded in each loaded version) and
 * xfgen (which compares two summaries).  Types refer to each other by index into
 * `types`, never by the ids written in the file. */
#ifndef KITSUNE_KTT_H
#define KITSUNE_KTT_H

#include <stddef.h>
#include <stdint.h>

enum ktt_kind {
    KTT_VOID, KTT_BASE, KTT_PTR, KTT_ARRAY, KTT_STRUCT, KTT_UNION, KTT_ENUM,
    KTT_TYPEDEF, KTT_FUNC
};

enum ktt_enc { KTT_SIGNED, KTT_UNSIGNED, KTT_FLOAT, KTT_BOOL };

/* Annotation flags of a type entry. */
#define KTT_OPAQUE 0x1u
#define KTT_SZ 0x2u

/* Flags of a variable. */
#define KTT_VAR_CONST 0x1u
#define KTT_VAR_MANUAL 0x2u
#define KTT_VAR_AUTO 0x4u
#define KTT_VAR_TLS 0x8u
/* Kept by the compiler in an encoded form (clang -O2 shrinks a global that holds one of
 * two values to a flag): the variable is its storage, and `encoding` names the
 * computation that gives the value; see plan.c for when it can be carried over. */
#define KTT_VAR_ENCODED 0x40u
/* A local of an E_NOTELOCALS function: it lives in a frame, not at ADDR (which is 0);
 * `frame` and `loc` say where (docs/ktt-format.md, "Locals"). */
#define KTT_VAR_LOCAL 0x80u
/* Set by the runtime from the loaded file, never written in a summary: the variable
 * lies in memory that is read-only once loaded (a section without SHF_WRITE, or
 * PT_GNU_RELRO), whatever its C type; RELRO: made read-only after relocation, and not
 * kept readable when its version retires. */
#define KTT_VAR_READONLY 0x10u
#define KTT_VAR_RELRO 0x20u

struct ktt_field {
    char *name;          /* NULL for an anonymous member */
    size_t offset;       /* bytes */
    int type;            /* index into ktt.types */
    int bit_offset;      /* from the start of the struct; meaningful when bit_size > 0 */
    int bit_size;        /* 0 unless a bitfield */
    char *decl;          /* "file:line" or NULL */
};

struct ktt_enumerator {
    char *name;
    long long value;
};

/* Every char * of a type, field and variable is its own: ktt_free frees it, and
 * ktt_compose.c (copy_type, ktt_append) duplicates it - a new one goes in all three. */
struct ktt_type {
    enum ktt_kind kind;
    size_t size;
    char *name;          /* tag, typedef name or base spelling; NULL when anonymous */
    enum ktt_enc enc;    /* KTT_BASE */
    int target;          /* PTR, ARRAY (element), TYPEDEF, FUNC (return type) */
    long count;          /* ARRAY: element count, -1 when unknown */
    struct ktt_field *fields;
    int nfields;
    struct ktt_enumerator *enums;
    int nenums;
    int *params;         /* FUNC */
    int nparams;
    int varargs;
    unsigned flags;      /* KTT_OPAQUE, KTT_SZ */
    char *ptrarray;      /* "N" or "self.F" */
    char *len;           /* ARRAY length annotation */
    char *generic;       /* "@a,@b" */
    char *tparam;        /* "@a" */
    char *gargs;
    char *inferred;      /* PTR: kitc inferred its target from the source (a void * in
                            the program), "FILE:LINE,..." of the evidence */
    char *candidates;    /* PTR to void: the several types kitc saw it hold,
                            "struct_a,struct_b" (it stays void *) */
    char *held;          /* STRUCT/UNION: the library that keeps the address of a
                            member of this type (E_HELD(lib)) */
    char *optional;      /* STRUCT: objects may end where this member starts
                            (E_OPTIONAL) */
    char *holds;         /* PTR to void, E_OPAQUE: the types kitc saw it hold, same
                            spelling; never followed, their layout must not change */
    char *decl;
};

struct ktt_var {
    char *key;
    int type;
    uint64_t addr;       /* relative to the object's load base */
    size_t size;
    unsigned flags;
    uint64_t encoding;   /* KTT_VAR_ENCODED: hash of the value's computation */
    char *decl;
    char *frame, *loc;   /* KTT_VAR_LOCAL: "LO-HI,..." and "LO-HI:SPEC,..." ("-": none) */
    char *scope;         /* KTT_VAR_LOCAL of a nested block: its ranges ("LO-HI,...") */
};

struct ktt_func {
    char *key;
    uint64_t addr;
    size_t size;
};

struct ktt {
    char *object;
    char *root;
    struct ktt_type *types;
    int ntypes;
    struct ktt_var *vars;    /* sorted by key */
    int nvars;
    struct ktt_func *funcs;  /* sorted by key */
    int nfuncs;
};

/* Parses `len` bytes of summary text.  On error returns -1 and writes
 * "NAME:LINE: expected ..." into err. */
int ktt_parse(const char *name, const char *text, size_t len, struct ktt *out, char *err,
              size_t errlen);
int ktt_load_file(const char *path, struct ktt *out, char *err, size_t errlen);
void ktt_free(struct ktt *k);

/* Lookups by key (binary search); NULL when absent. */
const struct ktt_var *ktt_find_var(const struct ktt *k, const char *key);
const struct ktt_func *ktt_find_func(const struct ktt *k, const char *key);

/* ktt_compose.c: several objects' summaries as one (docs/plugins.md).  Appends a copy
 * of src's types, variables and functions to dst, keys prefixed "PREFIX@" (NULL: as
 * they are); the keys must be sorted again (ktt_sort_keys) before lookups.  -1 when out
 * of memory (dst is then freeable, incomplete). */
int ktt_append(struct ktt *dst, const struct ktt *src, const char *prefix);
void ktt_sort_keys(struct ktt *k);
int ktt_duplicate_key(const struct ktt *k); /* after ktt_sort_keys */
/* A module's name in keys: its file name without directory and ".so". */
void ktt_module_name(const char *path, char *out, size_t len);

/* Identifies a summary's exact text: generated transformers record the fingerprint of
 * the old version they were made for, and the runtime checks it. */
uint64_t ktt_fingerprint(const char *text, size_t len);

/* Strips typedefs: the index of the first non-typedef type. */
int ktt_resolve(const struct ktt *k, int type);

/* A C-like spelling of a type ("struct node *", "int[4]"), whole, in a new allocation
 * (out of memory: plan_out_of_memory, plan.h). */
char *ktt_type_name_alloc(const struct ktt *k, int type);
/* The same written into buf, cut to len - 1 characters: for fixed-size messages. */
const char *ktt_type_name(const struct ktt *k, int type, char *buf, size_t len);

#endif
