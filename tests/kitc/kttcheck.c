/* kttcheck.c - test helper for kitc: parses a .ktt strictly (every reference
 * defined, F/E lines after their type, V and X sorted, no clone names), then renders it
 * without ids and addresses so tests can compare it with expected lines:
 *
 *   V KEY TYPE SIZE [FLAGS] [@ FILE:LINE]       TYPE written as an expression; a
 *                                              local's frame= and loc= as "frame",
 *                                              "loc" (or "loc=-": kept nowhere)
 *   X KEY                                      (size checked > 0)
 *   struct TAG [ANNOT] SIZE [@ POS]            then "  F NAME OFF TYPE [bit B S] [@ POS]"
 *   enum TAG SIZE [@ POS]                      then "  E NAME VALUE"
 *   typedef NAME [ANNOT] = TYPE [@ POS]
 *
 * Expressions: base and typedef names, "struct TAG" (anonymous: "struct -@POS"),
 * "*T" for pointers, "[N]T" for arrays, "fn(R;P,...)", "void"; annotations follow
 * the level they qualify in braces: "*{opaque}struct conn".
 *
 * usage: kttcheck FILE.ktt [EXPECTED]   exit 0 when well-formed and every expected
 * line is present; a line "! TEXT" requires that no rendered line starts with TEXT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXT 100000
#define MAXL 200000

struct ty {
    char kind[16];
    char rest[512]; /* the fields after the kind */
    int defined;
    int line;
};

static struct ty *types;
static char *rendered[MAXL];
static int nrendered;
static int errors;

static void bad(int line, const char *msg, const char *text)
{
    fprintf(stderr, "kttcheck: line %d: %s: %s\n", line, msg, text);
    errors++;
}

static void out(const char *s)
{
    if (nrendered < MAXL)
        rendered[nrendered++] = strdup(s);
}

/* Splits s into at most max space-separated words (in place). */
static int split(char *s, char **w, int max)
{
    int n = 0;
    for (char *p = strtok(s, " "); p && n < max; p = strtok(NULL, " "))
        w[n++] = p;
    return n;
}

static int ref_ok(const char *s)
{
    int id = atoi(s);
    return id > 0 && id < MAXT && types[id].defined;
}

/* Annotation words w[from..] up to "@"; returns "{a,b}" or "". */
static void annots(char **w, int n, int from, char *buf, size_t size)
{
    buf[0] = 0;
    for (int i = from; i < n && strcmp(w[i], "@") != 0; i++) {
        strncat(buf, buf[0] ? "," : "{", size - strlen(buf) - 1);
        strncat(buf, w[i], size - strlen(buf) - 1);
    }
    if (buf[0])
        strncat(buf, "}", size - strlen(buf) - 1);
}

static const char *pos_of(char **w, int n)
{
    for (int i = 0; i + 1 < n; i++)
        if (strcmp(w[i], "@") == 0)
            return w[i + 1];
    return NULL;
}

static void expr(int id, char *buf, size_t size, int depth);

/* buf = a b c d, truncated to size. */
static void join(char *buf, size_t size, const char *a, const char *b, const char *c,
                 const char *d)
{
    buf[0] = 0;
    const char *parts[] = {a, b, c, d};
    for (int i = 0; i < 4; i++)
        strncat(buf, parts[i], size - strlen(buf) - 1);
}

static void expr_ref(const char *s, char *buf, size_t size, int depth)
{
    if (!ref_ok(s)) {
        snprintf(buf, size, "?%s", s);
        return;
    }
    expr(atoi(s), buf, size, depth + 1);
}

static void expr(int id, char *buf, size_t size, int depth)
{
    char copy[512], *w[64], a[256], sub[4096];
    snprintf(copy, sizeof copy, "%s", types[id].rest);
    int n = split(copy, w, 64);
    const char *k = types[id].kind;
    if (depth > 50) {
        snprintf(buf, size, "...");
    } else if (strcmp(k, "void") == 0) {
        annots(w, n, 0, a, sizeof a);
        snprintf(buf, size, "void%s", a);
    } else if (strcmp(k, "base") == 0) {
        snprintf(buf, size, "%s", n > 2 ? w[2] : "?");
    } else if (strcmp(k, "ptr") == 0) {
        annots(w, n, 1, a, sizeof a);
        expr_ref(w[0], sub, sizeof sub, depth);
        join(buf, size, "*", a, sub, "");
    } else if (strcmp(k, "array") == 0) {
        annots(w, n, 2, a, sizeof a);
        expr_ref(w[0], sub, sizeof sub, depth);
        char count[64];
        snprintf(count, sizeof count, "[%s]", n > 1 ? w[1] : "?");
        join(buf, size, count, a, sub, "");
    } else if (strcmp(k, "struct") == 0 || strcmp(k, "union") == 0 || strcmp(k, "enum") == 0) {
        annots(w, n, 2, a, sizeof a);
        if (strcmp(w[1], "-") == 0)
            snprintf(buf, size, "%s -@%s%s", k, pos_of(w, n) ? pos_of(w, n) : "?", a);
        else
            snprintf(buf, size, "%s %s%s", k, w[1], a);
    } else if (strcmp(k, "typedef") == 0) {
        annots(w, n, 2, a, sizeof a);
        snprintf(buf, size, "%s%s", w[1], a);
    } else if (strcmp(k, "func") == 0) {
        expr_ref(w[0], sub, sizeof sub, depth);
        join(buf, size, "fn(", sub, ";", "");
        for (int i = 2; i < n; i++) {
            if (strcmp(w[i], "...") == 0)
                snprintf(sub, sizeof sub, "...");
            else
                expr_ref(w[i], sub, sizeof sub, depth);
            strncat(buf, i > 2 ? "," : "", size - strlen(buf) - 1);
            strncat(buf, sub, size - strlen(buf) - 1);
        }
        strncat(buf, ")", size - strlen(buf) - 1);
    } else {
        snprintf(buf, size, "?");
    }
}

