/* infer.c - what a `void *` points to, inferred from the program itself.
 *
 * While annotations.c has a translation unit open, infer_scan() walks its expressions
 * and records evidence about each struct field and variable declared `void *`:
 *   - assigned from a typed pointer:        sc->data = sv;       (sv is StringVector *)
 *   - converted to a typed pointer at use:  (StringVector *)sc->data,
 *                                           StringVector *sv = sc->data;  sv = sc->data;
 *   - given an allocation of a struct:      sc->data = malloc(sizeof(StringVector));
 *   - passed to a function, or with a callback, whose void * parameter is converted;
 *   - assigned from a function's void * parameter (n->arg = arg): what its callers
 *     pass there (push(list, af, ...), af a struct alert_file *);
 * evidence of char types only (char *, unsigned char *, sds) makes it a char *: a
 * byte buffer, which holds nothing the planner could follow.
 * After the annotations are attached, infer_apply() turns the declarations whose
 * evidence names one struct or union, and that carry no annotation, into pointers to
 * that type (a ptr entry with the token `inferred=FILE:LINE,...`, the evidence), so the
 * planner treats them exactly as if the program had declared `T *`.  Declarations with
 * several candidate types keep `void *` and are reported with all their evidence;
 * an annotation (E_OPAQUE, E_T, E_PTR ...) always wins over the evidence.  An
 * E_OPAQUE void * with evidence keeps it as `holds=T,...`: never followed, but the
 * planner refuses an update that changes the layout of what it holds.
 *
 * The same scan reads how many elements a pointer to structs or pointers is given:
 * flows.buckets = calloc(flows.nbuckets, sizeof *flows.buckets) (a field of the same
 * object: self.nbuckets), recs = malloc(4 * sizeof *recs) (a constant).  A declaration
 * without an annotation whose every allocation agrees on one such length, other than 1,
 * gets an E_PTRARRAY of it before the annotations are attached (infer_lengths(), the
 * token `ptrarray=N inferred=FILE:LINE,...`): an array reached through a pointer to one
 * element would otherwise have only its first element transformed.  A count that is
 * neither (a local, an expression) or another shape of allocation leaves the pointer as
 * written; --explain says which. */
#include "kitc.h"

#include <clang-c/Index.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { MAX_LISTED = 8 }; /* evidence positions written into one token */

/* ---- scanning ------------------------------------------------------------------- */

struct scan {
    struct evidence_list *out;
    struct length_list *lens;
    smap canon;       /* clang file name -> index into pool */
    strpool pool;
    CXSourceLocation *bytes_refs; /* where references to a flexible void * array are
                                     inside a byte cast (scan_byte_cast), in the
                                     translation unit scanned (macro expansions too) */
    size_t nbytes_refs, capbytes_refs;
};

static struct scan *S;

static const char *canon_file(const char *name)
{
    long i = smap_get(&S->canon, name, strlen(name), -1);
    if (i >= 0)
        return S->pool.s[i];
    char *full = path_canonical(name);
    const char *p = intern(&S->pool, full);
    free(full);
    i = smap_get(&S->pool.map, p, strlen(p), -1);
    smap_put(&S->canon, name, strlen(name), i);
    return p;
}

/* Canonical file and line of a cursor's location; NULL file when it has none. */
static const char *where(CXCursor c, int *line)
{
    CXFile f;
    unsigned l, col, off;
    clang_getExpansionLocation(clang_getCursorLocation(c), &f, &l, &col, &off);
    *line = (int)l;
    if (!f)
        return NULL;
    CXString s = clang_getFileName(f);
    const char *name = clang_getCString(s);
    const char *r = name ? canon_file(name) : NULL;
    clang_disposeString(s);
    return r;
}

struct kids {
    CXCursor c[4];
    int n;
};

static enum CXChildVisitResult collect_kid(CXCursor c, CXCursor parent, CXClientData d)
{
    (void)parent;
    struct kids *k = d;
    if (k->n < 4)
        k->c[k->n] = c;
    k->n++;
    return CXChildVisit_Continue;
}

static struct kids kids_of(CXCursor c)
{
    struct kids k = {.n = 0};
    clang_visitChildren(c, collect_kid, &k);
    return k;
}

/* The last child that is an expression (a cast's operand follows its TypeRef). */
static int last_expr(CXCursor c, CXCursor *out)
{
    struct kids k = kids_of(c);
    for (int i = (k.n < 4 ? k.n : 4) - 1; i >= 0; i--)
        if (clang_isExpression(clang_getCursorKind(k.c[i]))) {
            *out = k.c[i];
            return 1;
        }
    return 0;
}

static int is_void_pointer(CXType t)
{
    return t.kind == CXType_Pointer &&
           clang_getCanonicalType(clang_getPointeeType(t)).kind == CXType_Void;
}

/* Through parentheses, implicit conversions and explicit casts to `void *`. */
static CXCursor strip(CXCursor c)
{
    for (int depth = 0; depth < 32; depth++) {
        enum CXCursorKind k = clang_getCursorKind(c);
        CXCursor inner;
        if ((k == CXCursor_UnexposedExpr || k == CXCursor_ParenExpr ||
             (k == CXCursor_CStyleCastExpr && is_void_pointer(clang_getCursorType(c)))) &&
            last_expr(c, &inner))
            c = inner;
        else
            break;
    }
    return c;
}

/* A field, variable or parameter named by expression e, or 0. */
static int named_decl(CXCursor e, CXCursor *decl)
{
    enum CXCursorKind k = clang_getCursorKind(e);
    if (k != CXCursor_MemberRefExpr && k != CXCursor_DeclRefExpr)
        return 0;
    CXCursor d = clang_getCursorReferenced(e);
    enum CXCursorKind dk = clang_getCursorKind(d);
    if (dk != CXCursor_FieldDecl && dk != CXCursor_VarDecl && dk != CXCursor_ParmDecl)
        return 0;
    *decl = d;
    return 1;
}

/* `void **` written so (no typedef at either level): its elements are the void *. */
static int is_void_pointer_pointer(CXType t)
{
    return t.kind == CXType_Pointer && is_void_pointer(clang_getPointeeType(t));
}

/* The declaration a `void *` slot belongs to: a `void *` field, variable or parameter
 * declared so directly (not through a typedef) - sc->data, g_cookie, arg - or an
 * element of a `void **` one - p->slots[i], whose evidence is about its elements
 * (a `void **` declaration has no other evidence). */
static int void_decl(CXCursor e, CXCursor *decl)
{
    if (named_decl(e, decl))
        return is_void_pointer(clang_getCursorType(*decl));
    if (clang_getCursorKind(e) != CXCursor_ArraySubscriptExpr)
        return 0;
    struct kids k = kids_of(e);
    return k.n == 2 && named_decl(strip(k.c[0]), decl) &&
           clang_getCursorKind(*decl) != CXCursor_ParmDecl &&
           is_void_pointer_pointer(clang_getCursorType(*decl));
}

static char *spelling_of_type(CXType t)
{
    CXString s = clang_getTypeSpelling(t);
    char *r = xstrdup(clang_getCString(s));
    clang_disposeString(s);
    return r;
}

/* Fills the candidate part of e from the type pointed to; 0 when it says nothing
 * (void, or not a pointer). */
