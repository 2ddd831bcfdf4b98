/* annotations.c - finds the E_* annotation macros in the program's source with
 * libclang.  Each source (from compile_commands.json, or each C compile unit named in
 * the DWARF) is parsed with a detailed preprocessing record; every expansion of an
 * annotation macro is mapped to the declaration it qualifies (the smallest enclosing
 * field, variable or typedef, the struct whose head or closing brace it follows, or
 * the declaration just before it) together with its position in the declarator (how
 * many '*' stand to its left, which [] holds it).  The macros expand to nothing, so
 * the layout always comes from the DWARF; attach.c applies the result to the model. */
#include "kitc.h"
#include "compdb.h"

#include <clang-c/Index.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name;
    enum ann_kind kind;
    int has_arg;
} macros[] = {
    {"E_OPAQUE", A_OPAQUE, 0},   {"E_PTR", A_PTR, 0},         {"E_PTRARRAY", A_PTRARRAY, 1},
    {"E_ARRAY", A_ARRAY, 1},     {"E_SZ", A_SZ, 0},           {"E_GENERIC", A_GENERIC, 1},
    {"E_T", A_T, 1},             {"E_G", A_G, 1},             {"E_MANUAL_MIGRATE", A_MANUAL, 0},
    {"E_AUTO_MIGRATE", A_AUTO, 0}, {"E_NOTELOCALS", A_NOTELOCALS, 0}, {"E_HELD", A_HELD, 1},
    {"E_OPTIONAL", A_OPTIONAL, 0},
};

/* A declaration or macro use in one file, by expansion offsets [start, end). */
struct decl {
    enum ann_target kind;
    const char *file; /* canonical */
    unsigned start, end;
    char *name;
    int line;
};

struct use {
    int macro; /* index into macros[] */
    const char *file;
    const char *display;
    unsigned start, end;
    int line, col;
};

struct tu_scan {
    struct decl *d;
    size_t nd, capd;
    struct use *u;
    size_t nu, capu;
};

struct collector {
    strpool names;     /* file names as clang reports them */
    smap canon;        /* clang file name -> index into canon_names */
    strpool canon_names;
    smap texts;        /* canonical file -> index into text */
    char **text;
    size_t ntext, captext;
    smap seen;         /* "file:offset" of annotations already collected */
    struct annot_list *out;
    int errors;
};

static struct collector *C;

/* ---- files ---------------------------------------------------------------------- */

static const char *canonical(const char *name)
{
    long i = smap_get(&C->canon, name, strlen(name), -1);
    if (i >= 0)
        return C->canon_names.s[i];
    char *full = path_canonical(name);
    const char *p = intern(&C->canon_names, full);
    free(full);
    i = smap_get(&C->canon_names.map, p, strlen(p), -1);
    smap_put(&C->canon, name, strlen(name), i);
    return p;
}

static const char *file_text(const char *file)
{
    long i = smap_get(&C->texts, file, strlen(file), -1);
    if (i >= 0)
        return C->text[i];
    FILE *f = fopen(file, "rb");
    sbuf b = {0};
    sb_puts(&b, "");
    if (f) {
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            sb_put(&b, buf, n);
        fclose(f);
    }
    grow(&C->text, &C->captext, C->ntext + 1, sizeof *C->text);
    C->text[C->ntext] = b.s;
    smap_put(&C->texts, file, strlen(file), (long)C->ntext);
    return C->text[C->ntext++];
}

static void error_at(const struct use *u, const char *fmt, const char *detail)
{
    fprintf(stderr, "%s:%d:%d: kitc: ", u->display, u->line, u->col);
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
    C->errors++;
}

/* ---- scanning a translation unit ------------------------------------------------ */

static int location(CXSourceLocation loc, const char **file, const char **display,
                    unsigned *off, int *line, int *col)
{
    CXFile f;
    unsigned l, c;
    clang_getExpansionLocation(loc, &f, &l, &c, off);
    if (!f)
        return -1;
    CXString s = clang_getFileName(f);
    const char *name = clang_getCString(s);
    if (!name) {
        clang_disposeString(s);
        return -1;
    }
    if (display)
        *display = intern(&C->names, name);
    *file = canonical(name);
    clang_disposeString(s);
    if (line)
        *line = (int)l;
    if (col)
        *col = (int)c;
    return 0;
}