/* ---- pass 1: definitions ------------------------------------------------------- */

static char **lines;
static int nlines;

static void read_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(2);
    }
    char buf[8192];
    lines = calloc(MAXL, sizeof *lines);
    while (fgets(buf, sizeof buf, f) && nlines < MAXL) {
        buf[strcspn(buf, "\n")] = 0;
        lines[nlines++] = strdup(buf);
    }
    fclose(f);
}

static void define_types(void)
{
    for (int i = 0; i < nlines; i++) {
        char copy[8192], *w[4];
        snprintf(copy, sizeof copy, "%s", lines[i]);
        if (strncmp(copy, "T ", 2) != 0)
            continue;
        int n = split(copy, w, 3);
        int id = n > 1 ? atoi(w[1]) : 0;
        if (n < 3 || id <= 0 || id >= MAXT) {
            bad(i + 1, "bad T line", lines[i]);
            continue;
        }
        if (types[id].defined)
            bad(i + 1, "duplicate type id", lines[i]);
        types[id].defined = 1;
        types[id].line = i + 1;
        snprintf(types[id].kind, sizeof types[id].kind, "%s", w[2]);
        const char *rest = lines[i] + (w[2] - copy) + strlen(w[2]);
        snprintf(types[id].rest, sizeof types[id].rest, "%s", *rest ? rest + 1 : "");
    }
}

/* ---- pass 2: checking and rendering -------------------------------------------- */

static void check_refs(int line, const char *kind, char **w, int n)
{
    if (strcmp(kind, "ptr") == 0 || strcmp(kind, "array") == 0 || strcmp(kind, "typedef") == 0) {
        if (n < 1 || !ref_ok(w[0]))
            bad(line, "undefined type reference", w[0]);
    } else if (strcmp(kind, "func") == 0) {
        for (int i = 0; i < n; i++)
            if (i != 1 && strcmp(w[i], "...") != 0 && !ref_ok(w[i]))
                bad(line, "undefined type reference", w[i]);
    }
}

static void render_type(int line, char *text, int *in_struct, int *in_enum)
{
    char copy[8192], *w[256] = {0}, a[256], e[4096], buf[8192];
    snprintf(copy, sizeof copy, "%s", text);
    int n = split(copy, w, 256);
    if (n < 5 && !(n == 3 && strcmp(w[2], "void") == 0)) {
        if (n < 3)
            bad(line, "bad T line", text);
        *in_struct = *in_enum = 0;
        return;
    }
    const char *kind = w[2];
    check_refs(line, kind, w + 3, n - 3);
    *in_struct = strcmp(kind, "struct") == 0 || strcmp(kind, "union") == 0;
    *in_enum = strcmp(kind, "enum") == 0;
    const char *pos = pos_of(w, n);
    if (*in_struct || *in_enum) {
        annots(w + 3, n - 3, 2, a, sizeof a);
        snprintf(buf, sizeof buf, "%s %s%s %s%s%s", kind, w[4], a, w[3], pos ? " @ " : "",
                 pos ? pos : "");
        out(buf);
    } else if (strcmp(kind, "typedef") == 0) {
        annots(w + 3, n - 3, 2, a, sizeof a);
        expr(atoi(w[3]), e, sizeof e, 0);
        snprintf(buf, sizeof buf, "typedef %s%s = %s%s%s", w[4], a, e, pos ? " @ " : "",
                 pos ? pos : "");
        out(buf);
    }
}

static void render_member(int line, char *text)
{
    char copy[8192], *w[16], e[4096], buf[8192];
    snprintf(copy, sizeof copy, "%s", text);
    int n = split(copy, w, 16);
    if (n < 4 || !ref_ok(w[3])) {
        bad(line, "bad F line", text);
        return;
    }
    expr(atoi(w[3]), e, sizeof e, 0);
    snprintf(buf, sizeof buf, "  F %s %s %s", w[1], w[2], e);
    for (int i = 4; i < n; i++) {
        strcat(buf, " ");
        strncat(buf, w[i], sizeof buf - strlen(buf) - 1);
    }
    out(buf);
}