static int candidate_of_target(CXType target, struct evidence *e)
{
    CXType ct = clang_getCanonicalType(target);
    if (ct.kind == CXType_Void || ct.kind == CXType_Invalid)
        return 0;
    e->type_name = spelling_of_type(target);
    e->target_name = spelling_of_type(target);
    e->bytes = ct.kind == CXType_Char_S || ct.kind == CXType_Char_U ||
               ct.kind == CXType_SChar || ct.kind == CXType_UChar;
    if (ct.kind != CXType_Record)
        return 1;
    CXCursor decl = clang_getTypeDeclaration(ct);
    CXCursor def = clang_getCursorDefinition(decl);
    if (!clang_Cursor_isNull(def))
        decl = def;
    e->record = clang_getCursorKind(decl) == CXCursor_UnionDecl ? 2 : 1;
    CXString s = clang_getCursorSpelling(decl);
    const char *tag = clang_getCString(s);
    if (tag && *tag && !strchr(tag, ' ') && !clang_Cursor_isAnonymous(decl))
        e->tag = xstrdup(tag);
    clang_disposeString(s);
    e->type_file = where(decl, &e->type_line);
    return 1;
}

/* "fn#i" of parameter i of function fn, the key of a parameter's evidence: a call
 * names the function, maybe declared elsewhere, never its parameter declarations. */
static char *param_key(CXCursor fn, int i)
{
    CXString s = clang_getCursorSpelling(fn);
    char *k = xasprintf("%s#%d", clang_getCString(s), i);
    clang_disposeString(s);
    return k;
}

static char *param_key_of(CXCursor parm)
{
    CXCursor fn = clang_getCursorSemanticParent(parm);
    int n = clang_Cursor_getNumArguments(fn);
    for (int i = 0; i < n; i++)
        if (clang_equalCursors(clang_Cursor_getArgument(fn, (unsigned)i), parm))
            return param_key(fn, i);
    return NULL;
}

static void record(CXCursor decl, CXCursor at, struct evidence *e, const char *how)
{
    enum CXCursorKind k = clang_getCursorKind(decl);
    e->target = k == CXCursor_FieldDecl ? AT_FIELD : k == CXCursor_ParmDecl ? AT_PARAM : AT_VAR;
    if (e->target == AT_PARAM) {
        e->decl_name = param_key_of(decl);
        e->decl_file = e->decl_name ? "" : NULL;
    } else {
        CXString s = clang_getCursorSpelling(decl);
        e->decl_name = xstrdup(clang_getCString(s));
        clang_disposeString(s);
        e->decl_file = where(decl, &e->decl_line);
    }
    e->file = where(at, &e->line);
    e->how = how;
    if (!e->decl_file || !e->file) {
        free(e->decl_name);
        free(e->type_name);
        free(e->tag);
        free(e->target_name);
        free(e->via);
        return;
    }
    struct evidence_list *l = S->out;
    grow(&l->e, &l->cap, l->n + 1, sizeof *l->e);
    l->e[l->n++] = *e;
}

/* The value `e` (already stripped) stored into void * declaration `decl`. */
static void stored(CXCursor decl, CXCursor e, CXCursor at);

/* `decl` converted to (or compared as) pointer type t at `at`. */
static void converted(CXCursor decl, CXType t, CXCursor at, const char *how)
{
    CXType ct = clang_getCanonicalType(t);
    if (ct.kind != CXType_Pointer)
        return;
    struct evidence e = {0};
    if (candidate_of_target(clang_getPointeeType(ct), &e)) {
        free(e.type_name);
        e.type_name = spelling_of_type(t);
        record(decl, at, &e, how);
    }
}

/* The called function's name contains `word` (any case): malloc, xcalloc, zmalloc. */
static int callee_has(CXCursor call, const char *word)
{
    CXString s = clang_getCursorSpelling(call);
    const char *name = clang_getCString(s);
    int yes = name && strcasestr(name, word) != NULL;
    clang_disposeString(s);
    return yes;
}

static int is_allocator(CXCursor call)
{
    return callee_has(call, "alloc");
}

struct sizeof_find {
    CXType type;
    int found;
};

static int is_sizeof(CXCursor c)
{
    CXTranslationUnit tu = clang_Cursor_getTranslationUnit(c);
    CXToken *toks;
    unsigned n;
    clang_tokenize(tu, clang_getCursorExtent(c), &toks, &n);
    int yes = 0;
    if (n > 0) {
        CXString s = clang_getTokenSpelling(tu, toks[0]);
        yes = strcmp(clang_getCString(s), "sizeof") == 0;
        clang_disposeString(s);
    }
    clang_disposeTokens(tu, toks, n);
    return yes;
}

/* The first sizeof(T) or sizeof expr among an allocation's arguments. */
static enum CXChildVisitResult find_sizeof(CXCursor c, CXCursor parent, CXClientData d)
{
    (void)parent;
    struct sizeof_find *f = d;
    if (clang_getCursorKind(c) != CXCursor_UnaryExpr || !is_sizeof(c))
        return CXChildVisit_Recurse;
    struct kids k = kids_of(c);
    if (k.n >= 1) {
        CXCursor arg = k.c[0];
        f->type = clang_getCursorType(clang_getCursorKind(arg) == CXCursor_ParenExpr ||
                                      clang_isExpression(clang_getCursorKind(arg))
                                          ? strip(arg)
                                          : arg);
        f->found = 1;
    }
    return CXChildVisit_Break;
}

static void link_to_param(CXCursor decl, CXCursor at, char *key, const char *how);

static void stored(CXCursor decl, CXCursor e, CXCursor at)
{
    struct evidence ev = {0};
    CXCursor parm;
    if (named_decl(e, &parm) && clang_getCursorKind(parm) == CXCursor_ParmDecl &&
        is_void_pointer(clang_getCursorType(parm))) {
        /* n->arg = arg: what the function's callers pass (scan_call) */
        char *key = param_key_of(parm);
        if (key)
            link_to_param(decl, at, key, "assigned from the parameter of");
        return;
    }
    if (clang_getCursorKind(e) == CXCursor_CallExpr && is_allocator(e)) {
        struct sizeof_find f = {.found = 0};
        clang_visitChildren(e, find_sizeof, &f);
        if (f.found && clang_getCanonicalType(f.type).kind == CXType_Record &&
            candidate_of_target(f.type, &ev)) {
            free(ev.type_name);
            char *t = spelling_of_type(f.type);
            ev.type_name = xasprintf("sizeof(%s)", t);
            free(t);
            record(decl, at, &ev, "allocated with");
        }
        return;
    }
    CXType t = clang_getCanonicalType(clang_getCursorType(e));
    if (t.kind != CXType_Pointer || !candidate_of_target(clang_getPointeeType(t), &ev))
        return;
    free(ev.type_name);
    ev.type_name = spelling_of_type(clang_getCursorType(e));
    record(decl, at, &ev, "assigned from");
}

/* The operator of a binary expression is the first punctuation after its left side. */
static int operator_is(CXCursor op, CXCursor lhs, const char *want)
{
    CXTranslationUnit tu = clang_Cursor_getTranslationUnit(op);
    unsigned lhs_end, off;
    CXFile f;
    clang_getExpansionLocation(clang_getRangeEnd(clang_getCursorExtent(lhs)), &f, NULL, NULL,
                               &lhs_end);
    CXToken *toks;
    unsigned n;
    clang_tokenize(tu, clang_getCursorExtent(op), &toks, &n);
    int yes = 0;
    for (unsigned i = 0; i < n; i++) {
        if (clang_getTokenKind(toks[i]) != CXToken_Punctuation)
            continue;
        clang_getExpansionLocation(clang_getTokenLocation(tu, toks[i]), &f, NULL, NULL, &off);
        if (off < lhs_end)
            continue;
        CXString s = clang_getTokenSpelling(tu, toks[i]);
        yes = strcmp(clang_getCString(s), want) == 0;
        clang_disposeString(s);
        break;
    }
    clang_disposeTokens(tu, toks, n);
    return yes;
}