static int macro_index(const char *name)
{
    for (size_t i = 0; i < sizeof macros / sizeof *macros; i++)
        if (strcmp(macros[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void scan_use(struct tu_scan *s, CXCursor c)
{
    CXString sp = clang_getCursorSpelling(c);
    int mi = macro_index(clang_getCString(sp));
    clang_disposeString(sp);
    if (mi < 0)
        return;
    CXSourceRange r = clang_getCursorExtent(c);
    struct use u = {0};
    u.macro = mi;
    const char *f2;
    if (location(clang_getRangeStart(r), &u.file, &u.display, &u.start, &u.line, &u.col) != 0 ||
        location(clang_getRangeEnd(r), &f2, NULL, &u.end, NULL, NULL) != 0)
        return;
    grow(&s->u, &s->capu, s->nu + 1, sizeof *s->u);
    s->u[s->nu++] = u;
}

static void scan_decl(struct tu_scan *s, CXCursor c, enum ann_target kind)
{
    CXSourceRange r = clang_getCursorExtent(c);
    struct decl d = {0};
    const char *f2;
    d.kind = kind;
    if (location(clang_getRangeStart(r), &d.file, NULL, &d.start, NULL, NULL) != 0 ||
        location(clang_getRangeEnd(r), &f2, NULL, &d.end, NULL, NULL) != 0 || f2 != d.file)
        return;
    const char *nf;
    location(clang_getCursorLocation(c), &nf, NULL, &(unsigned){0}, &d.line, NULL);
    CXString sp = clang_getCursorSpelling(c);
    const char *name = clang_getCString(sp);
    if (name && *name && !clang_Cursor_isAnonymous(c) &&
        !(kind >= AT_STRUCT && strchr(name, ' ')))
        d.name = xstrdup(name);
    clang_disposeString(sp);
    grow(&s->d, &s->capd, s->nd + 1, sizeof *s->d);
    s->d[s->nd++] = d;
}

/* Kitsune's own header, wherever it is installed: its heap lists carry annotations
 * (E_GENERIC on kitsune_heaplist) that every program using them needs. */
static int in_kitsune_header(CXSourceLocation loc)
{
    CXFile f;
    clang_getExpansionLocation(loc, &f, NULL, NULL, NULL);
    if (!f)
        return 0;
    CXString s = clang_getFileName(f);
    const char *name = clang_getCString(s);
    const char *base = name ? strrchr(name, '/') : NULL;
    int ours = name && strcmp(base ? base + 1 : name, "kitsune.h") == 0;
    clang_disposeString(s);
    return ours;
}

static enum CXChildVisitResult visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    struct tu_scan *s = data;
    CXSourceLocation loc = clang_getCursorLocation(c);
    if (clang_Location_isInSystemHeader(loc) && !in_kitsune_header(loc))
        return CXChildVisit_Continue;
    switch (clang_getCursorKind(c)) {
    case CXCursor_MacroExpansion:
        scan_use(s, c);
        break;
    case CXCursor_FieldDecl:
        scan_decl(s, c, AT_FIELD);
        break;
    case CXCursor_VarDecl:
        scan_decl(s, c, AT_VAR);
        break;
    case CXCursor_TypedefDecl:
        scan_decl(s, c, AT_TYPEDEF);
        break;
    case CXCursor_StructDecl:
        if (clang_isCursorDefinition(c))
            scan_decl(s, c, AT_STRUCT);
        break;
    case CXCursor_UnionDecl:
        if (clang_isCursorDefinition(c))
            scan_decl(s, c, AT_UNION);
        break;
    case CXCursor_FunctionDecl:
        if (clang_isCursorDefinition(c))
            scan_decl(s, c, AT_FUNC);
        break;
    default:
        break;
    }
    return CXChildVisit_Recurse;
}

/* ---- mapping a use to its declaration ------------------------------------------- */

static int contains(const struct decl *d, const struct use *u)
{
    return d->file == u->file && d->start <= u->start && u->end <= d->end;
}

/* The smallest declaration of one of the kinds in mask containing u. */
static struct decl *smallest(struct tu_scan *s, const struct use *u, unsigned mask)
{
    struct decl *best = NULL;
    for (size_t i = 0; i < s->nd; i++) {
        struct decl *d = &s->d[i];
        if (!(mask & (1u << d->kind)) || !contains(d, u))
            continue;
        if (!best || d->end - d->start < best->end - best->start)
            best = d;
    }
    return best;
}

/* End offset of the token before offset `at` (whitespace and comments skipped). */
static unsigned prev_token_end(const char *text, unsigned at)
{
    while (at > 0) {
        char ch = text[at - 1];
        if (isspace((unsigned char)ch)) {
            at--;
        } else if (ch == '/' && at >= 2 && text[at - 2] == '*') {
            at -= 2;
            while (at >= 2 && !(text[at - 2] == '/' && text[at - 1] == '*'))
                at--;
            at = at >= 2 ? at - 2 : 0;
        } else {
            break;
        }
    }
    return at;
}

/* The declaration of a kind in mask that ends right before u. */
static struct decl *ending_before(struct tu_scan *s, const struct use *u, unsigned mask)
{
    unsigned end = prev_token_end(file_text(u->file), u->start);
    struct decl *best = NULL;
    for (size_t i = 0; i < s->nd; i++) {
        struct decl *d = &s->d[i];
        if ((mask & (1u << d->kind)) && d->file == u->file && d->end == end &&
            (!best || d->end - d->start < best->end - best->start))
            best = d;
    }
    return best;
}

/* For E_GENERIC: a struct whose head (before '{') holds u, or the struct or typedef
 * that ends right before u, or the typedef around u. */
static struct decl *generic_target(struct tu_scan *s, const struct use *u)
{
    const unsigned structs = 1u << AT_STRUCT | 1u << AT_UNION;
    struct decl *d = smallest(s, u, structs | 1u << AT_FIELD);
    if (d && d->kind != AT_FIELD) {
        const char *brace = strchr(file_text(u->file) + d->start, '{');
        if (brace && (unsigned)(brace - file_text(u->file)) > u->start)
            return d;
    }
    d = ending_before(s, u, structs | 1u << AT_TYPEDEF);
    if (d)
        return d;
    return smallest(s, u, 1u << AT_TYPEDEF);
}

/* Counts the '*' of the declarator left of u, and which [] pair holds u. */
static void declarator_position(const char *text, const struct decl *d, const struct use *u,
                                struct annot *a)
{
    int stars = 0, paren = 0, brace = 0, bracket = 0, groups = 0;
    a->bracket = -1;
    for (unsigned i = d->start; i < u->start && text[i]; i++) {
        char ch = text[i];
        if (ch == '/' && text[i + 1] == '*') {
            const char *end = strstr(text + i + 2, "*/");
            i = end ? (unsigned)(end - text) + 1 : u->start;
            continue;
        }
        if (ch == '{')
            brace++;
        else if (ch == '}')
            brace--;
        else if (brace > 0)
            continue;
        else if (ch == '(')
            paren++;
        else if (ch == ')')
            paren--;
        else if (ch == '[' && bracket++ == 0 && paren == 0)
            groups++;
        else if (ch == ']')
            bracket--;
        else if (ch == ',' && paren == 0 && bracket == 0)
            stars = groups = 0;
        else if (ch == '*' && bracket == 0)
            stars++;
    }
    a->stars = stars;
    if (bracket > 0)
        a->bracket = groups - 1;
}

/* ---- argument text -------------------------------------------------------------- */

static int is_ident(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* The text between the macro's parentheses with white space removed, except that
 * one between two words becomes '_' (struct list -> struct_list).  NULL if none. */
static char *macro_arg(const char *text, const struct use *u)
{
    const char *p = text + u->start + strlen(macros[u->macro].name);
    const char *end = text + u->end;
    while (p < end && isspace((unsigned char)*p))
        p++;
    if (p >= end || *p != '(')
        return NULL;
    const char *q = end - 1;
    while (q > p && *q != ')')
        q--;
    sbuf b = {0};
    sb_puts(&b, "");
    char last = 0;
    int pending_space = 0;
    for (p++; p < q; p++) {
        if (isspace((unsigned char)*p)) {
            pending_space = 1;
            continue;
        }
        if (pending_space && is_ident(last) && is_ident(*p))
            sb_put(&b, "_", 1);
        pending_space = 0;
        sb_put(&b, p, 1);
        last = *p;
    }
    return b.s;
}

static int valid_length(const char *s)
{
    if (!s || !*s)
        return 0;
    if (isdigit((unsigned char)s[0])) {
        for (; *s; s++)
            if (!isalnum((unsigned char)*s))
                return 0;
        return 1;
    }
    if (strncmp(s, "self.", 5) != 0)
        return 0;
    for (s += 5; *s; s++)
        if (!is_ident(*s) && !(*s == '.' && s[1] && s[1] != '.' && s[-1] != '.'))
            return 0;
    return 1;
}

/* Checks a list of @params (E_GENERIC) or one (E_T); 0 or -1 after an error. */
static int check_params(const struct use *u, const char *arg, int only_one)
{
    if (!arg || !*arg) {
        error_at(u, "%s needs a generic parameter such as @t", macros[u->macro].name);
        return -1;
    }
    char *copy = xstrdup(arg);
    int rc = 0, n = 0;
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ","), n++) {
        if (tok[0] != '@' || !tok[1]) {
            error_at(u, "expected generic variable to begin with @, got '%s'", tok);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && only_one && n != 1) {
        error_at(u, "%s takes exactly one generic parameter", macros[u->macro].name);
        rc = -1;
    }
    free(copy);
    return rc;
}

static int check_arg(const struct use *u, const char *arg)
{
    switch (macros[u->macro].kind) {
    case A_PTRARRAY:
    case A_ARRAY:
        if (!valid_length(arg)) {
            error_at(u, "%s expects a length: a number or self.FIELD", macros[u->macro].name);
            return -1;
        }
        return 0;
    case A_GENERIC:
        return check_params(u, arg, 0);
    case A_T:
        return check_params(u, arg, 1);
    case A_G:
        if (!arg || !*arg) {
            error_at(u, "%s needs generic arguments", macros[u->macro].name);
            return -1;
        }
        return 0;
    case A_HELD:
        for (const char *p = arg ? arg : ""; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
                arg = NULL;
        if (!arg || !*arg) {
            error_at(u, "%s names the library that keeps the member's address: "
                     "E_HELD(libevent)", macros[u->macro].name);
            return -1;
        }
        return 0;
    default:
        return 0;
    }
}

/* ---- turning uses into annotations ---------------------------------------------- */

static void add_annot(const struct use *u, const struct decl *d, char *arg)
{
    struct annot a = {0};
    a.kind = macros[u->macro].kind;
    a.arg = arg;
    a.where = xasprintf("%s:%d:%d", u->display, u->line, u->col);
    a.target = d->kind;
    a.decl_name = d->name ? xstrdup(d->name) : NULL;
    a.decl_file = xstrdup(d->file);
    a.decl_line = d->line;
    a.bracket = -1;
    if (a.kind != A_GENERIC)
        declarator_position(file_text(u->file), d, u, &a);
    struct annot_list *l = C->out;
    grow(&l->a, &l->cap, l->n + 1, sizeof *l->a);
    l->a[l->n++] = a;
}

static void resolve_use(struct tu_scan *s, const struct use *u)
{
    char *key = xasprintf("%s:%u", u->file, u->start);
    int seen = smap_get(&C->seen, key, strlen(key), 0) != 0;
    smap_put(&C->seen, key, strlen(key), 1);
    free(key);
    if (seen)
        return;
    char *arg = macro_arg(file_text(u->file), u);
    if (check_arg(u, arg) != 0) {
        free(arg);
        return;
    }
    const unsigned decls = 1u << AT_FIELD | 1u << AT_VAR | 1u << AT_TYPEDEF;
    struct decl *d;
    if (macros[u->macro].kind == A_NOTELOCALS) {
        /* Between the parameter list and the body: only the function contains it. */
        d = smallest(s, u, 1u << AT_FUNC | decls);
        if (!d || d->kind != AT_FUNC) {
            error_at(u, "%s goes on a function definition, after its parameter list",
                     macros[u->macro].name);
            free(arg);
            return;
        }
    } else if (macros[u->macro].kind == A_GENERIC) {
        d = generic_target(s, u);
    } else if (!(d = smallest(s, u, decls))) {
        d = ending_before(s, u, decls);
    } else if (d->kind != AT_FIELD) {
        /* After a member's name inside `typedef struct { ... } T;`: the member, not
         * the typedef around it. */
        struct decl *f = ending_before(s, u, 1u << AT_FIELD);
        if (f && f->file == d->file && d->start <= f->start && f->end <= d->end)
            d = f;
    }
    if (!d) {
        error_at(u, "%s is not inside a declaration it can qualify", macros[u->macro].name);
        free(arg);
        return;
    }
    if ((macros[u->macro].kind == A_MANUAL || macros[u->macro].kind == A_AUTO) &&
        d->kind != AT_VAR) {
        error_at(u, "%s applies to variables only", macros[u->macro].name);
        free(arg);
        return;
    }
    if ((macros[u->macro].kind == A_HELD || macros[u->macro].kind == A_OPTIONAL) &&
        d->kind != AT_FIELD) {
        error_at(u, "%s applies to struct members only", macros[u->macro].name);
        free(arg);
        return;
    }
    add_annot(u, d, arg);
}

/* ---- the object's sources ------------------------------------------------------ */

/* Whether file is the source of one of the object's compile units (always true when
 * the DWARF names none). */
static int is_cu_file(const struct model *m, const char *file)
{
    if (!m->ncu)
        return 1;
    const char *want = canonical(file);
    for (size_t i = 0; i < m->ncu; i++)
        if (canonical(m->cu_files[i]) == want)
            return 1;
    return 0;
}

static int has_source(const struct source *v, size_t n, const char *file)
{
    const char *want = canonical(file);
    for (size_t i = 0; i < n; i++)
        if (canonical(v[i].file) == want)
            return 1;
    return 0;
}

/* Every entry of the database counts for the root; only the object's own sources are
 * parsed (the first entry of a file wins). */
static int sources_from_db(const char *build_dir, const struct model *m, struct source **v,
                           size_t *n, size_t *cap, char **root)
{
    struct source *all;
    size_t nall;
    if (compdb_read(build_dir, &all, &nall) != 0)
        return -1;
    for (size_t i = 0; i < nall; i++) {
        char *dir = path_dirname(all[i].file);
        char *common = *root ? path_common_dir(*root, dir) : xstrdup(dir);
        free(*root);
        free(dir);
        *root = common;
        if (is_cu_file(m, all[i].file) && !has_source(*v, *n, all[i].file)) {
            grow(v, cap, *n + 1, sizeof **v);
            (*v)[(*n)++] = all[i];
        } else {
            source_free(&all[i]);
        }
    }
    free(all);
    return 0;
}

/* ---- sources kitc cannot parse -------------------------------------------------- */

/* Losing a source's annotations silently changes the summary (xfgen would see a bare
 * `void *` where the source says E_T(@t)), so by default it is an error; with
 * --allow-unparsed a warning.  The caller prints clang's messages after this line. */
static void unparsed(const struct source_opts *o, const char *file, const char *why,
                     const char *hint)
{
    if (o->allow_unparsed) {
        fprintf(stderr, "kitc: warning: %s: %s; its annotations are ignored "
                "(--allow-unparsed)\n", file, why);
        return;
    }
    fprintf(stderr, "kitc: %s: %s, so its annotations would be lost; %spass "
            "--allow-unparsed to go on without them\n", file, why, hint);
    C->errors++;
}

static const char flags_hint[] = "give kitc the build's flags (-p BUILD_DIR, or "
                                 "-I/-D/-U) or ";

/* The object's compile units that have no entry in the database. */
static void check_db_covers(const struct source_opts *o, const struct model *m,
                            const struct source *v, size_t n)
{
    for (size_t i = 0; i < m->ncu; i++) {
        if (has_source(v, n, m->cu_files[i]))
            continue;
        char *why = xasprintf("compile unit without an entry in %s/compile_commands.json",
                              o->build_dir);
        unparsed(o, m->cu_files[i], why, "");
        free(why);
    }
}

/* Without a database: the source file of each compile unit, as the DWARF names it. */
static void sources_from_dwarf(const struct source_opts *o, const struct model *m,
                               struct source **v, size_t *n, size_t *cap)
{
    for (size_t i = 0; i < m->ncu; i++) {
        const char *file = m->cu_files[i];
        if (has_source(*v, *n, file))
            continue;
        if (access(file, R_OK) != 0) {
            char *why = xasprintf("cannot read this compile unit's source (%s)",
                                  strerror(errno));
            unparsed(o, file, why, "");
            free(why);
            continue;
        }
        grow(v, cap, *n + 1, sizeof **v);
        (*v)[(*n)++] = (struct source){.file = xstrdup(file)};
    }
}

/* Prints clang's first errors (with FILE:LINE:COL); returns how many there are. */
static unsigned print_errors(CXTranslationUnit tu, int print)
{
    enum { SHOWN = 3 };
    unsigned n = clang_getNumDiagnostics(tu), errors = 0;
    for (unsigned i = 0; i < n; i++) {
        CXDiagnostic d = clang_getDiagnostic(tu, i);
        if (clang_getDiagnosticSeverity(d) >= CXDiagnostic_Error && errors++ < SHOWN && print) {
            CXString s = clang_formatDiagnostic(d, CXDiagnostic_DisplaySourceLocation |
                                                       CXDiagnostic_DisplayColumn);
            fprintf(stderr, "%s\n", clang_getCString(s));
            clang_disposeString(s);
        }
        clang_disposeDiagnostic(d);
    }
    if (print && errors > SHOWN)
        fprintf(stderr, "(and %u more errors)\n", errors - SHOWN);
    return errors;
}

static const char *cx_error_name(enum CXErrorCode rc)
{
    switch (rc) {
    case CXError_Crashed:
        return "libclang crashed";
    case CXError_InvalidArguments:
        return "invalid arguments";
    case CXError_ASTReadError:
        return "AST read error";
    default:
        return "failure";
    }
}

/* ---- parsing -------------------------------------------------------------------- */

static void parse_source(CXIndex idx, const struct source_opts *o, const struct source *src)
{
    CXTranslationUnit tu;
    enum CXErrorCode rc = clang_parseTranslationUnit2(
        idx, src->file, (const char *const *)src->args, src->nargs, NULL, 0,
        CXTranslationUnit_DetailedPreprocessingRecord, &tu);
    if (rc != CXError_Success) {
        unparsed(o, src->file, "clang cannot parse it", flags_hint);
        fprintf(stderr, "libclang could not create a translation unit (%s)\n",
                cx_error_name(rc));
        return;
    }
    if (print_errors(tu, 0)) {
        unparsed(o, src->file, "clang cannot parse it", flags_hint);
        print_errors(tu, 1);
        clang_disposeTranslationUnit(tu);
        return;
    }
    struct tu_scan s = {0};
    clang_visitChildren(clang_getTranslationUnitCursor(tu), visit, &s);
    for (size_t i = 0; i < s.nu; i++)
        resolve_use(&s, &s.u[i]);
    infer_scan(tu, &C->out->ev, &C->out->lens);
    for (size_t i = 0; i < s.nd; i++)
        free(s.d[i].name);
    free(s.d);
    free(s.u);
    clang_disposeTranslationUnit(tu);
}

int annotations_collect(const struct source_opts *o, struct model *m,
                        struct annot_list *out, char **root_out)
{
    struct collector col = {0};
    C = &col;
    col.out = out;
    struct source *srcs = NULL;
    size_t n = 0, cap = 0;
    *root_out = NULL;
    if (o->build_dir) {
        if (sources_from_db(o->build_dir, m, &srcs, &n, &cap, root_out) != 0)
            return -1;
        check_db_covers(o, m, srcs, n);
    } else {
        sources_from_dwarf(o, m, &srcs, &n, &cap);
    }
    CXIndex idx = clang_createIndex(0, 0);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < o->ndefines; k++)
            source_add_arg(&srcs[i], o->defines[k]);
        for (size_t k = 0; k < o->nincdirs; k++) {
            source_add_arg(&srcs[i], "-I");
            source_add_arg(&srcs[i], o->incdirs[k]);
        }
        parse_source(idx, o, &srcs[i]);
        source_free(&srcs[i]);
    }
    free(srcs);
    clang_disposeIndex(idx);
    C = NULL;
    return col.errors ? -1 : 0;
}
