/*
 * xf_parse.c — parser for the xf rule language and scanner for `$`-escapes.
 *
 * Layout of this file:
 *   1. small helpers (strings, growable arrays, error messages)
 *   2. the source cursor (byte position with line and column)
 *   3. the rule-mode lexer (white space, comments, words, punctuation)
 *   4. code blocks: brace matching that understands C literals and comments
 *   5. paths: turning one word into a variable key or a type with fields
 *   6. the parser proper (file, rule, label) and the public entry points
 *   7. the `$`-escape scanner
 *
 * The parser is a hand-written recursive-descent parser without recursion: the
 * grammar is flat (file -> rules -> labels -> paths). It stops at the first error
 * and reports it as "FILE:LINE:COL: expected X, found Y". Every allocation is
 * checked; on failure everything built so far is released. The grammar and the
 * decisions taken here are documented in docs/xf-language.md.
 */
#include "xf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define XF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define XF_PRINTF(f, a)
#endif

/* ======================================================================== */
/* 1. Helpers                                                               */
/* ======================================================================== */

static char *dup_range(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static char *dup_str(const char *s)
{
    return dup_range(s, strlen(s));
}

/* Grows *arr (of *cap elements of size `size`) so that it holds `need` elements. */
static int grow(void **arr, int *cap, int need, size_t size)
{
    if (need <= *cap)
        return 0;
    if (need > INT_MAX / 2)
        return -1;
    int ncap = *cap ? *cap * 2 : 4;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(*arr, (size_t)ncap * size);
    if (n == NULL)
        return -1;
    *arr = n;
    *cap = ncap;
    return 0;
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_ident_start(int c)
{
    return is_alpha(c) || c == '_' || c == '$';
}

static int is_ident_char(int c)
{
    return is_ident_start(c) || is_digit(c);
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Writes "PATH:LINE:COL: MESSAGE" into err. Always returns -1. */
static int XF_PRINTF(6, 0)
vreport(char *err, size_t errlen, const char *path, int line, int col,
        const char *fmt, va_list ap)
{
    if (err == NULL || errlen == 0)
        return -1;
    int n = snprintf(err, errlen, "%s:%d:%d: ", path, line, col);
    if (n < 0) {
        err[0] = '\0';
        return -1;
    }
    if ((size_t)n < errlen)
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    return -1;
}

static int XF_PRINTF(6, 7)
report(char *err, size_t errlen, const char *path, int line, int col,
       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(err, errlen, path, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

/* Describes the byte c (or end of input when c < 0) for "found ..." texts. */
static void describe_char(int c, const char *at_end, char *buf, size_t n)
{
    if (c < 0)
        snprintf(buf, n, "%s", at_end);
    else if (c == '\n')
        snprintf(buf, n, "end of line");
    else if (c == '\'')
        snprintf(buf, n, "\"'\"");
    else if (c > ' ' && c < 127)
        snprintf(buf, n, "'%c'", c);
    else if (c == ' ' || c == '\t' || c == '\r')
        snprintf(buf, n, "white space");
    else
        snprintf(buf, n, "byte 0x%02x", (unsigned)c);
}

/* Quotes at most 40 bytes of s[0..len) as 'text' or 'text...'. */
static void quote_text(const char *s, size_t len, char *buf, size_t n)
{
    if (len > 40)
        snprintf(buf, n, "'%.37s...'", s);
    else
        snprintf(buf, n, "'%.*s'", (int)len, s);
}

/* ======================================================================== */
/* 2. Source cursor                                                         */
/* ======================================================================== */

struct cursor {
    const char *text;
    size_t len;
    size_t pos;
    int line, col;
};

/* The byte `ahead` positions after the cursor, or -1 past the end. */
static int peek(const struct cursor *c, size_t ahead)
{
    size_t i = c->pos + ahead;
    return i < c->len ? (unsigned char)c->text[i] : -1;
}

static void advance(struct cursor *c)
{
    if (c->pos >= c->len)
        return;
    if (c->text[c->pos] == '\n') {
        c->line++;
        c->col = 1;
    } else {
        c->col++;
    }
    c->pos++;
}

static void advance_n(struct cursor *c, size_t n)
{
    while (n-- > 0)
        advance(c);
}

/* ======================================================================== */
/* 3. Rule-mode lexer                                                       */
/* ======================================================================== */

enum tok_kind {
    TK_EOF,
    TK_WORD,   /* a path or keyword: letters, digits, _ $ . / # @ - */
    TK_ARROW,  /* -> */
    TK_COMMA,
    TK_COLON,
    TK_LBRACE,
    TK_RBRACE,
    TK_DROPPED, /* (dropped) */
    TK_OPAQUE,  /* (opaque), in a SWITCH arm */
    TK_BAD     /* any other byte */
};

struct token {
    enum tok_kind kind;
    size_t start, end;
    int line, col;
};

struct parser {
    const char *path;
    struct cursor cur;
    struct token tok;      /* the current (look-ahead) token */
    char *err;
    size_t errlen;
};

static int XF_PRINTF(4, 5)
fail_at(struct parser *p, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(p->err, p->errlen, p->path, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

static int oom(struct parser *p)
{
    return fail_at(p, p->tok.line, p->tok.col, "out of memory");
}

static const char *tok_text(const struct parser *p, const struct token *t)
{
    return p->cur.text + t->start;
}

static size_t tok_len(const struct token *t)
{
    return t->end - t->start;
}

static int tok_is(const struct parser *p, const struct token *t, const char *word)
{
    size_t n = strlen(word);
    return t->kind == TK_WORD && tok_len(t) == n && memcmp(tok_text(p, t), word, n) == 0;
}

static void describe_tok(const struct parser *p, const struct token *t, char *buf, size_t n)
{
    switch (t->kind) {
    case TK_EOF:    snprintf(buf, n, "end of file"); break;
    case TK_WORD:   quote_text(tok_text(p, t), tok_len(t), buf, n); break;
    case TK_ARROW:  snprintf(buf, n, "'->'"); break;
    case TK_COMMA:  snprintf(buf, n, "','"); break;
    case TK_COLON:  snprintf(buf, n, "':'"); break;
    case TK_LBRACE: snprintf(buf, n, "'{'"); break;
    case TK_RBRACE: snprintf(buf, n, "'}'"); break;
    case TK_DROPPED: snprintf(buf, n, "'(dropped)'"); break;
    case TK_OPAQUE: snprintf(buf, n, "'(opaque)'"); break;
    case TK_BAD:
        describe_char((unsigned char)*tok_text(p, t), "end of file", buf, n);
        break;
    }
}

/* Reports "expected WHAT, found <current token>" at the current token. */
static int fail_expected(struct parser *p, const char *what)
{
    char found[64];
    describe_tok(p, &p->tok, found, sizeof found);
    return fail_at(p, p->tok.line, p->tok.col, "expected %s, found %s", what, found);
}

/* Skips white space, // comments (to the end of the line) and block comments. */
static int skip_space_and_comments(struct parser *p)
{
    struct cursor *c = &p->cur;
    for (;;) {
        int ch = peek(c, 0);
        if (ch >= 0 && is_space(ch)) {
            advance(c);
        } else if (ch == '/' && peek(c, 1) == '/') {
            while (peek(c, 0) >= 0 && peek(c, 0) != '\n')
                advance(c);
        } else if (ch == '/' && peek(c, 1) == '*') {
            int line = c->line, col = c->col;
            advance_n(c, 2);
            while (peek(c, 0) >= 0 && !(peek(c, 0) == '*' && peek(c, 1) == '/'))
                advance(c);
            if (peek(c, 0) < 0)
                return fail_at(p, line, col,
                               "unterminated comment: expected '*/' before end of file");
            advance_n(c, 2);
        } else {
            return 0;
        }
    }
}

static int is_word_start(int c)
{
    return is_ident_char(c) || c == '.';
}

/* After a '.', `<union at f.c:12>` or `<a,b>` (an anonymous member, named where its
 * type is declared or by its members) is part of the word, spaces and all, up to the
 * '>' on the same line: its length, or 0. */
static size_t anon_segment(const struct cursor *c)
{
    if (peek(c, 0) != '<' || c->pos == 0 || c->text[c->pos - 1] != '.')
        return 0;
    for (size_t i = 1; peek(c, i) >= 0 && peek(c, i) != '\n'; i++)
        if (peek(c, i) == '>')
            return i + 1;
    return 0;
}

/* Whether the byte `ahead` of the cursor continues a word. '/' does not when it
 * starts a comment, '-' does not when it starts '->'. */
static int continues_word(const struct cursor *c, size_t ahead)
{
    int ch = peek(c, ahead);
    if (ch < 0)
        return 0;
    if (is_ident_char(ch) || ch == '.' || ch == '#' || ch == '@')
        return 1;
    if (ch == '/') {
        int nx = peek(c, ahead + 1);
        return nx != '/' && nx != '*';
    }
    if (ch == '-')
        return peek(c, ahead + 1) != '>';
    return 0;
}

/* Reads the next token into p->tok. */
static int next_token(struct parser *p)
{
    if (skip_space_and_comments(p) < 0)
        return -1;
    struct cursor *c = &p->cur;
    struct token *t = &p->tok;
    t->start = c->pos;
    t->line = c->line;
    t->col = c->col;
    int ch = peek(c, 0);
    if (ch < 0) {
        t->kind = TK_EOF;
    } else if (ch == '-' && peek(c, 1) == '>') {
        t->kind = TK_ARROW;
        advance_n(c, 2);
    } else if (ch == '(' && c->pos + 9 <= c->len && memcmp(c->text + c->pos, "(dropped)", 9) == 0) {
        t->kind = TK_DROPPED;
        advance_n(c, 9);
    } else if (ch == '(' && c->pos + 8 <= c->len && memcmp(c->text + c->pos, "(opaque)", 8) == 0) {
        t->kind = TK_OPAQUE;
        advance_n(c, 8);
    } else if (ch == '\'' || (ch == '-' && peek(c, 1) >= 0 && is_digit(peek(c, 1)))) {
        /* a SWITCH value: 'a', '\n', -1 (a word elsewhere is never one) */
        t->kind = TK_WORD;
        advance(c);
        if (ch == '\'') {
            if (peek(c, 0) == '\\')
                advance(c);
            if (peek(c, 0) >= 0 && peek(c, 0) != '\n')
                advance(c);
            if (peek(c, 0) == '\'')
                advance(c);
        } else {
            while (continues_word(c, 0))
                advance(c);
        }
    } else if (is_word_start(ch)) {
        t->kind = TK_WORD;
        advance(c);
        for (;;) {
            size_t n = anon_segment(c);
            if (n)
                advance_n(c, n);
            else if (continues_word(c, 0))
                advance(c);
            else
                break;
        }
    } else {
        switch (ch) {
        case ',': t->kind = TK_COMMA; break;
        case ':': t->kind = TK_COLON; break;
        case '{': t->kind = TK_LBRACE; break;
        case '}': t->kind = TK_RBRACE; break;
        default:  t->kind = TK_BAD; break;
        }
        advance(c);
    }
    t->end = c->pos;
    return 0;
}

/* ======================================================================== */
/* 4. Code blocks                                                           */
/* ======================================================================== */

/* Skips a C string or character literal starting at the cursor (on the quote). */
static int skip_c_literal(struct parser *p)
{
    struct cursor *c = &p->cur;
    int quote = peek(c, 0);
    int line = c->line, col = c->col;
    const char *what = quote == '"' ? "string literal" : "character literal";
    const char *close = quote == '"' ? "'\"'" : "\"'\"";
    advance(c);
    for (;;) {
        int ch = peek(c, 0);
        if (ch < 0 || ch == '\n')
            return fail_at(p, line, col,
                           "unterminated %s in code block: expected %s before %s", what,
                           close, ch < 0 ? "end of file" : "end of line");
        advance(c);
        if (ch == quote)
            return 0;
        if (ch == '\\') {
            if (peek(c, 0) == '\r' && peek(c, 1) == '\n')
                advance(c);
            advance(c); /* the escaped byte, a newline included */
        }
    }
}

/* Skips a C comment starting at the cursor (on the '/'). */
static int skip_c_comment(struct parser *p)
{
    struct cursor *c = &p->cur;
    int line = c->line, col = c->col;
    if (peek(c, 1) == '/') {
        /* A backslash at the end of the line continues a // comment in C. */
        while (peek(c, 0) >= 0 && peek(c, 0) != '\n') {
            if (peek(c, 0) == '\\' && peek(c, 1) == '\n')
                advance(c);
            else if (peek(c, 0) == '\\' && peek(c, 1) == '\r' && peek(c, 2) == '\n')
                advance_n(c, 2);
            advance(c);
        }
        return 0;
    }
    advance_n(c, 2);
    while (peek(c, 0) >= 0 && !(peek(c, 0) == '*' && peek(c, 1) == '/'))
        advance(c);
    if (peek(c, 0) < 0)
        return fail_at(p, line, col,
                       "unterminated comment in code block: expected '*/' before end of file");
    advance_n(c, 2);
    return 0;
}

/*
 * The current token is '{' and the cursor is just after it. Scans to the
 * matching '}', ignoring braces in literals and comments, and stores the text
 * between the braces and the position of its first byte.
 */
static int read_code_block(struct parser *p, char **code, int *line, int *col)
{
    struct cursor *c = &p->cur;
    const struct token open = p->tok;
    size_t start = c->pos;
    size_t depth = 1;
    *line = c->line;
    *col = c->col;
    for (;;) {
        int ch = peek(c, 0);
        if (ch < 0)
            return fail_at(p, open.line, open.col,
                           "unterminated code block: expected '}' before end of file "
                           "to close this '{'");
        if (ch == '"' || ch == '\'') {
            if (skip_c_literal(p) < 0)
                return -1;
        } else if (ch == '/' && (peek(c, 1) == '/' || peek(c, 1) == '*')) {
            if (skip_c_comment(p) < 0)
                return -1;
        } else if (ch == '{') {
            depth++;
            advance(c);
        } else if (ch == '}' && --depth == 0) {
            *code = dup_range(c->text + start, c->pos - start);
            if (*code == NULL)
                return oom(p);
            advance(c);
            return 0;
        } else {
            advance(c);
        }
    }
}

/* ======================================================================== */
/* 5. Paths                                                                 */
/* ======================================================================== */

/*
 * A path is one word (no white space inside), except that `struct`, `union`,
 * `enum` and `typedef` are separate words followed by the type's word. The
 * functions below check a word byte by byte so that errors point at the exact
 * column. A word is described by `struct word`.
 */
struct word {
    const char *s;
    size_t n;
    int line, col; /* position of s[0] */
};

/* Length of the identifier at w->s[i], 0 if there is none. */
static size_t ident_at(const struct word *w, size_t i)
{
    size_t j = i;
    if (j < w->n && is_ident_start((unsigned char)w->s[j]))
        for (j++; j < w->n && is_ident_char((unsigned char)w->s[j]); j++)
            ;
    return j - i;
}

/* Reports "expected WHAT, found <byte i of w or end of path>" at byte i. */
static int XF_PRINTF(4, 5)
fail_in_word(struct parser *p, const struct word *w, size_t i, const char *fmt, ...)
{
    char what[160], found[32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    describe_char(i < w->n ? (unsigned char)w->s[i] : -1, "end of path", found, sizeof found);
    return fail_at(p, w->line, w->col + (int)i, "expected %s, found %s", what, found);
}

/* Reads `.field` repeated from byte i to the end of w into the path's fields. */
static int read_fields(struct parser *p, const struct word *w, size_t i,
                       struct xf_path *path)
{
    int cap = 0;
    while (i < w->n) {
        if (w->s[i] != '.')
            return fail_in_word(p, w, i, "'.' or end of path after '%.*s'", (int)i, w->s);
        i++;
        size_t len = ident_at(w, i);
        if (len == 0 && i < w->n && w->s[i] == '<') /* an anonymous member: <...> */
            for (len = 1; i + len < w->n && w->s[i + len - 1] != '>'; len++)
                ;
        if (len == 0 || (w->s[i] == '<' && w->s[i + len - 1] != '>'))
            return fail_in_word(p, w, i, "field name after '.'");
        if (grow((void **)&path->fields, &cap, path->nfields + 1, sizeof(char *)) < 0)
            return oom(p);
        char *f = dup_range(w->s + i, len);
        if (f == NULL)
            return oom(p);
        path->fields[path->nfields++] = f;
        i += len;
    }
    return 0;
}

/* `NAME{.field}` after a type keyword, or a bare `NAME.field{.field}` (typedef). */
static int read_type_word(struct parser *p, const struct word *w, enum xf_type_kind kind,
                          const char *name_what, struct xf_path *path)
{
    size_t len = ident_at(w, 0);
    if (len == 0)
        return fail_in_word(p, w, 0, "%s", name_what);
    path->kind = XF_PATH_TYPE;
    path->type_kind = kind;
    path->type_name = dup_range(w->s, len);
    if (path->type_name == NULL)
        return oom(p);
    return read_fields(p, w, len, path);
}

/* Stores w->s[from, to) in *dst. */
static int keep_part(struct parser *p, const struct word *w, size_t from, size_t to,
                     char **dst)
{
    *dst = dup_range(w->s + from, to - from);
    return *dst == NULL ? oom(p) : 0;
}

/* Finds byte ch in w->s[from, to), or returns `to`. */
static size_t find_in(const struct word *w, size_t from, size_t to, char ch)
{
    while (from < to && w->s[from] != ch)
        from++;
    return from;
}

/* `[module@][file/][func#]name`; file may contain '/' (the last one separates). */
static int read_var_key(struct parser *p, const struct word *w, struct xf_path *path)
{
    size_t n = w->n, i = 0;
    path->kind = XF_PATH_VAR;
    if (keep_part(p, w, 0, n, &path->var_key) < 0)
        return -1;

    size_t at = find_in(w, 0, n, '@');
    if (at < n) {
        size_t bad = find_in(w, 0, at, '/');
        if (bad == at)
            bad = find_in(w, 0, at, '#');
        if (at == 0)
            return fail_in_word(p, w, 0, "module name before '@'");
        if (bad < at)
            return fail_in_word(p, w, at, "'@' only after a module name at the start "
                                          "of the key (module@file/func#name)");
        if (keep_part(p, w, 0, at, &path->key_module) < 0)
            return -1;
        i = at + 1;
    }
    size_t slash = n;
    for (size_t j = i; j < n; j++)
        if (w->s[j] == '/')
            slash = j;
    if (slash < n) {
        size_t bad = find_in(w, i, slash, '#');
        if (slash == i)
            return fail_in_word(p, w, i, "file name before '/'");
        if (bad < slash)
            return fail_in_word(p, w, bad, "'/' after the file name (a function comes after "
                                           "the file: file/func#name)");
        size_t bad_at = find_in(w, i, slash, '@');
        if (bad_at < slash)
            return fail_in_word(p, w, bad_at, "'@' only after a module name at the start "
                                              "of the key (module@file/func#name)");
        if (keep_part(p, w, i, slash, &path->key_file) < 0)
            return -1;
        i = slash + 1;
    }
    size_t len = ident_at(w, i);
    if (len == 0)
        return fail_in_word(p, w, i, "variable name%s",
                            slash < n ? " after '/'" : at < n ? " after '@'" : "");
    if (i + len < n && w->s[i + len] == '#') {
        if (keep_part(p, w, i, i + len, &path->key_func) < 0)
            return -1;
        i += len + 1;
        len = ident_at(w, i);
        if (len == 0)
            return fail_in_word(p, w, i, "variable name after '#'");
    }
    if (keep_part(p, w, i, i + len, &path->key_name) < 0)
        return -1;
    i += len;
    if (i < n)
        return fail_in_word(p, w, i, "end of variable key after '%.*s'%s", (int)i, w->s,
                            w->s[i] == '.' ? " (variables have no field paths)" : "");
    return 0;
}

/* Classifies a word that does not follow a type keyword. */
static int read_plain_word(struct parser *p, const struct word *w, struct xf_path *path)
{
    int has_key_sep = 0, has_dot = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (w->s[i] == '/' || w->s[i] == '#' || w->s[i] == '@')
            has_key_sep = 1;
        if (w->s[i] == '.')
            has_dot = 1;
    }
    if (has_key_sep || !has_dot)
        return read_var_key(p, w, path);
    return read_type_word(p, w, XF_TYPEDEF, "a variable key or type name", path);
}

static int type_keyword(const struct parser *p, const struct token *t, enum xf_type_kind *k)
{
    static const struct { const char *word; enum xf_type_kind kind; } kws[] = {
        {"struct", XF_STRUCT}, {"union", XF_UNION}, {"enum", XF_ENUM},
        {"typedef", XF_TYPEDEF},
    };
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++) {
        if (tok_is(p, t, kws[i].word)) {
            *k = kws[i].kind;
            return 1;
        }
    }
    return 0;
}

static int is_keyword(const struct parser *p, const struct token *t)
{
    enum xf_type_kind k;
    return type_keyword(p, t, &k) || tok_is(p, t, "INIT") || tok_is(p, t, "SWITCH");
}

static struct word tok_word(const struct parser *p, const struct token *t)
{
    struct word w = {tok_text(p, t), tok_len(t), t->line, t->col};
    return w;
}

/* Reads a path starting at the current token. `what` completes "expected ...". */
static int parse_path(struct parser *p, struct xf_path *path, const char *what)
{
    enum xf_type_kind kind;
    if (p->tok.kind != TK_WORD || tok_is(p, &p->tok, "INIT") ||
        tok_is(p, &p->tok, "SWITCH"))
        return fail_expected(p, what);
    path->line = p->tok.line;
    path->col = p->tok.col;
    if (type_keyword(p, &p->tok, &kind)) {
        char need[48];
        snprintf(need, sizeof need, "a name after '%.*s'", (int)tok_len(&p->tok),
                 tok_text(p, &p->tok));
        if (next_token(p) < 0)
            return -1;
        if (p->tok.kind != TK_WORD || is_keyword(p, &p->tok))
            return fail_expected(p, need);
        struct word w = tok_word(p, &p->tok);
        if (read_type_word(p, &w, kind, need, path) < 0)
            return -1;
    } else {
        struct word w = tok_word(p, &p->tok);
        if (read_plain_word(p, &w, path) < 0)
            return -1;
    }
    return next_token(p);
}

/* ======================================================================== */
/* 6. Parser                                                                */
/* ======================================================================== */

static void free_path(struct xf_path *p)
{
    free(p->var_key);
    free(p->key_module);
    free(p->key_file);
    free(p->key_func);
    free(p->key_name);
    free(p->type_name);
    for (int i = 0; i < p->nfields; i++)
        free(p->fields[i]);
    free(p->fields);
    memset(p, 0, sizeof *p);
}

static void free_switch(struct xf_switch *sw)
{
    if (sw == NULL)
        return;
    for (int i = 0; i < sw->ntag; i++)
        free(sw->tag[i]);
    free(sw->tag);
    for (int i = 0; i < sw->narms; i++) {
        for (int j = 0; j < sw->arms[i].nvalues; j++)
            free(sw->arms[i].values[j]);
        free(sw->arms[i].values);
        free_path(&sw->arms[i].target);
    }
    free(sw->arms);
    free(sw);
}

static void free_rule(struct xf_rule *r)
{
    for (int i = 0; i < r->nlabels; i++) {
        free_path(&r->labels[i].from);
        free_path(&r->labels[i].to);
    }
    free_switch(r->sw);
    free(r->labels);
    free(r->code);
    memset(r, 0, sizeof *r);
}

void xf_free(struct xf_file *f)
{
    if (f == NULL)
        return;
    for (int i = 0; i < f->nrules; i++)
        free_rule(&f->rules[i]);
    free(f->rules);
    free(f->preamble);
    free(f->path);
    memset(f, 0, sizeof *f);
}

static int put(char *buf, size_t n, size_t at, const char *s)
{
    size_t len = strlen(s);
    if (at < n) {
        size_t room = n - at - 1;
        memcpy(buf + at, s, len < room ? len : room);
        buf[at + (len < room ? len : room)] = '\0';
    }
    return (int)len;
}

int xf_path_format(const struct xf_path *p, char *buf, size_t n)
{
    static const char *const kw[] = {"struct ", "union ", "enum ", "typedef "};
    size_t at = 0;
    if (buf != NULL && n > 0)
        buf[0] = '\0';
    else
        n = 0;
    if (p->kind == XF_PATH_VAR)
        return put(buf, n, 0, p->var_key ? p->var_key : "");
    if (p->type_kind != XF_TYPEDEF || p->nfields == 0)
        at += (size_t)put(buf, n, at, kw[p->type_kind]);
    at += (size_t)put(buf, n, at, p->type_name ? p->type_name : "");
    for (int i = 0; i < p->nfields; i++) {
        at += (size_t)put(buf, n, at, ".");
        at += (size_t)put(buf, n, at, p->fields[i]);
    }
    return (int)at;
}

/* Shape of a path, for checking that both sides of '->' name the same kind. */
static const char *path_shape(const struct xf_path *p)
{
    if (p->kind == XF_PATH_VAR)
        return "variable key";
    return p->nfields == 0 ? "type" : "field path";
}

static void format_label(const struct xf_label *l, char *buf, size_t n)
{
    char a[80], b[80];
    xf_path_format(&l->to, b, sizeof b);
    if (l->is_dropped) {
        xf_path_format(&l->from, a, sizeof a);
        snprintf(buf, n, "%s -> (dropped)", a);
    } else if (l->is_switch) {
        snprintf(buf, n, "SWITCH %s", b);
    } else if (l->is_init) {
        snprintf(buf, n, "INIT %s", b);
    } else {
        xf_path_format(&l->from, a, sizeof a);
        snprintf(buf, n, "%s -> %s", a, b);
    }
}

/* label ::= path "->" path | path "->" "(dropped)" | "INIT" path */
static int parse_label(struct parser *p, struct xf_label *l, const char *what)
{
    char text[96], need[160];
    l->line = p->tok.line;
    l->col = p->tok.col;
    if (tok_is(p, &p->tok, "INIT")) {
        l->is_init = 1;
        if (next_token(p) < 0)
            return -1;
        const char *need_init = "a variable key or field path after 'INIT'";
        if (parse_path(p, &l->to, need_init) < 0)
            return -1;
        if (l->to.kind == XF_PATH_TYPE && l->to.nfields == 0) {
            xf_path_format(&l->to, text, sizeof text);
            return fail_at(p, l->to.line, l->to.col, "expected %s, found type '%s'",
                           need_init, text);
        }
        return 0;
    }
    if (parse_path(p, &l->from, what) < 0)
        return -1;
    xf_path_format(&l->from, text, sizeof text);
    if (p->tok.kind != TK_ARROW) {
        snprintf(need, sizeof need, "'->' after '%s'", text);
        return fail_expected(p, need);
    }
    if (next_token(p) < 0)
        return -1;
    if (p->tok.kind == TK_DROPPED) {
        if (l->from.kind == XF_PATH_TYPE && l->from.nfields == 0)
            return fail_at(p, l->from.line, l->from.col, "expected a variable key or field "
                           "path before '-> (dropped)', found type '%s'", text);
        l->is_dropped = 1;
        return next_token(p);
    }
    if (parse_path(p, &l->to, "a path after '->'") < 0)
        return -1;
    const char *want = path_shape(&l->from), *got = path_shape(&l->to);
    if (want != got) {
        char to[96];
        xf_path_format(&l->to, to, sizeof to);
        return fail_at(p, l->to.line, l->to.col,
                       "expected a %s after '->' to match '%s', found %s '%s'", want, text,
                       got, to);
    }
    return 0;
}

/* A copy of path `src` (its strings and fields) into *dst. */
static int copy_path(struct parser *p, const struct xf_path *src, struct xf_path *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->kind = src->kind;
    dst->type_kind = src->type_kind;
    dst->line = src->line;
    dst->col = src->col;
    dst->nfields = 0;
    if (src->type_name && (dst->type_name = dup_str(src->type_name)) == NULL)
        return oom(p);
    dst->fields = calloc((size_t)src->nfields + 1, sizeof *dst->fields);
    if (dst->fields == NULL)
        return oom(p);
    for (int i = 0; i < src->nfields; i++, dst->nfields++)
        if ((dst->fields[i] = dup_str(src->fields[i])) == NULL)
            return oom(p);
    return 0;
}

/* Whether word t is a SWITCH value: an integer in C syntax (decimal, 0x hex, octal,
 * with an optional '-' and integer suffixes), a character literal, an identifier (an
 * enumerator, resolved by the planner). */
static int is_switch_value(const struct parser *p, const struct token *t)
{
    const char *s = tok_text(p, t);
    size_t n = tok_len(t), i = 0;
    if (n >= 3 && s[0] == '\'' && s[n - 1] == '\'')
        return n == 3 || (n == 4 && s[1] == '\\');
    if (is_ident_start((unsigned char)s[0])) {
        for (i = 1; i < n; i++)
            if (!is_ident_char((unsigned char)s[i]))
                return 0;
        return 1;
    }
    if (s[0] == '-')
        i++;
    if (i >= n || !is_digit((unsigned char)s[i]))
        return 0;
    char buf[64];
    if (n - i >= sizeof buf)
        return 0;
    memcpy(buf, s + i, n - i);
    buf[n - i] = '\0';
    char *end;
    errno = 0;
    strtoull(buf, &end, 0);
    while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
        end++;
    return *end == '\0' && errno == 0;
}

/* `ON self.a.b`: the tag's field path. */
static int parse_switch_tag(struct parser *p, struct xf_switch *sw, const char *label)
{
    char need[300];
    snprintf(need, sizeof need, "'ON' after '%s'", label);
    if (!tok_is(p, &p->tok, "ON"))
        return fail_expected(p, need);
    if (next_token(p) < 0)
        return -1;
    const char *s = tok_text(p, &p->tok);
    size_t n = tok_len(&p->tok);
    if (p->tok.kind != TK_WORD || n <= 5 || memcmp(s, "self.", 5) != 0)
        return fail_expected(p, "the tag field after 'ON', as self.FIELD (a field of the "
                                "old object)");
    sw->tag_line = p->tok.line;
    sw->tag_col = p->tok.col;
    struct xf_path tmp;
    memset(&tmp, 0, sizeof tmp);
    struct word w = {s + 4, n - 4, p->tok.line, p->tok.col + 4};
    if (read_fields(p, &w, 0, &tmp) < 0) {
        free_path(&tmp);
        return -1;
    }
    for (int i = 0; i < tmp.nfields; i++)
        if (tmp.fields[i][0] == '<') {
            free_path(&tmp);
            return fail_at(p, sw->tag_line, sw->tag_col, "expected a named tag field after "
                           "'ON', found an anonymous member");
        }
    sw->tag = tmp.fields;
    sw->ntag = tmp.nfields;
    tmp.fields = NULL;
    tmp.nfields = 0;
    free_path(&tmp);
    return next_token(p);
}

/* The values of an arm, up to its ':'; a value may appear once in a SWITCH. */
static int parse_arm_values(struct parser *p, struct xf_switch *sw, struct xf_switch_arm *a)
{
    int cap = 0;
    for (;;) {
        if (p->tok.kind != TK_WORD || !is_switch_value(p, &p->tok))
            return fail_expected(p, a->nvalues ? "a value after ','" : "a case of the "
                                 "SWITCH (an integer, a character, an enumerator or "
                                 "'default') or '}'");
        int is_default = tok_is(p, &p->tok, "default");
        if (is_default && a->nvalues > 0)
            return fail_at(p, p->tok.line, p->tok.col, "expected a value after ',', found "
                           "'default' ('default' is an arm of its own)");
        for (int i = 0; i <= sw->narms - 1; i++) {
            const struct xf_switch_arm *b = &sw->arms[i];
            int is_def = b->nvalues == 0 && b != a;
            for (int j = 0; j < b->nvalues || (is_def && j == 0); j++) {
                const char *v = is_def ? "default" : b->values[j];
                if (strlen(v) == tok_len(&p->tok) &&
                    memcmp(v, tok_text(p, &p->tok), tok_len(&p->tok)) == 0)
                    return fail_at(p, p->tok.line, p->tok.col, "case '%s' of the SWITCH "
                                   "appears twice (first at %d:%d)", v, b->line, b->col);
            }
        }
        if (!is_default) {
            if (grow((void **)&a->values, &cap, a->nvalues + 1, sizeof(char *)) < 0)
                return oom(p);
            char *v = dup_range(tok_text(p, &p->tok), tok_len(&p->tok));
            if (v == NULL)
                return oom(p);
            a->values[a->nvalues++] = v;
        }
        if (next_token(p) < 0)
            return -1;
        if (is_default || p->tok.kind != TK_COMMA)
            break;
        if (next_token(p) < 0)
            return -1;
    }
    if (p->tok.kind != TK_COLON)
        return fail_expected(p, "':' after the case");
    return next_token(p);
}

/* `: struct T`, `: typedef T`, `: T` or `: (opaque)`, then an optional ','. */
static int parse_arm_target(struct parser *p, struct xf_switch_arm *a)
{
    const char *what = "a type ('struct T', 'union T', 'typedef T') or '(opaque)' after ':'";
    if (p->tok.kind == TK_OPAQUE) {
        a->is_opaque = 1;
        if (next_token(p) < 0)
            return -1;
    } else {
        enum xf_type_kind k;
        if (p->tok.kind != TK_WORD || tok_is(p, &p->tok, "default") ||
            (!type_keyword(p, &p->tok, &k) && is_keyword(p, &p->tok)))
            return fail_expected(p, what);
        int keyword = type_keyword(p, &p->tok, &k);
        if (!keyword) { /* a bare typedef name */
            struct word w = tok_word(p, &p->tok);
            if (ident_at(&w, 0) != w.n)
                return fail_expected(p, what);
            a->target.line = p->tok.line;
            a->target.col = p->tok.col;
            if (read_type_word(p, &w, XF_TYPEDEF, what, &a->target) < 0)
                return -1;
            if (next_token(p) < 0)
                return -1;
        } else if (parse_path(p, &a->target, what) < 0) {
            return -1;
        }
        if (a->target.nfields > 0 || k == XF_ENUM)
            return fail_at(p, a->target.line, a->target.col, "expected %s, found %s", what,
                           k == XF_ENUM ? "an enum" : "a field path");
    }
    if (p->tok.kind == TK_COMMA)
        return next_token(p);
    return 0;
}

/* switch ::= "SWITCH" field-path "ON" "self." field { "." field }
 *            "{" arm { arm } "}"
 * arm    ::= value { "," value } ":" target [ "," ] | "default" ":" target [ "," ] */
static int parse_switch(struct parser *p, struct xf_rule *r)
{
    if (next_token(p) < 0)
        return -1;
    r->labels = calloc(1, sizeof *r->labels);
    r->sw = calloc(1, sizeof *r->sw);
    if (r->labels == NULL || r->sw == NULL)
        return oom(p);
    struct xf_label *l = &r->labels[0];
    r->nlabels = 1;
    l->is_switch = 1;
    l->line = r->line;
    l->col = r->col;
    if (parse_path(p, &l->to, "a field path after 'SWITCH' (the void * it decides)") < 0)
        return -1;
    char label[200];
    xf_path_format(&l->to, label, sizeof label);
    if (l->to.kind != XF_PATH_TYPE || l->to.nfields == 0)
        return fail_at(p, l->to.line, l->to.col, "expected a field path after 'SWITCH' "
                       "(the void * it decides), found %s '%s'", path_shape(&l->to), label);
    if (copy_path(p, &l->to, &l->from) < 0)
        return -1;
    struct xf_switch *sw = r->sw;
    if (parse_switch_tag(p, sw, label) < 0)
        return -1;
    if (p->tok.kind != TK_LBRACE)
        return fail_expected(p, "'{' and the cases of the SWITCH");
    if (next_token(p) < 0)
        return -1;
    int cap = 0;
    while (p->tok.kind != TK_RBRACE) {
        if (grow((void **)&sw->arms, &cap, sw->narms + 1, sizeof *sw->arms) < 0)
            return oom(p);
        struct xf_switch_arm *a = &sw->arms[sw->narms++];
        memset(a, 0, sizeof *a);
        a->line = p->tok.line;
        a->col = p->tok.col;
        if (parse_arm_values(p, sw, a) < 0 || parse_arm_target(p, a) < 0)
            return -1;
    }
    if (sw->narms == 0)
        return fail_expected(p, "a case of the SWITCH (an integer, a character, an "
                                "enumerator or 'default')");
    if (next_token(p) < 0)
        return -1;
    if (p->tok.kind == TK_COLON || p->tok.kind == TK_COMMA)
        return fail_at(p, p->tok.line, p->tok.col, "expected a new rule or end of file "
                       "after the SWITCH of '%s', found '%c' (a SWITCH is a rule of its "
                       "own, without code)", label, p->tok.kind == TK_COLON ? ':' : ',');
    return 0;
}

/* rule ::= label { "," label } [ ":" "{" C-code "}" ] */
static int parse_rule(struct parser *p, struct xf_rule *r)
{
    int cap = 0;
    const char *what = "a rule (a path or 'INIT') or end of file";
    r->line = p->tok.line;
    r->col = p->tok.col;
    if (tok_is(p, &p->tok, "SWITCH"))
        return parse_switch(p, r);
    for (;;) {
        if (grow((void **)&r->labels, &cap, r->nlabels + 1, sizeof *r->labels) < 0)
            return oom(p);
        struct xf_label *l = &r->labels[r->nlabels++];
        memset(l, 0, sizeof *l);
        if (parse_label(p, l, what) < 0)
            return -1;
        if (p->tok.kind != TK_COMMA)
            break;
        if (next_token(p) < 0)
            return -1;
        what = "a label after ','";
    }
    if (p->tok.kind == TK_COLON) {
        for (int i = 0; i < r->nlabels; i++) {
            if (r->labels[i].is_dropped) {
                char label[200];
                format_label(&r->labels[i], label, sizeof label);
                return fail_at(p, p->tok.line, p->tok.col, "expected ',', a new rule or end "
                               "of file after '%s', found ':' ((dropped) rules take no code)",
                               label);
            }
        }
        if (next_token(p) < 0)
            return -1;
        if (p->tok.kind != TK_LBRACE)
            return fail_expected(p, "'{' after ':'");
        if (read_code_block(p, &r->code, &r->code_line, &r->code_col) < 0)
            return -1;
        return next_token(p);
    }
    char label[200], need[400];
    format_label(&r->labels[r->nlabels - 1], label, sizeof label);
    if (p->tok.kind == TK_LBRACE) {
        snprintf(need, sizeof need, "':' before the code block of '%s'", label);
        return fail_expected(p, need);
    }
    for (int i = 0; i < r->nlabels; i++) {
        if (r->labels[i].is_init) {
            format_label(&r->labels[i], label, sizeof label);
            snprintf(need, sizeof need,
                     "':' and a code block after '%s' (INIT rules must include "
                     "initialization code; ': {}' keeps the new initializer)", label);
            return fail_expected(p, need);
        }
    }
    if (p->tok.kind != TK_WORD && p->tok.kind != TK_EOF) {
        snprintf(need, sizeof need, "',', ':', a new rule or end of file after '%s'", label);
        return fail_expected(p, need);
    }
    return 0;
}

/* file ::= [ "{" C-code "}" ] { rule } */
static int parse_file(struct parser *p, struct xf_file *f)
{
    int cap = 0;
    if (next_token(p) < 0)
        return -1;
    if (p->tok.kind == TK_LBRACE) {
        if (read_code_block(p, &f->preamble, &f->preamble_line, &f->preamble_col) < 0)
            return -1;
        if (next_token(p) < 0)
            return -1;
    }
    while (p->tok.kind != TK_EOF) {
        if (p->tok.kind == TK_LBRACE)
            return fail_expected(p, "a rule (a path or 'INIT') or end of file (only the "
                                    "first block of a file is a preamble)");
        struct xf_rule r;
        memset(&r, 0, sizeof r);
        int rc = parse_rule(p, &r);
        if (rc == 0 && grow((void **)&f->rules, &cap, f->nrules + 1, sizeof r) < 0)
            rc = oom(p);
        if (rc < 0) {
            free_rule(&r);
            return -1;
        }
        f->rules[f->nrules++] = r;
    }
    return 0;
}

/* Reports the first NUL byte of text, if any. */
static int reject_nul(const char *path, const char *text, size_t len, char *err,
                      size_t errlen)
{
    const char *z = memchr(text, '\0', len);
    if (z == NULL)
        return 0;
    int line = 1, col = 1;
    for (const char *s = text; s < z; s++) {
        if (*s == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return report(err, errlen, path, line, col, "expected text, found byte 0x00");
}

int xf_parse_buffer(const char *path_for_messages, const char *text, size_t len,
                    struct xf_file *out, char *err, size_t errlen)
{
    const char *path = path_for_messages ? path_for_messages : "<input>";
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL || (text == NULL && len > 0))
        return report(err, errlen, path, 1, 1, "expected a buffer and a result, found NULL");
    memset(out, 0, sizeof *out);
    if (len >= (size_t)INT_MAX) /* so that every line and column fits in an int */
        return report(err, errlen, path, 1, 1, "expected fewer than %d bytes, found %zu",
                      INT_MAX, len);
    if (text == NULL)
        text = "";
    if (reject_nul(path, text, len, err, errlen) < 0)
        return -1;
    struct parser p;
    memset(&p, 0, sizeof p);
    p.path = path;
    p.cur.text = text;
    p.cur.len = len;
    p.cur.line = p.cur.col = 1;
    p.tok.line = p.tok.col = 1;
    p.err = err;
    p.errlen = errlen;
    out->path = dup_str(path);
    if (out->path == NULL)
        return oom(&p);
    if (parse_file(&p, out) < 0) {
        xf_free(out);
        return -1;
    }
    return 0;
}

/* Reads the whole file at path into a malloc'd buffer. */
static int read_all(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    size_t cap = 4096, n = 0;
    char *buf = NULL;
    int e = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        e = errno;
    } else {
        for (;;) {
            char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap);
            if (nb == NULL) {
                e = ENOMEM;
                break;
            }
            buf = nb;
            errno = 0;
            n += fread(buf + n, 1, cap - n, f);
            if (ferror(f)) {
                e = errno ? errno : EIO;
                break;
            }
            if (n < cap)
                break;
            cap *= 2;
        }
        fclose(f);
    }
    if (e != 0) {
        free(buf);
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
        return -1;
    }
    *text = buf;
    *len = n;
    return 0;
}

int xf_parse_file(const char *path, struct xf_file *out, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (path == NULL || out == NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "xf_parse_file: expected a path and a result, found NULL");
        return -1;
    }
    if (read_all(path, &text, &len, err, errlen) < 0)
        return -1;
    int rc = xf_parse_buffer(path, text, len, out, err, errlen);
    free(text);
    return rc;
}

/* ======================================================================== */
/* 7. `$`-escape scanner                                                    */
/* ======================================================================== */

/* Escapes and the number of arguments they take (max < 0: no upper bound). */
static const struct escape_def {
    const char *name;
    int min_args, max_args; /* 0, 0: written without parentheses */
} escape_defs[] = {
    {"in", 0, 0},      {"out", 0, 0},     {"base", 0, 0},  {"oldtype", 1, 1},
    {"newtype", 1, 1}, {"xform", 2, -1},  {"gen", 1, 1},
};

static const struct escape_def *find_escape(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof escape_defs / sizeof escape_defs[0]; i++)
        if (strlen(escape_defs[i].name) == n && memcmp(escape_defs[i].name, s, n) == 0)
            return &escape_defs[i];
    return NULL;
}

/* Skips a literal or comment at code[i] (leniently: a literal also ends at an
 * unescaped newline, anything ends at `end`). Returns the index after it, or i
 * when code[i] starts neither. */
static size_t skip_opaque(const char *code, size_t i, size_t end)
{
    char c = code[i];
    if (c == '"' || c == '\'') {
        for (i++; i < end && code[i] != c && code[i] != '\n'; i++)
            if (code[i] == '\\' && i + 1 < end)
                i++;
        return i < end && code[i] == c ? i + 1 : i;
    }
    if (c == '/' && i + 1 < end && code[i + 1] == '/') {
        for (i += 2; i < end && code[i] != '\n'; i++)
            if (code[i] == '\\' && i + 1 < end)
                i++;
        return i;
    }
    if (c == '/' && i + 1 < end && code[i + 1] == '*') {
        for (i += 2; i < end && !(code[i] == '*' && i + 1 < end && code[i + 1] == '/'); i++)
            ;
        return i < end ? i + 2 : end;
    }
    return i;
}

/* One open `$name(` while scanning. */
struct esc_frame {
    const struct escape_def *def;
    size_t dollar, open;   /* offsets of '$' and '(' */
    int line, col;         /* position of '$' */
    size_t depth;          /* unmatched '(' inside the arguments */
    int nargs;             /* complete arguments so far */
    int arg_nonempty;      /* the current argument has content */
};

struct esc_scan {
    const char *path;
    const char *code;
    size_t len;
    size_t i;
    int line, col;         /* position of code[i] */
    struct esc_frame *stack;
    int nstack, cap;
    xf_escape_cb cb;
    void *ctx;
    char *err;
    size_t errlen;
};

/* Moves the scan to index `to`, keeping line and column. */
static void esc_move(struct esc_scan *s, size_t to)
{
    for (; s->i < to; s->i++) {
        if (s->code[s->i] == '\n') {
            s->line++;
            s->col = 1;
        } else {
            s->col++;
        }
    }
}

static int XF_PRINTF(4, 5)
esc_fail(struct esc_scan *s, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(s->err, s->errlen, s->path, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

/* Appends code[from, to) with comments blanked and white space collapsed. */
static char *normalize_arg(const char *code, size_t from, size_t to)
{
    char *out = malloc(to - from + 1);
    size_t n = 0;
    int pending_space = 0;
    if (out == NULL)
        return NULL;
    for (size_t i = from; i < to;) {
        size_t j = skip_opaque(code, i, to);
        int is_comment = j > i && code[i] == '/';
        if (is_comment || is_space((unsigned char)code[i])) {
            pending_space = 1;
            i = j > i ? j : i + 1;
            continue;
        }
        if (pending_space && n > 0)
            out[n++] = ' ';
        pending_space = 0;
        if (j == i)
            j = i + 1;
        memcpy(out + n, code + i, j - i);
        n += j - i;
        i = j;
    }
    out[n] = '\0';
    return out;
}

/* Splits the arguments between '(' at `open` and ')' at `close` and calls cb. */
static int esc_report(struct esc_scan *s, const struct esc_frame *f, size_t close)
{
    char *args[64];
    char **v = f->nargs < 64 ? args : malloc((size_t)f->nargs * sizeof *v);
    int n = 0, rc = 0;
    size_t depth = 0, from = f->open + 1;
    if (v == NULL)
        return esc_fail(s, f->line, f->col, "out of memory");
    for (size_t i = from; i <= close && rc == 0;) {
        size_t j = i < close ? skip_opaque(s->code, i, close) : i;
        if (j > i) {
            i = j;
            continue;
        }
        char c = s->code[i];
        if (c == '(')
            depth++;
        else if (c == ')' && depth > 0)
            depth--;
        else if ((c == ',' && depth == 0) || i == close) {
            if (n < f->nargs && (v[n] = normalize_arg(s->code, from, i)) != NULL)
                n++;
            else if (n < f->nargs)
                rc = esc_fail(s, f->line, f->col, "out of memory");
            from = i + 1;
        }
        i++;
    }
    if (rc == 0)
        rc = s->cb(s->ctx, f->def->name, n ? (const char **)v : NULL, n, f->dollar,
                   close + 1);
    for (int k = 0; k < n; k++)
        free(v[k]);
    if (v != args)
        free(v);
    return rc;
}

/* Handles ')' that closes the innermost frame. */
static int esc_close(struct esc_scan *s)
{
    struct esc_frame f = s->stack[--s->nstack];
    int nargs = f.nargs + (f.arg_nonempty ? 1 : 0);
    if (!f.arg_nonempty && f.nargs > 0)
        return esc_fail(s, s->line, s->col, "expected an argument before ')', found ')'");
    if (nargs < f.def->min_args || (f.def->max_args >= 0 && nargs > f.def->max_args)) {
        char want[32];
        if (f.def->max_args < 0)
            snprintf(want, sizeof want, "%d or more arguments", f.def->min_args);
        else
            snprintf(want, sizeof want, "%d argument%s", f.def->min_args,
                     f.def->min_args == 1 ? "" : "s");
        return esc_fail(s, f.line, f.col, "expected %s to '$%s', found %d", want,
                        f.def->name, nargs);
    }
    f.nargs = nargs;
    if (s->nstack == 0)
        return esc_report(s, &f, s->i);
    return 0;
}

/* Handles `$name` at s->i (the '$'); returns with s->i after what it consumed. */
static int esc_dollar(struct esc_scan *s)
{
    size_t start = s->i, j = s->i + 1;
    int line = s->line, col = s->col;
    while (is_ident_char((unsigned char)s->code[j]) && s->code[j] != '$')
        j++;
    const struct escape_def *d = find_escape(s->code + start + 1, j - start - 1);
    if (s->nstack > 0)
        s->stack[s->nstack - 1].arg_nonempty = 1;
    if (d == NULL || d->max_args == 0) {
        esc_move(s, j);
        if (d != NULL && s->nstack == 0)
            return s->cb(s->ctx, d->name, NULL, 0, start, j);
        return 0;
    }
    esc_move(s, j);
    while (is_space((unsigned char)s->code[s->i]))
        esc_move(s, s->i + 1);
    if (s->code[s->i] != '(') {
        char found[32];
        describe_char(s->code[s->i] ? (unsigned char)s->code[s->i] : -1,
                      "end of code", found, sizeof found);
        return esc_fail(s, s->line, s->col, "expected '(' after '$%s', found %s", d->name,
                        found);
    }
    if (grow((void **)&s->stack, &s->cap, s->nstack + 1, sizeof *s->stack) < 0)
        return esc_fail(s, line, col, "out of memory");
    struct esc_frame *f = &s->stack[s->nstack++];
    memset(f, 0, sizeof *f);
    f->def = d;
    f->dollar = start;
    f->open = s->i;
    f->line = line;
    f->col = col;
    esc_move(s, s->i + 1);
    return 0;
}

/* Handles one byte inside the arguments of the innermost open escape. */
static int esc_arg_byte(struct esc_scan *s)
{
    struct esc_frame *f = &s->stack[s->nstack - 1];
    char c = s->code[s->i];
    if (c == ')' && f->depth == 0) {
        int rc = esc_close(s);
        esc_move(s, s->i + 1);
        return rc;
    }
    if (c == ',' && f->depth == 0) {
        if (!f->arg_nonempty)
            return esc_fail(s, s->line, s->col, "expected an argument before ',', found ','");
        f->nargs++;
        f->arg_nonempty = 0;
    } else if (c == '(') {
        f->depth++;
        f->arg_nonempty = 1;
    } else if (c == ')') {
        f->depth--;
    } else if (!is_space((unsigned char)c)) {
        f->arg_nonempty = 1;
    }
    esc_move(s, s->i + 1);
    return 0;
}

int xf_scan_escapes(const char *path, const char *code, int base_line, int base_col,
                    xf_escape_cb cb, void *ctx, char *err, size_t errlen)
{
    struct esc_scan s;
    int rc = 0;
    memset(&s, 0, sizeof s);
    s.path = path ? path : "<input>";
    s.code = code ? code : "";
    s.len = strlen(s.code);
    s.line = base_line;
    s.col = base_col;
    s.cb = cb;
    s.ctx = ctx;
    s.err = err;
    s.errlen = errlen;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (cb == NULL)
        return esc_fail(&s, base_line, base_col, "expected a callback, found NULL");
    while (rc == 0 && s.i < s.len) {
        char c = s.code[s.i];
        size_t j = skip_opaque(s.code, s.i, s.len);
        if (j > s.i) {
            if (s.nstack > 0 && c != '/')
                s.stack[s.nstack - 1].arg_nonempty = 1;
            esc_move(&s, j);
        } else if (c == '$' && is_ident_start((unsigned char)s.code[s.i + 1]) &&
                   s.code[s.i + 1] != '$') {
            rc = esc_dollar(&s);
        } else if (s.nstack > 0) {
            rc = esc_arg_byte(&s);
        } else {
            esc_move(&s, s.i + 1);
        }
    }
    if (rc == 0 && s.nstack > 0) {
        const struct esc_frame *f = &s.stack[s.nstack - 1];
        rc = esc_fail(&s, f->line, f->col,
                      "unbalanced '$%s(': expected ')' before end of code block", f->def->name);
    }
    free(s.stack);
    return rc;
}