static int is_assignment(CXCursor op, CXCursor lhs)
{
    return operator_is(op, lhs, "=");
}

/* ---- array lengths -------------------------------------------------------------- */

/* A pointer whose elements the planner follows (structs, unions, pointers): the only
 * pointers whose length matters to an update. */
static int follows_elements(CXType t)
{
    CXType ct = clang_getCanonicalType(t);
    if (ct.kind != CXType_Pointer)
        return 0;
    enum CXTypeKind k = clang_getCanonicalType(clang_getPointeeType(ct)).kind;
    return k == CXType_Record || k == CXType_Pointer;
}

/* The '*' written in a declared type itself (not through a typedef): the `stars` of an
 * annotation written after the name, which qualifies the outermost pointer. */
static int written_pointers(CXType t)
{
    int n = 0;
    for (; t.kind == CXType_Pointer && n < 64; n++)
        t = clang_getPointeeType(t);
    return n;
}

/* The value of an integer constant expression, or -1. */
static long long constant_of(CXCursor e)
{
    CXEvalResult r = clang_Cursor_Evaluate(e);
    long long v = -1;
    if (r && clang_EvalResult_getKind(r) == CXEval_Int)
        v = clang_EvalResult_getAsLongLong(r);
    if (r)
        clang_EvalResult_dispose(r);
    return v;
}

/* sizeof(T) or sizeof expr, of `size` bytes. */
static int is_sizeof_of(CXCursor e, long long size)
{
    e = strip(e);
    return clang_getCursorKind(e) == CXCursor_UnaryExpr && is_sizeof(e) && constant_of(e) == size;
}

/* a and b name the same object: one variable, or one field of the same object
 * (flows.nbuckets and flows.buckets share `flows`, c->n and c->items share `c`). */
static int same_object(CXCursor a, CXCursor b)
{
    a = strip(a);
    b = strip(b);
    enum CXCursorKind k = clang_getCursorKind(a);
    if (k != clang_getCursorKind(b) || (k != CXCursor_DeclRefExpr && k != CXCursor_MemberRefExpr) ||
        !clang_equalCursors(clang_getCursorReferenced(a), clang_getCursorReferenced(b)))
        return 0;
    if (k == CXCursor_DeclRefExpr)
        return 1;
    struct kids x = kids_of(a), y = kids_of(b);
    return x.n == 1 && y.n == 1 && same_object(x.c[0], y.c[0]);
}

static int is_integer(CXType t)
{
    enum CXTypeKind k = clang_getCanonicalType(t).kind;
    return (k >= CXType_Bool && k <= CXType_Int128) || k == CXType_Enum;
}

/* The E_PTRARRAY argument `count` elements stored through `lhs` say: "N" for a constant,
 * "self.F" for an integer field F of the object that holds the pointer, reached the same
 * way (flows.buckets = calloc(flows.nbuckets, ...)); NULL for any other count. */
static char *count_arg(CXCursor count, CXCursor lhs)
{
    long long v = constant_of(count);
    if (v > 0)
        return xasprintf("%lld", v);
    count = strip(count);
    if (clang_getCursorKind(count) != CXCursor_MemberRefExpr ||
        clang_getCursorKind(lhs) != CXCursor_MemberRefExpr)
        return NULL;
    CXCursor f = clang_getCursorReferenced(count), p = clang_getCursorReferenced(lhs);
    struct kids x = kids_of(count), y = kids_of(lhs);
    if (clang_getCursorKind(f) != CXCursor_FieldDecl || !is_integer(clang_getCursorType(f)) ||
        !clang_equalCursors(clang_getCursorSemanticParent(f), clang_getCursorSemanticParent(p)) ||
        x.n != 1 || y.n != 1 || !same_object(x.c[0], y.c[0]))
        return NULL;
    CXString s = clang_getCursorSpelling(f);
    char *r = xasprintf("self.%s", clang_getCString(s));
    clang_disposeString(s);
    return r;
}

/* The count of elements of `elem` bytes an allocation call makes: calloc(n, sizeof(T)),
 * malloc(n * sizeof(T)) or realloc(p, sizeof(T) * n) (*one = 0, *count = n), or
 * malloc(sizeof(T)) (*one = 1).  0 for a call of another shape (a byte count, a header
 * with a tail): its length is not known. */
static int allocation_count(CXCursor call, long long elem, CXCursor *count, int *one)
{
    int n = clang_Cursor_getNumArguments(call);
    if (n < 1)
        return 0;
    CXCursor size = clang_Cursor_getArgument(call, (unsigned)n - 1);
    *one = 0;
    if (callee_has(call, "calloc")) {
        if (n < 2 || !is_sizeof_of(size, elem))
            return 0;
        *count = clang_Cursor_getArgument(call, (unsigned)n - 2);
        return 1;
    }
    if (is_sizeof_of(size, elem))
        return *one = 1;
    size = strip(size);
    struct kids k = kids_of(size);
    if (clang_getCursorKind(size) != CXCursor_BinaryOperator || k.n != 2 ||
        !operator_is(size, k.c[0], "*"))
        return 0;
    for (int i = 0; i < 2; i++)
        if (is_sizeof_of(k.c[i], elem)) {
            *count = k.c[1 - i];
            return 1;
        }
    return 0;
}

static void record_length(CXCursor decl, CXCursor at, char *len)
{
    struct length_ev e = {.len = len, .stars = written_pointers(clang_getCursorType(decl))};
    e.target = clang_getCursorKind(decl) == CXCursor_FieldDecl ? AT_FIELD : AT_VAR;
    CXString s = clang_getCursorSpelling(decl);
    e.decl_name = xstrdup(clang_getCString(s));
    clang_disposeString(s);
    e.decl_file = where(decl, &e.decl_line);
    e.file = where(at, &e.line);
    if (!e.decl_file || !e.file) {
        free(e.decl_name);
        free(e.len);
        return;
    }
    struct length_list *l = S->lens;
    grow(&l->e, &l->cap, l->n + 1, sizeof *l->e);
    l->e[l->n++] = e;
}

/* `lhs = alloc(...)` into a struct field or a file-scope variable that points to
 * structs or pointers: the allocation's length, or that it has none kitc can say. */
static void scan_length(CXCursor op, CXCursor lhs_as_written, CXCursor lhs, CXCursor rhs)
{
    CXCursor decl, count;
    if (clang_getCursorKind(rhs) != CXCursor_CallExpr || !is_allocator(rhs) ||
        !named_decl(lhs, &decl) || clang_getCursorKind(decl) == CXCursor_ParmDecl ||
        (clang_getCursorKind(decl) == CXCursor_VarDecl &&
         clang_getCursorKind(clang_getCursorSemanticParent(decl)) != CXCursor_TranslationUnit))
        return;
    CXType t = clang_getCursorType(decl);
    long long elem = clang_Type_getSizeOf(clang_getPointeeType(clang_getCanonicalType(t)));
    if (!follows_elements(t) || elem <= 0 || !is_assignment(op, lhs_as_written))
        return;
    int one;
    char *len = NULL;
    if (allocation_count(rhs, elem, &count, &one))
        len = one ? xstrdup("1") : count_arg(count, lhs);
    record_length(decl, op, len);
}