static void render_var(int line, char *text)
{
    char copy[8192], *w[16], e[4096], buf[8192];
    snprintf(copy, sizeof copy, "%s", text);
    int n = split(copy, w, 16);
    if (n < 5 || !ref_ok(w[2]) || strncmp(w[3], "0x", 2) != 0) {
        bad(line, "bad V line", text);
        return;
    }
    expr(atoi(w[2]), e, sizeof e, 0);
    snprintf(buf, sizeof buf, "V %s %s %s", w[1], e, w[4]);
    for (int i = 5; i < n; i++) {
        strcat(buf, " ");
        /* A local's code ranges depend on the compiler: only whether it has any. */
        if (strncmp(w[i], "frame=", 6) == 0)
            strcat(buf, strcmp(w[i], "frame=-") == 0 ? "frame=-" : "frame");
        else if (strncmp(w[i], "scope=", 6) == 0)
            strcat(buf, "scope");
        else if (strncmp(w[i], "loc=", 4) == 0)
            strcat(buf, strcmp(w[i], "loc=-") == 0 ? "loc=-" : "loc");
        else
            strncat(buf, w[i], sizeof buf - strlen(buf) - 1);
    }
    out(buf);
}

static void check_key(int line, const char *key, const char *text)
{
    const char *name = strrchr(key, '/') ? strrchr(key, '/') + 1 : key;
    const char *hash = strchr(name, '#');
    if (strchr(hash ? hash : name, '.') || (hash && strchr(name, '.') && strchr(name, '.') < hash))
        bad(line, "compiler clone name in key", text);
}

static void render_all(void)
{
    int in_struct = 0, in_enum = 0;
    char prev_v[4096] = "", prev_x[4096] = "";
    if (nlines < 3 || strcmp(lines[0], "kitsune-ktt 1") != 0 ||
        strncmp(lines[1], "object ", 7) != 0 || strncmp(lines[2], "root /", 6) != 0)
        bad(1, "bad header", nlines ? lines[0] : "");
    for (int i = 3; i < nlines; i++) {
        char *l = lines[i], copy[8192], *w[8];
        snprintf(copy, sizeof copy, "%s", l);
        int n = split(copy, w, 8);
        if (n == 0 || l[0] == '#')
            continue;
        if (strcmp(w[0], "T") == 0) {
            render_type(i + 1, l, &in_struct, &in_enum);
        } else if (strcmp(w[0], "F") == 0) {
            if (!in_struct)
                bad(i + 1, "F outside a struct", l);
            render_member(i + 1, l);
        } else if (strcmp(w[0], "E") == 0) {
            if (!in_enum || n != 3)
                bad(i + 1, "bad E line", l);
            char buf[8192];
            snprintf(buf, sizeof buf, "  E %s %s", w[1], w[2]);
            out(buf);
        } else if (strcmp(w[0], "V") == 0 || strcmp(w[0], "X") == 0) {
            in_struct = in_enum = 0;
            char *prev = w[0][0] == 'V' ? prev_v : prev_x;
            if (n < 2 || strcmp(prev, w[1]) >= 0)
                bad(i + 1, "not sorted by key or duplicate", l);
            snprintf(prev, 4096, "%s", n > 1 ? w[1] : "");
            check_key(i + 1, w[1], l);
            if (w[0][0] == 'V') {
                render_var(i + 1, l);
            } else {
                char buf[8192];
                if (n != 4 || strncmp(w[2], "0x", 2) != 0 || atol(w[3]) <= 0)
                    bad(i + 1, "bad X line", l);
                snprintf(buf, sizeof buf, "X %s", w[1]);
                out(buf);
            }
        } else {
            bad(i + 1, "unknown record", l);
        }
    }
}

static int expect(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    char buf[8192];
    int missing = 0;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = 0;
        if (!buf[0] || buf[0] == '#')
            continue;
        int negative = strncmp(buf, "! ", 2) == 0;
        const char *want = negative ? buf + 2 : buf;
        int found = 0;
        for (int i = 0; i < nrendered && !found; i++)
            found = negative ? strncmp(rendered[i], want, strlen(want)) == 0
                             : strcmp(rendered[i], want) == 0;
        if (found == negative) {
            fprintf(stderr, "kttcheck: %s: %s\n", negative ? "unexpected" : "missing", want);
            missing++;
        }
    }
    fclose(f);
    return missing;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fputs("usage: kttcheck FILE.ktt [EXPECTED]\n", stderr);
        return 2;
    }
    types = calloc(MAXT, sizeof *types);
    read_lines(argv[1]);
    define_types();
    render_all();
    int missing = argc == 3 ? expect(argv[2]) : 0;
    if (argc == 2 || missing || errors)
        for (int i = 0; i < nrendered; i++)
            fprintf(argc == 2 ? stdout : stderr, "%s\n", rendered[i]);
    return missing || errors ? 1 : 0;
}
