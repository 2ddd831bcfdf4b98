/*
 * xf.h — the xf rule language: syntax tree, parser and `$`-escape scanner.
 *
 * An .xf file tells xfgen how to transform state that it cannot transform on its
 * own (docs/xf-language.md). This header is the whole interface of the parser
 * library `xfparse`:
 *
 *   xf_parse_buffer / xf_parse_file   text -> struct xf_file (or an error message)
 *   xf_free                           release a struct xf_file
 *   xf_path_format                    render a path back to xf syntax
 *   xf_scan_escapes                   find `$in`, `$xform(...)`, ... in a code block
 *
 * Conventions: lines and columns are 1-based; a column counts bytes (a tab is one
 * column). Functions return 0 on success and -1 on failure, in which case `err`
 * (if not NULL and errlen > 0) holds one NUL-terminated line of the form
 *   FILE:LINE:COL: expected WHAT, found WHAT
 * (some messages add a reason in parentheses). Nothing is printed.
 */
#ifndef KITSUNE_XF_H
#define KITSUNE_XF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a path names. */
enum xf_path_kind {
    XF_PATH_VAR,  /* a variable key: `x`, `net.c/fd`, `net.c/loop#n`, `main#q`, `m@...` */
    XF_PATH_TYPE  /* a type, or a field of a type when nfields > 0 */
};

/* How a type was written. */
enum xf_type_kind {
    XF_STRUCT,  /* struct NAME  */
    XF_UNION,   /* union NAME   */
    XF_ENUM,    /* enum NAME    */
    XF_TYPEDEF  /* typedef NAME, or a bare NAME followed by .field */
};

struct xf_path {
    enum xf_path_kind kind;

    /* XF_PATH_VAR: the key as written, and its parts (NULL when absent). */
    char *var_key;
    char *key_module;  /* before '@'                      */
    char *key_file;    /* before the last '/' (may hold '/') */
    char *key_func;    /* before '#'                      */
    char *key_name;    /* the variable's name; never NULL for a VAR path */

    /* XF_PATH_TYPE: the type and the field path below it (nfields may be 0). */
    enum xf_type_kind type_kind;
    char *type_name;   /* without the keyword: "T" for `struct T` */
    char **fields;     /* fields[0] is the outermost field */
    int nfields;

    int line, col;     /* where the path starts (the keyword, for `struct T`) */
};

struct xf_label {
    int is_init;          /* 1 for `INIT path` */
    int is_dropped;       /* 1 for `path -> (dropped)`: the old state is meant to go */
    int is_switch;        /* 1 for `SWITCH path ON self.tag { ... }` (the rule's sw):
                             from and to are both the field path */
    struct xf_path from;  /* unused (zeroed) when is_init */
    struct xf_path to;    /* unused (zeroed) when is_dropped */
    int line, col;        /* where the label starts (`INIT` or the `from` path) */
};

/* One arm of a SWITCH: `1, 2: struct a` or `default: (opaque)`. */
struct xf_switch_arm {
    char **values;        /* as written: "1", "-2", "0x10", "'a'", "MSG_TEXT"; NULL for
                             `default` */
    int nvalues;
    int is_opaque;        /* `(opaque)`: the object is kept as it is, never followed */
    struct xf_path target; /* XF_PATH_TYPE, nfields 0, unless is_opaque */
    int line, col;        /* where the arm starts */
};

/* `SWITCH struct msg.payload ON self.kind { 1: struct text  2: struct num }`: the
 * void * field points to the type of the arm whose value the old object's tag field
 * holds (docs/xf-language.md §2.3.3). */
struct xf_switch {
    char **tag;           /* the field path after `self.`: {"kind"}, {"hdr", "kind"} */
    int ntag;
    int tag_line, tag_col;
    struct xf_switch_arm *arms;
    int narms;            /* >= 1 */
};

struct xf_rule {
    struct xf_label *labels;
    int nlabels;             /* >= 1 */
    struct xf_switch *sw;    /* a SWITCH rule (one label, is_switch; no code), or NULL */
    char *code;              /* text between the braces, NULL when there is no block */
    int code_line, code_col; /* position of the first byte of `code` (just after '{') */
    int line, col;           /* where the rule starts */
};

struct xf_file {
    char *path;              /* as given to the parser, for messages */
    char *preamble;          /* text between the braces of the leading block, or NULL */
    int preamble_line, preamble_col; /* first byte of `preamble` (just after '{') */
    struct xf_rule *rules;
    int nrules;
};

/*
 * Parses `len` bytes of `text` (need not be NUL-terminated). `path_for_messages`
 * names the input in error messages and becomes out->path (NULL means "<input>").
 * On success returns 0 and fills *out, to be released with xf_free. On failure
 * returns -1, leaves *out empty (safe to pass to xf_free) and writes err.
 * Inputs of INT_MAX bytes or more, and NUL bytes, are rejected.
 */
int xf_parse_buffer(const char *path_for_messages, const char *text, size_t len,
                    struct xf_file *out, char *err, size_t errlen);

/* Reads and parses the file at `path`. Unreadable files are reported in err as
 * "PATH: cannot read: REASON". */
int xf_parse_file(const char *path, struct xf_file *out, char *err, size_t errlen);

/* Releases everything *f owns and zeroes it. NULL and zeroed files are fine. */
void xf_free(struct xf_file *f);

/*
 * Writes `p` in xf syntax (`struct T.a.b`, `T.f`, `typedef T`, `net.c/fd`) to buf,
 * snprintf-style: returns the length the full text needs; buf may be NULL if n == 0.
 */
int xf_path_format(const struct xf_path *p, char *buf, size_t n);

/*
 * Callback for xf_scan_escapes. `name` is the escape without '$' ("in", "xform");
 * `args` are its arguments (nargs of them; args is NULL when nargs == 0), with
 * comments replaced by a space, runs of white space outside literals collapsed to
 * one space, and leading/trailing space removed. [start, end) is the escape's byte
 * range in `code`, from the '$' up to and including the closing ')'.
 * Arguments may themselves contain escapes (`$xform(T, T, $gen(e))`); only the
 * outermost escape is reported, the caller expands the argument text by scanning it
 * again. Return 0 to continue; any other value stops the scan.
 */
typedef int (*xf_escape_cb)(void *ctx, const char *name, const char **args, int nargs,
                            size_t start, size_t end);

/*
 * Finds the escapes $in, $out, $base (no arguments) and $oldtype(T), $newtype(T),
 * $gen(NAME) (one argument), $xform(T0, T1 [, closure ...]) (two or more) in the
 * NUL-terminated C text `code`, skipping string and character literals and
 * comments, and calls cb for each in order. Any other `$word` is left alone.
 * `path`, `base_line` and `base_col` give the position of code[0] in its file
 * (use xf_rule.code_line / code_col), so that errors point into the .xf file.
 * Errors (unbalanced parentheses, missing '(', wrong argument count, empty
 * argument) return -1 with err set. If cb returns non-zero the scan stops and
 * that value is returned (err is left empty). Otherwise returns 0.
 */
int xf_scan_escapes(const char *path, const char *code, int base_line, int base_col,
                    xf_escape_cb cb, void *ctx, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* KITSUNE_XF_H */