static void scan_assignment(CXCursor c)
{
    struct kids k = kids_of(c);
    if (k.n != 2)
        return;
    CXCursor lhs = strip(k.c[0]), rhs = strip(k.c[1]), decl;
    scan_length(c, k.c[0], lhs, rhs);
    /* the operator's tokens are looked at only when a void * is involved */
    if (void_decl(lhs, &decl)) {
        if (is_assignment(c, k.c[0]))
            stored(decl, rhs, c);
    } else if (void_decl(rhs, &decl) && is_assignment(c, k.c[0])) {
        converted(decl, clang_getCursorType(lhs), c, "assigned to");
    }
}

static void scan_cast(CXCursor c)
{
    CXCursor operand, decl;
    if (last_expr(c, &operand) && void_decl(strip(operand), &decl))
        converted(decl, clang_getCursorType(c), c, "cast to");
}

static void scan_var_init(CXCursor c)
{
    CXCursor init, decl;
    if (!last_expr(c, &init))
        return;
    init = strip(init);
    if (is_void_pointer(clang_getCursorType(c)))
        stored(c, init, c);
    else if (void_decl(init, &decl))
        converted(decl, clang_getCursorType(c), c, "initialises");
}

/* A function named as a value (a callback): fn or &fn. */
static int function_ref(CXCursor e, CXCursor *fn)
{
    e = strip(e);
    if (clang_getCursorKind(e) == CXCursor_UnaryOperator) {
        struct kids k = kids_of(e);
        if (k.n != 1)
            return 0;
        e = strip(k.c[0]);
    }
    if (clang_getCursorKind(e) != CXCursor_DeclRefExpr)
        return 0;
    *fn = clang_getCursorReferenced(e);
    return clang_getCursorKind(*fn) == CXCursor_FunctionDecl;
}

/* The only void * parameter of fn, or -1 (none, or several: which one gets the value
 * is not known). */
static int sole_void_param(CXCursor fn)
{
    int n = clang_Cursor_getNumArguments(fn), found = -1;
    for (int i = 0; i < n; i++)
        if (is_void_pointer(clang_getCursorType(clang_Cursor_getArgument(fn, (unsigned)i)))) {
            if (found >= 0)
                return -1;
            found = i;
        }
    return found;
}

static void link_to_param(CXCursor decl, CXCursor at, char *key, const char *how)
{
    if (clang_getCursorKind(decl) == CXCursor_ParmDecl) { /* a parameter's evidence is */
        free(key);                                       /* its own, not linked on */
        return;
    }
    struct evidence e = {.via = key};
    record(decl, at, &e, how);
}

/* A void * passed to a function: f(sc->data) links it to f's parameter; with a
 * function beside it, register_cb(on_event, sc->data), to the callback's void *
 * parameter. What those parameters are converted to is the value's evidence. */
static void scan_call(CXCursor c)
{
    int n = clang_Cursor_getNumArguments(c);
    CXCursor callee = clang_getCursorReferenced(c);
    int program_fn = clang_getCursorKind(callee) == CXCursor_FunctionDecl &&
                     !clang_Location_isInSystemHeader(clang_getCursorLocation(callee));
    for (int i = 0; i < n && program_fn && i < clang_Cursor_getNumArguments(callee); i++) {
        /* push(list, af, ...) into `void *arg`: evidence of the parameter, which a
         * field assigned from it (n->arg = arg) gets by its link */
        CXCursor parm = clang_Cursor_getArgument(callee, (unsigned)i);
        CXCursor arg = strip(clang_Cursor_getArgument(c, (unsigned)i));
        if (is_void_pointer(clang_getCursorType(parm)) &&
            !is_void_pointer(clang_getCursorType(arg)))
            converted(parm, clang_getCursorType(arg), c, "passed");
    }
    for (int i = 0; i < n; i++) {
        CXCursor decl;
        if (!void_decl(strip(clang_Cursor_getArgument(c, (unsigned)i)), &decl) ||
            clang_getCursorKind(decl) == CXCursor_ParmDecl)
            continue;
        if (program_fn)
            link_to_param(decl, c, param_key(callee, i), "passed to");
        for (int j = 0; j < n; j++) {
            CXCursor fn;
            int k;
            if (j != i && function_ref(clang_Cursor_getArgument(c, (unsigned)j), &fn) &&
                (k = sole_void_param(fn)) >= 0)
                link_to_param(decl, c, param_key(fn, k), "passed with callback");
        }
    }
}

/* A flexible array member of void * (`void *end[]`), the only arrays inference looks
 * at: their elements could hold pointers, or the tail could be bytes. */
static int flex_void_field(CXCursor e, CXCursor *decl)
{
    if (clang_getCursorKind(e) != CXCursor_MemberRefExpr)
        return 0;
    CXCursor d = clang_getCursorReferenced(e);
    CXType t = clang_getCursorType(d);
    if (clang_getCursorKind(d) != CXCursor_FieldDecl || t.kind != CXType_IncompleteArray ||
        !is_void_pointer(clang_getArrayElementType(t)))
        return 0;
    *decl = d;
    return 1;
}

static int is_char_pointer(CXType t)
{
    CXType ct = clang_getCanonicalType(t);
    if (ct.kind != CXType_Pointer)
        return 0;
    enum CXTypeKind k = clang_getCanonicalType(clang_getPointeeType(ct)).kind;
    return k == CXType_Char_S || k == CXType_Char_U || k == CXType_SChar || k == CXType_UChar;
}

/* The member reference of `(char *)&x->f[i]` or `(char *)x->f` when f is a flexible
 * void * array: the operand of a byte cast, through `&`, a subscript and decay. */
static int byte_cast_member(CXCursor operand, CXCursor *member, CXCursor *decl)
{
    CXCursor e = strip(operand);
    if (clang_getCursorKind(e) == CXCursor_UnaryOperator) {
        struct kids k = kids_of(e);
        if (k.n != 1 || clang_getCursorKind(strip(k.c[0])) != CXCursor_ArraySubscriptExpr)
            return 0;
        struct kids sub = kids_of(strip(k.c[0]));
        if (sub.n != 2)
            return 0;
        e = strip(sub.c[0]);
    }
    *member = e;
    return flex_void_field(e, decl);
}

/* A flexible void * array used as bytes: `(char *)&it->end[0]`, the start of a tail of
 * bytes.  Its reference is remembered, so that visiting it (a child of this cast) does
 * not count it as a use of the elements. */
static void scan_byte_cast(CXCursor c)
{
    CXCursor operand, member, decl;
    if (!is_char_pointer(clang_getCursorType(c)) || !last_expr(c, &operand) ||
        !byte_cast_member(operand, &member, &decl))
        return;
    grow(&S->bytes_refs, &S->capbytes_refs, S->nbytes_refs + 1, sizeof *S->bytes_refs);
    S->bytes_refs[S->nbytes_refs++] = clang_getCursorLocation(member);
    struct evidence e = {.bytes = 1};
    e.type_name = spelling_of_type(clang_getCursorType(c));
    e.target_name = xstrdup("char");
    record(decl, c, &e, "address cast to");
}

/* Any other use of a flexible void * array (an element read or stored as a pointer):
 * evidence that is not bytes, so the array stays as declared. */
static void scan_flex_use(CXCursor c)
{
    CXCursor decl;
    if (!flex_void_field(c, &decl))
        return;
    CXSourceLocation at = clang_getCursorLocation(c);
    for (size_t i = 0; i < S->nbytes_refs; i++)
        if (clang_equalLocations(S->bytes_refs[i], at))
            return;
    struct evidence e = {0};
    e.type_name = xstrdup("void *");
    e.target_name = xstrdup("void *");
    record(decl, c, &e, "element used as");
}

static enum CXChildVisitResult visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    (void)data;
    if (clang_Location_isInSystemHeader(clang_getCursorLocation(c)))
        return CXChildVisit_Continue;
    switch (clang_getCursorKind(c)) {
    case CXCursor_BinaryOperator:
        scan_assignment(c);
        break;
    case CXCursor_CStyleCastExpr:
        scan_cast(c);
        scan_byte_cast(c);
        break;
    case CXCursor_MemberRefExpr:
        scan_flex_use(c);
        break;
    case CXCursor_VarDecl:
        scan_var_init(c);
        break;
    case CXCursor_CallExpr:
        scan_call(c);
        break;
    default:
        break;
    }
    return CXChildVisit_Recurse;
}

void infer_scan(void *tu, struct evidence_list *out, struct length_list *lens)
{
    static struct scan s; /* file names stay interned across translation units */
    S = &s;
    s.out = out;
    s.lens = lens;
    clang_visitChildren(clang_getTranslationUnitCursor((CXTranslationUnit)tu), visit, NULL);
    s.nbytes_refs = 0; /* cursors of this translation unit only */
    S = NULL;
}

/* ---- applying ------------------------------------------------------------------- */

/* One declaration's evidence: indexes into the list, and its distinct candidates. */
struct subject {
    long *ev;
    size_t nev, capev;
    char **cand;      /* candidate identities, in order of first evidence */
    size_t ncand, capcand;
};

struct infer {
    struct model *m;
    const struct annot_list *l;
    struct evidence_list ev; /* the evidence of fields and variables: the scan's, and
                                what their links to parameters bring (shallow copies) */
    smap subjects;    /* decl key -> index + 1 into subj */
    struct subject *subj;
    size_t nsubj, capsubj;
    smap annotated;   /* decl keys that carry an annotation */
    pmap canon;       /* DWARF path -> index into pool */
    strpool pool;
    smap reported;    /* decl keys already reported or applied */
    const char *explain;
    int explained;
};

static char *subject_key(enum ann_target kind, const char *file, int line, const char *name)
{
    return xasprintf("%d|%s|%d|%s", kind, file, line, name);
}

static char *candidate_id(const struct evidence *e)
{
    if (e->bytes) /* char *, unsigned char *, sds: one candidate, bytes */
        return xstrdup("bytes");
    if (e->record)
        return xasprintf("%d|%s|%s|%d", e->record, e->tag ? e->tag : "-",
                         e->type_file ? e->type_file : "?", e->type_line);
    return xasprintf("0|%s", e->type_name);
}

static void add_evidence(struct infer *in, const struct evidence *e)
{
    grow(&in->ev.e, &in->ev.cap, in->ev.n + 1, sizeof *in->ev.e);
    in->ev.e[in->ev.n++] = *e;
}

/* A value passed to a parameter (or with a callback) gets, at the place it is passed,
 * the evidence of that parameter: what the function converts it to. */
static void resolve_links(struct infer *in)
{
    const struct evidence_list *l = &in->l->ev;
    smap params = {0}; /* "fn#i" -> 1 + index of its first evidence */
    for (size_t i = l->n; i-- > 0;)
        if (l->e[i].target == AT_PARAM && !l->e[i].via)
            smap_put(&params, l->e[i].decl_name, strlen(l->e[i].decl_name), (long)i + 1);
    for (size_t i = 0; i < l->n; i++) {
        const struct evidence *e = &l->e[i];
        if (e->target == AT_PARAM)
            continue;
        if (!e->via) {
            add_evidence(in, e);
            continue;
        }
        long first = smap_get(&params, e->via, strlen(e->via), 0);
        for (size_t j = first ? (size_t)first - 1 : l->n; j < l->n; j++) {
            const struct evidence *p = &l->e[j];
            if (p->target != AT_PARAM || p->via || strcmp(p->decl_name, e->via) != 0)
                continue;
            struct evidence d = *p;
            d.target = e->target;
            d.decl_name = e->decl_name;
            d.decl_file = e->decl_file;
            d.decl_line = e->decl_line;
            d.file = e->file;
            d.line = e->line;
            d.via = e->via;
            d.via_how = e->how;
            d.via_file = p->file;
            d.via_line = p->line;
            add_evidence(in, &d);
        }
    }
    smap_free(&params);
}

static void index_evidence(struct infer *in)
{
    resolve_links(in);
    const struct evidence_list *l = &in->ev;
    for (size_t i = 0; i < l->n; i++) {
        const struct evidence *e = &l->e[i];
        char *k = subject_key(e->target, e->decl_file, e->decl_line, e->decl_name);
        long s = smap_get(&in->subjects, k, strlen(k), 0);
        if (!s) {
            grow(&in->subj, &in->capsubj, in->nsubj + 1, sizeof *in->subj);
            memset(&in->subj[in->nsubj], 0, sizeof *in->subj);
            s = (long)++in->nsubj;
            smap_put(&in->subjects, k, strlen(k), s);
        }
        free(k);
        struct subject *sj = &in->subj[s - 1];
        grow(&sj->ev, &sj->capev, sj->nev + 1, sizeof *sj->ev);
        sj->ev[sj->nev++] = (long)i;
        char *id = candidate_id(e);
        size_t j = 0;
        while (j < sj->ncand && strcmp(sj->cand[j], id) != 0)
            j++;
        if (j < sj->ncand) {
            free(id);
            continue;
        }
        grow(&sj->cand, &sj->capcand, sj->ncand + 1, sizeof *sj->cand);
        sj->cand[sj->ncand++] = id;
    }
    for (size_t i = 0; i < in->l->n; i++) {
        const struct annot *a = &in->l->a[i];
        if ((a->target != AT_FIELD && a->target != AT_VAR) || a->inferred)
            continue;
        char *k = subject_key(a->target, a->decl_file, a->decl_line,
                              a->decl_name ? a->decl_name : "-");
        smap_put(&in->annotated, k, strlen(k), 1);
        free(k);
    }
}

static const char *canon_of(struct infer *in, const char *file)
{
    long v = pmap_get(&in->canon, file, -1);
    if (v >= 0)
        return in->pool.s[v];
    char *c = path_canonical(file);
    const char *p = intern(&in->pool, c);
    free(c);
    v = smap_get(&in->pool.map, p, strlen(p), -1);
    pmap_put(&in->canon, file, v);
    return p;
}

/* The model's `char`, what a byte buffer's void * becomes; -1 if it has none. */
static int model_char(const struct model *m)
{
    for (size_t i = 0; i < m->nt; i++)
        if (m->t[i].kind == K_BASE && !m->t[i].clone && m->t[i].name &&
            strcmp(m->t[i].name, "char") == 0)
            return (int)i;
    return -1;
}

/* A complete struct or union of the model that is the candidate of e; -1 if none. */
static int model_type_of(struct infer *in, const struct evidence *e)
{
    struct model *m = in->m;
    enum kind want = e->record == 2 ? K_UNION : K_STRUCT;
    for (size_t i = 0; i < m->nt; i++) {
        const struct type *t = &m->t[i];
        if (t->kind != want || t->incomplete || t->clone || !t->pos.file ||
            t->pos.line != e->type_line || (t->name == NULL) != (e->tag == NULL) ||
            (t->name && strcmp(t->name, e->tag) != 0))
            continue;
        if (e->type_file && strcmp(canon_of(in, t->pos.file), e->type_file) == 0)
            return (int)i;
    }
    return -1;
}

static char *position(const struct model *m, const char *file, int line)
{
    char *rel = model_relfile(m, file);
    char *s = xasprintf("%s:%d", rel, line);
    free(rel);
    return s;
}

static char *evidence_pos(const struct model *m, const struct evidence *e)
{
    return position(m, e->file, e->line);
}

/* Where a linked parameter's evidence is, after the place the value is passed; NULL
 * for direct evidence. */
static char *via_pos(const struct model *m, const struct evidence *e)
{
    return e->via_how ? position(m, e->via_file, e->via_line) : NULL;
}

/* A list of positions "a.c:3,b.c:9", each once, at most MAX_LISTED. */
struct positions {
    sbuf b;
    char *seen[MAX_LISTED];
    size_t listed;
};

static int positions_full(const struct positions *ps)
{
    return ps->listed >= MAX_LISTED;
}

/* Adds p (taken over; NULL: nothing) unless it is listed already. */
static void positions_add(struct positions *ps, char *p)
{
    size_t j = 0;
    while (p && j < ps->listed && strcmp(ps->seen[j], p) != 0)
        j++;
    if (!p || j < ps->listed || positions_full(ps)) {
        free(p);
        return;
    }
    sb_printf(&ps->b, "%s%s", ps->listed ? "," : "", p);
    ps->seen[ps->listed++] = p;
}

static char *positions_end(struct positions *ps)
{
    for (size_t j = 0; j < ps->listed; j++)
        free(ps->seen[j]);
    return ps->b.s;
}

/* "inferred=a.c:3,b.c:9": where the evidence is, each position once. */
static char *inferred_token(const struct infer *in, const struct subject *sj)
{
    struct positions ps = {0};
    sb_puts(&ps.b, "inferred=");
    for (size_t i = 0; i < 2 * sj->nev && !positions_full(&ps); i++) {
        const struct evidence *e = &in->ev.e[sj->ev[i / 2]];
        positions_add(&ps, i % 2 ? via_pos(in->m, e) : evidence_pos(in->m, e));
    }
    return positions_end(&ps);
}

/* ---- lengths of arrays ---------------------------------------------------------- */

static int same_decl(const struct length_ev *a, const struct length_ev *b)
{
    return a->target == b->target && a->decl_line == b->decl_line &&
           strcmp(a->decl_file, b->decl_file) == 0 && strcmp(a->decl_name, b->decl_name) == 0;
}

/* The length every allocation of e's declaration gives it, or NULL: they differ, one of
 * them is not a constant or a field, or they all say 1 (what a pointer means anyway). */
static const char *agreed_length(const struct length_list *ll, const struct length_ev *e)
{
    const char *len = e->len;
    for (size_t i = 0; i < ll->n && len; i++)
        if (same_decl(&ll->e[i], e) && (!ll->e[i].len || strcmp(ll->e[i].len, len) != 0))
            len = NULL;
    return len && strcmp(len, "1") != 0 ? len : NULL;
}

/* "a.c:3,b.c:9": where the allocations of e's declaration are, each once. */
static char *length_positions(const struct model *m, const struct length_list *ll,
                              const struct length_ev *e)
{
    struct positions ps = {0};
    for (size_t i = 0; i < ll->n && !positions_full(&ps); i++)
        if (same_decl(&ll->e[i], e))
            positions_add(&ps, position(m, ll->e[i].file, ll->e[i].line));
    return positions_end(&ps);
}

void infer_lengths(const struct model *m, struct annot_list *l)
{
    smap done = {0}; /* declarations annotated in the source, or already decided */
    for (size_t i = 0; i < l->n; i++) {
        const struct annot *a = &l->a[i];
        char *k = subject_key(a->target, a->decl_file, a->decl_line,
                              a->decl_name ? a->decl_name : "-");
        smap_put(&done, k, strlen(k), 1);
        free(k);
    }
    for (size_t i = 0; i < l->lens.n; i++) {
        const struct length_ev *e = &l->lens.e[i];
        char *k = subject_key(e->target, e->decl_file, e->decl_line, e->decl_name);
        int skip = smap_get(&done, k, strlen(k), 0) != 0;
        smap_put(&done, k, strlen(k), 1);
        free(k);
        const char *len = skip ? NULL : agreed_length(&l->lens, e);
        if (!len)
            continue;
        grow(&l->a, &l->cap, l->n + 1, sizeof *l->a);
        l->a[l->n++] = (struct annot){
            .kind = A_PTRARRAY, .arg = xstrdup(len), .where = xasprintf("%s:%d", e->file, e->line),
            .target = e->target, .decl_name = xstrdup(e->decl_name),
            .decl_file = xstrdup(e->decl_file), .decl_line = e->decl_line, .stars = e->stars,
            .bracket = -1, .inferred = length_positions(m, &l->lens, e)};
    }
    smap_free(&done);
}

/* "candidates=struct_num,struct_text": the types a conflicting void * was seen with,
 * so that xfgen can name them in its diagnostic. */
static char *candidates_token(const struct infer *in, const struct subject *sj,
                              const char *word)
{
    sbuf b = {0};
    sb_puts(&b, word);
    size_t listed = 0;
    for (size_t c = 0; c < sj->ncand; c++) {
        for (size_t i = 0; i < sj->nev; i++) {
            const struct evidence *e = &in->ev.e[sj->ev[i]];
            char *id = candidate_id(e);
            int match = strcmp(id, sj->cand[c]) == 0;
            free(id);
            if (!match)
                continue;
            if (listed++)
                sb_puts(&b, ",");
            for (const char *p = e->target_name; *p; p++)
                sb_put(&b, isspace((unsigned char)*p) ? "_" : p, 1);
            break;
        }
    }
    return b.s;
}

static void print_evidence(const struct infer *in, const struct subject *sj, FILE *out,
                           const char *indent)
{
    for (size_t i = 0; i < sj->nev; i++) {
        const struct evidence *e = &in->ev.e[sj->ev[i]];
        char *p = evidence_pos(in->m, e), *v = via_pos(in->m, e);
        if (v)
            fprintf(out, "%s%s: %s %.*s (%s: %s %s)\n", indent, p, e->via_how,
                    (int)strcspn(e->via, "#"), e->via, v, e->how, e->type_name);
        else
            fprintf(out, "%s%s: %s %s\n", indent, p, e->how, e->type_name);
        free(p);
        free(v);
    }
}

static char *decl_label(const struct model *m, const char *owner, const char *name,
                        struct pos pos)
{
    char *rel = pos.file ? model_relfile(m, pos.file) : xstrdup("?");
    char *s = owner ? xasprintf("%s.%s (%s:%d)", owner, name, rel, pos.line)
                    : xasprintf("%s (%s:%d)", name, rel, pos.line);
    free(rel);
    return s;
}

/* Whether FIELD of --explain names this declaration: "S.f", "struct S.f", "f" or a
 * variable's name. */
static int explain_matches(const char *want, const char *owner, const char *name)
{
    if (!want)
        return 0;
    if (strncmp(want, "struct ", 7) == 0)
        want += 7;
    else if (strncmp(want, "union ", 6) == 0)
        want += 6;
    const char *dot = strrchr(want, '.');
    if (!dot)
        return strcmp(want, name) == 0;
    return owner && strcmp(dot + 1, name) == 0 &&
           strlen(owner) == (size_t)(dot - want) && strncmp(owner, want, dot - want) == 0;
}

enum verdict { V_NONE, V_ANNOTATED, V_INFERRED, V_CONFLICT, V_UNUSABLE };

static void explain(struct infer *in, const char *label, enum verdict v, const struct subject *sj,
                    const char *type)
{
    in->explained++;
    switch (v) {
    case V_NONE:
        printf("%s: void *, no evidence in the source of what it points to\n", label);
        return;
    case V_ANNOTATED:
        printf("%s: annotated in the source; the annotation is used, not this evidence:\n",
               label);
        break;
    case V_INFERRED:
        printf("%s: void * inferred as %s *, from:\n", label,
               in->ev.e[sj->ev[0]].bytes ? "char" : type);
        break;
    case V_CONFLICT:
        printf("%s: void * with %zu candidate types, left void * (annotate it or write "
               "a rule):\n", label, sj->ncand);
        break;
    case V_UNUSABLE:
        printf("%s: void * holding a %s *, not a pointer to a struct or union defined "
               "in this object; left void *:\n", label, type);
        break;
    }
    print_evidence(in, sj, stdout, "  ");
}

/* --explain of a pointer the program stores allocations into: the length they give. */
static void explain_length(struct infer *in, enum ann_target kind, const char *owner,
                           const char *name, struct pos pos)
{
    if (!pos.file || !name || !explain_matches(in->explain, owner, name))
        return;
    const struct length_list *ll = &in->l->lens;
    struct length_ev want = {.target = kind, .decl_name = (char *)name,
                             .decl_file = canon_of(in, pos.file), .decl_line = pos.line};
    const struct length_ev *first = NULL;
    for (size_t i = 0; i < ll->n && !first; i++)
        if (same_decl(&ll->e[i], &want))
            first = &ll->e[i];
    if (!first)
        return;
    char *k = subject_key(kind, want.decl_file, pos.line, name);
    int annotated = smap_get(&in->annotated, k, strlen(k), 0) != 0;
    free(k);
    const char *len = agreed_length(ll, first);
    int all_one = 1;
    for (size_t i = 0; i < ll->n; i++)
        if (same_decl(&ll->e[i], first) && (!ll->e[i].len || strcmp(ll->e[i].len, "1") != 0))
            all_one = 0;
    char *label = decl_label(in->m, owner, name, pos);
    in->explained++;
    if (annotated)
        printf("%s: annotated in the source; the annotation is used, not these "
               "allocations:\n", label);
    else if (len)
        printf("%s: points to %s elements (E_PTRARRAY(%s) inferred), from:\n", label, len, len);
    else if (all_one)
        printf("%s: points to one element, as allocated:\n", label);
    else
        printf("%s: points to one element: the allocations give no one length (annotate "
               "it E_PTRARRAY(n) if it points to an array):\n", label);
    for (size_t i = 0; i < ll->n; i++) {
        const struct length_ev *e = &ll->e[i];
        if (!same_decl(e, first))
            continue;
        char *p = position(in->m, e->file, e->line);
        if (e->len)
            printf("  %s: allocated with %s element%s\n", p, e->len,
                   strcmp(e->len, "1") == 0 ? "" : "s");
        else
            printf("  %s: allocated with a length that is neither a constant nor a field "
                   "of the same object\n", p);
        free(p);
    }
    free(label);
}

/* glibc's usable size of a malloc(n) (as plan_usable_size): what the update reads. */
static uint64_t usable_size(uint64_t n)
{
    uint64_t chunk = (n + 8 + 15) & ~(uint64_t)15;
    return (chunk < 32 ? 32 : chunk) - 8;
}

/* For a field with several candidate types that the allocation's size cannot tell
 * apart (two structs of one usable size, or one that is not a struct), the stub of the
 * SWITCH rule that decides each object by a tag of its struct (docs/xf-language.md
 * §2.3.3), on stderr.  The tag is a guess (the struct's first enum member, else an
 * integer member named like a tag), the values placeholders. */
static void print_switch_stub(struct infer *in, const struct subject *sj, int holder,
                              const char *name)
{
    struct model *m = in->m;
    if (holder < 0 || !m->t[holder].name)
        return;
    sbuf cases = {0};
    uint64_t sizes[64];
    int clash = 0, n = 0;
    for (size_t c = 0; c < sj->ncand && n < 64; c++) {
        const struct evidence *e = NULL;
        for (size_t i = 0; i < sj->nev && !e; i++) {
            char *id = candidate_id(&in->ev.e[sj->ev[i]]);
            if (strcmp(id, sj->cand[c]) == 0)
                e = &in->ev.e[sj->ev[i]];
            free(id);
        }
        int t = e && e->record ? model_type_of(in, e) : -1;
        if (t < 0) {
            clash = 1; /* not a struct: no size to tell it by */
            sb_printf(&cases, " %d: (opaque)", n + 1);
            n++;
            continue;
        }
        sizes[n] = usable_size(m->t[t].size);
        for (int j = 0; j < n; j++) /* glibc may hand out 16 bytes more (plan_pointer.c) */
            clash |= sizes[j] == sizes[n] || sizes[j] + 16 == sizes[n] || sizes[n] + 16 == sizes[j];
        sb_printf(&cases, " %d: %s", n + 1, e->target_name);
        n++;
    }
    const struct type *h = &m->t[holder];
    const char *tag = NULL;
    for (int pass = 0; pass < 2 && !tag; pass++)
        for (size_t i = 0; i < h->nmem && !tag; i++) {
            int ft = h->mem[i].type;
            while (m->t[ft].kind == K_TYPEDEF)
                ft = m->t[ft].target;
            const char *mn = h->mem[i].name;
            if (mn && (pass == 0 ? m->t[ft].kind == K_ENUM
                                 : m->t[ft].kind == K_BASE &&
                                       (strstr(mn, "type") || strstr(mn, "kind") ||
                                        strstr(mn, "tag"))))
                tag = mn;
        }
    if (clash)
        fprintf(stderr, "  their allocations cannot be told apart by size; a rule deciding "
                "by a tag of the %s (its value for each type):\n  SWITCH %s %s.%s ON "
                "self.%s {%s }\n", h->name, h->kind == K_UNION ? "union" : "struct", h->name,
                name, tag ? tag : "TAG", cases.s ? cases.s : "");
    sb_free(&cases);
}

/* The pointer type `void *` declaration `label` becomes; or `type` unchanged. */
static int infer_one(struct infer *in, enum ann_target kind, const char *owner, int holder,
                     const char *name, struct pos pos, int type)
{
    struct model *m = in->m;
    const struct type *t = &m->t[type];
    if (!pos.file || !name)
        return type;
    const char *file = canon_of(in, pos.file);
    char *k = subject_key(kind, file, pos.line, name);
    long s = smap_get(&in->subjects, k, strlen(k), 0);
    int annotated = smap_get(&in->annotated, k, strlen(k), 0) != 0;
    int plain_void = t->kind == K_PTR && !t->annot && m->t[t->target].kind == K_VOID &&
                     !m->t[t->target].annot;
    if (!plain_void && !(annotated && s)) {
        free(k);
        return type; /* not declared void * (the evidence is about a shadowed name) */
    }
    int first = smap_get(&in->reported, k, strlen(k), 0) == 0;
    smap_put(&in->reported, k, strlen(k), 1);
    free(k);
    int want_explain = first && explain_matches(in->explain, owner, name);
    char *label = want_explain || (s && first) ? decl_label(m, owner, name, pos) : NULL;
    int result = type;
    const struct subject *sj = s ? &in->subj[s - 1] : NULL;
    const struct evidence *e0 = sj ? &in->ev.e[sj->ev[0]] : NULL;
    enum verdict v = V_NONE;
    if (sj && annotated) {
        v = V_ANNOTATED;
        if (t->kind == K_PTR && t->annot && strstr(t->annot, "opaque") &&
            m->t[t->target].kind == K_VOID) {
            /* never followed, but what it holds is known: the planner checks that
             * those types keep their layout (plan_pointer.c, opaque_layout_check) */
            result = type_clone(m, type);
            char *tok = candidates_token(in, sj, "holds=");
            type_add_annot(&m->t[result], tok);
            free(tok);
        }
    } else if (sj && sj->ncand > 1) {
        v = V_CONFLICT;
        if (first) {
            fprintf(stderr, "kitc: warning: %s: void * with %zu candidate types; the "
                    "update tells its objects apart by allocation size if it can (else "
                    "annotate it, e.g. E_OPAQUE, or write a rule):\n", label, sj->ncand);
            print_evidence(in, sj, stderr, "  ");
            print_switch_stub(in, sj, holder, name);
        }
        result = type_clone(m, type);
        char *tok = candidates_token(in, sj, "candidates=");
        type_add_annot(&m->t[result], tok);
        free(tok);
    } else if (sj) {
        /* a byte buffer holds no pointer the planner could follow: a char * */
        int target = e0->record ? model_type_of(in, e0) : e0->bytes ? model_char(m) : -1;
        if (target < 0) {
            v = V_UNUSABLE;
        } else {
            v = V_INFERRED;
            result = type_clone(m, type);
            m->t[result].target = target;
            char *tok = inferred_token(in, sj);
            type_add_annot(&m->t[result], tok);
            free(tok);
        }
    }
    if (want_explain)
        explain(in, label, v, sj, e0 ? e0->target_name : NULL);
    free(label);
    return result;
}

/* A flexible array member declared `void *end[]` whose every use in the source is its
 * address cast to a char pointer ((char *)&it->end[0]: memcached's key and data after
 * the item's header) holds bytes, not pointers: it becomes `char end[]`, nothing to
 * follow in it, nothing to size.  Any other use (an element read or stored), an
 * annotation (E_ARRAY), or no use at all leaves it as declared. */
static int infer_flex(struct infer *in, const char *owner, const char *name, struct pos pos,
                      int type)
{
    struct model *m = in->m;
    const struct type *t = &m->t[type];
    if (t->kind != K_ARRAY || t->count >= 0 || !pos.file || !name)
        return type;
    const struct type *el = &m->t[t->target];
    if (el->kind != K_PTR || el->annot || m->t[el->target].kind != K_VOID)
        return type;
    char *k = subject_key(AT_FIELD, canon_of(in, pos.file), pos.line, name);
    long s = smap_get(&in->subjects, k, strlen(k), 0);
    int annotated = t->annot || smap_get(&in->annotated, k, strlen(k), 0) != 0;
    free(k);
    const struct subject *sj = s ? &in->subj[s - 1] : NULL;
    int chr = model_char(m);
    int bytes = sj && !annotated && sj->ncand == 1 && in->ev.e[sj->ev[0]].bytes && chr >= 0;
    if (explain_matches(in->explain, owner, name)) {
        char *label = decl_label(m, owner, name, pos);
        in->explained++;
        printf("%s: flexible array of void *, %s\n", label,
               bytes ? "inferred as char[] (bytes), from:"
               : annotated ? "annotated in the source; the annotation is used"
               : sj ? "not only used as bytes; left as declared:"
                    : "no use in the source; left as declared");
        if (sj && !annotated)
            print_evidence(in, sj, stdout, "  ");
        free(label);
    }
    if (!bytes)
        return type;
    int r = type_clone(m, type);
    m->t[r].target = chr;
    char *tok = inferred_token(in, sj);
    type_add_annot(&m->t[r], tok);
    free(tok);
    return r;
}

/* infer_one for a declaration; a `void **` one (no annotation, no typedef) gets what
 * the evidence about its elements says (p->slots[i] cast to item *: an item **). */
static int infer_decl(struct infer *in, enum ann_target kind, const char *owner, int holder,
                      const char *name, struct pos pos, int type)
{
    struct model *m = in->m;
    const struct type *t = &m->t[type];
    /* a length on the outer pointer (E_PTRARRAY, written or inferred) says nothing of
     * the elements; a written one keeps the declaration annotated (infer_one) */
    int length_only = t->annot && strncmp(t->annot, "ptrarray=", 9) == 0;
    if (t->kind != K_PTR || (t->annot && !length_only) || m->t[t->target].kind != K_PTR ||
        m->t[m->t[t->target].target].kind != K_VOID)
        return infer_one(in, kind, owner, holder, name, pos, type);
    int inner = infer_one(in, kind, owner, holder, name, pos, t->target);
    if (inner == m->t[type].target)
        return type;
    int r = type_clone(m, type);
    m->t[r].target = inner;
    return r;
}

/* A struct used with E_G is a clone made before inference (attach.c): its members
 * follow the struct it instantiates wherever that one's void * became inferred. */
static void follow_instances(struct model *m)
{
    for (size_t i = 0; i < m->nt; i++) {
        struct type *t = &m->t[i];
        if (!t->clone || t->origin < 0 || (t->kind != K_STRUCT && t->kind != K_UNION))
            continue;
        const struct type *o = &m->t[t->origin];
        for (size_t j = 0; j < t->nmem && j < o->nmem; j++) {
            const struct type *ot = &m->t[o->mem[j].type];
            int inferred = ot->annot && (strncmp(ot->annot, "inferred=", 9) == 0 ||
                                         strncmp(ot->annot, "candidates=", 11) == 0);
            if (t->mem[j].type != o->mem[j].type && inferred)
                t->mem[j].type = o->mem[j].type;
        }
    }
}

int infer_apply(struct model *m, const struct annot_list *l, const char *explain_name)
{
    struct infer in = {0};
    in.m = m;
    in.l = l;
    in.explain = explain_name;
    index_evidence(&in);
    size_t n = m->nt;
    for (size_t i = 0; i < n; i++) {
        if ((m->t[i].kind != K_STRUCT && m->t[i].kind != K_UNION) || m->t[i].clone)
            continue;
        for (size_t j = 0; j < m->t[i].nmem; j++) {
            struct member *mb = &m->t[i].mem[j];
            const char *owner = m->t[i].name ? m->t[i].name : "-";
            explain_length(&in, AT_FIELD, owner, mb->name, mb->pos);
            int r = infer_decl(&in, AT_FIELD, owner, (int)i, mb->name, mb->pos, mb->type);
            m->t[i].mem[j].type = infer_flex(&in, owner, mb->name, mb->pos, r);
        }
    }
    follow_instances(m);
    for (size_t i = 0; i < m->nv; i++) {
        explain_length(&in, AT_VAR, NULL, m->v[i].name, m->v[i].pos);
        m->v[i].type = infer_decl(&in, AT_VAR, NULL, -1, m->v[i].name, m->v[i].pos,
                                  m->v[i].type);
    }
    if (explain_name && !in.explained)
        printf("%s: no struct field or variable of that name is declared void * or given "
               "allocations in this object\n", explain_name);
    for (size_t i = 0; i < in.nsubj; i++) {
        for (size_t j = 0; j < in.subj[i].ncand; j++)
            free(in.subj[i].cand[j]);
        free(in.subj[i].cand);
        free(in.subj[i].ev);
    }
    free(in.subj);
    free(in.ev.e);
    smap_free(&in.subjects);
    smap_free(&in.annotated);
    smap_free(&in.reported);
    pmap_free(&in.canon);
    return 0;
}
