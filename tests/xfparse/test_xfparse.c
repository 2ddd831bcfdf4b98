/*
 * test_xfparse.c — unit tests of the xf parser and `$`-escape scanner (tools/xfgen).
 *
 * Usage: test_xfparse DATA_DIR   (DATA_DIR holds sample.xf; CTest: xfparse_unit)
 * Every rule form, comments, paths and code blocks are checked on small inputs;
 * error cases check the exact message text, position included.
 */
#include "xf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static int checks;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        checks++;                                                                      \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
            failures++;                                                                \
        }                                                                              \
    } while (0)

#define CHECK_STR(got, want) check_str(__FILE__, __LINE__, (got), (want))
#define CHECK_INT(got, want) check_int(__FILE__, __LINE__, #got, (got), (want))

static void check_str(const char *file, int line, const char *got, const char *want)
{
    checks++;
    if (got == want || (got && want && strcmp(got, want) == 0))
        return;
    fprintf(stderr, "%s:%d: got  \"%s\"\n%*s want \"%s\"\n", file, line,
            got ? got : "(null)", (int)strlen(file) + 6, "", want ? want : "(null)");
    failures++;
}

static void check_int(const char *file, int line, const char *what, long got, long want)
{
    checks++;
    if (got == want)
        return;
    fprintf(stderr, "%s:%d: %s is %ld, want %ld\n", file, line, what, got, want);
    failures++;
}

/* Parses text that must be valid. Returns 0 on success. */
static int parse_ok(const char *text, struct xf_file *f)
{
    char err[512];
    if (xf_parse_buffer("t.xf", text, strlen(text), f, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "unexpected parse error: %s\n  input: %s\n", err, text);
    failures++;
    return -1;
}

/* Parses text that must be rejected with exactly `msg`. */
#define CHECK_ERROR(text, msg) check_error(__LINE__, (text), (msg))
static void check_error(int line, const char *text, const char *msg)
{
    struct xf_file f;
    char err[512];
    int rc = xf_parse_buffer("t.xf", text, strlen(text), &f, err, sizeof err);
    check_int(__FILE__, line, "xf_parse_buffer", rc, -1);
    if (rc == 0) {
        xf_free(&f);
        return;
    }
    check_str(__FILE__, line, err, msg);
    check_int(__FILE__, line, "nrules after error", f.nrules, 0);
    xf_free(&f);
}

static const char *fmt_path(const struct xf_path *p)
{
    static char buf[4][128];
    static int k;
    char *b = buf[k++ % 4];
    xf_path_format(p, b, 128);
    return b;
}

/* ---- rule forms ---------------------------------------------------------- */

static void test_var_rename(void)
{
    struct xf_file f;
    if (parse_ok("old_name -> new_name", &f))
        return;
    CHECK_INT(f.nrules, 1);
    CHECK(f.preamble == NULL);
    struct xf_rule *r = &f.rules[0];
    CHECK_INT(r->nlabels, 1);
    CHECK(r->code == NULL);
    struct xf_label *l = &r->labels[0];
    CHECK_INT(l->is_init, 0);
    CHECK_INT(l->from.kind, XF_PATH_VAR);
    CHECK_STR(l->from.var_key, "old_name");
    CHECK_STR(l->from.key_name, "old_name");
    CHECK(l->from.key_file == NULL && l->from.key_func == NULL && l->from.key_module == NULL);
    CHECK_INT(l->to.kind, XF_PATH_VAR);
    CHECK_STR(l->to.var_key, "new_name");
    CHECK_INT(l->to.line, 1);
    CHECK_INT(l->to.col, 13);
    xf_free(&f);
}

static void test_dropped(void)
{
    struct xf_file f;
    if (parse_ok("sessions -> (dropped), struct entry.val -> (dropped)\n"
                 "net.c/run#n->(dropped)", &f))
        return;
    CHECK_INT(f.nrules, 2);
    CHECK_INT(f.rules[0].nlabels, 2);
    struct xf_label *l = &f.rules[0].labels[0];
    CHECK_INT(l->is_dropped, 1);
    CHECK_INT(l->is_init, 0);
    CHECK_STR(l->from.var_key, "sessions");
    l = &f.rules[0].labels[1];
    CHECK_INT(l->is_dropped, 1);
    CHECK_STR(fmt_path(&l->from), "struct entry.val");
    l = &f.rules[1].labels[0];
    CHECK_INT(l->is_dropped, 1);
    CHECK_STR(l->from.key_func, "run");
    xf_free(&f);
    CHECK_ERROR("struct T -> (dropped)", "t.xf:1:1: expected a variable key or field path "
                "before '-> (dropped)', found type 'struct T'");
    CHECK_ERROR("x -> (dropped): {}", "t.xf:1:15: expected ',', a new rule or end of file "
                "after 'x -> (dropped)', found ':' ((dropped) rules take no code)");
    CHECK_ERROR("x -> (dropped", "t.xf:1:6: expected a path after '->', found '('");
    CHECK_ERROR("(dropped) -> x", "t.xf:1:1: expected a rule (a path or 'INIT') or end of "
                "file, found '(dropped)'");
}

static void test_var_with_code(void)
{
    struct xf_file f;
    if (parse_ok("main.c/y -> y: { $out = $in * 2; }", &f))
        return;
    struct xf_rule *r = &f.rules[0];
    CHECK_STR(r->labels[0].from.key_file, "main.c");
    CHECK_STR(r->labels[0].from.key_name, "y");
    CHECK_STR(r->labels[0].to.var_key, "y");
    CHECK_STR(r->code, " $out = $in * 2; ");
    CHECK_INT(r->code_line, 1);
    CHECK_INT(r->code_col, 17);
    xf_free(&f);
}

static void test_init_var(void)
{
    struct xf_file f;
    if (parse_ok("INIT main#q: { $out = 7; }\nINIT fresh: {}", &f))
        return;
    CHECK_INT(f.nrules, 2);
    struct xf_label *l = &f.rules[0].labels[0];
    CHECK_INT(l->is_init, 1);
    CHECK(l->from.var_key == NULL);
    CHECK_STR(l->to.key_func, "main");
    CHECK_STR(l->to.key_name, "q");
    CHECK(l->to.key_file == NULL);
    CHECK_INT(l->line, 1);
    CHECK_INT(l->col, 1);
    CHECK_INT(l->to.col, 6);
    CHECK_STR(f.rules[0].code, " $out = 7; ");
    CHECK_STR(f.rules[1].code, "");
    CHECK_INT(f.rules[1].line, 2);
    xf_free(&f);
}

static void test_type_rules(void)
{
    struct xf_file f;
    if (parse_ok("struct a -> struct b\n"
                 "union u -> union v\n"
                 "enum e -> enum e\n"
                 "typedef dictType -> typedef dictType: {}\n"
                 "struct event -> struct event: { memcpy(&$out, &$in, sizeof $out); }",
                 &f))
        return;
    CHECK_INT(f.nrules, 5);
    static const enum xf_type_kind kinds[] = {XF_STRUCT, XF_UNION, XF_ENUM, XF_TYPEDEF,
                                              XF_STRUCT};
    static const char *const names[] = {"a", "u", "e", "dictType", "event"};
    for (int i = 0; i < 5 && i < f.nrules; i++) {
        struct xf_label *l = &f.rules[i].labels[0];
        CHECK_INT(l->from.kind, XF_PATH_TYPE);
        CHECK_INT(l->from.type_kind, kinds[i]);
        CHECK_STR(l->from.type_name, names[i]);
        CHECK_INT(l->from.nfields, 0);
        CHECK_INT(l->to.kind, XF_PATH_TYPE);
        CHECK_INT(l->from.line, i + 1);
        CHECK_INT(l->from.col, 1);
    }
    CHECK_STR(fmt_path(&f.rules[0].labels[0].to), "struct b");
    CHECK_STR(fmt_path(&f.rules[3].labels[0].to), "typedef dictType");
    CHECK(f.rules[0].code == NULL);
    CHECK_STR(f.rules[3].code, "");
    CHECK_STR(f.rules[4].code, " memcpy(&$out, &$in, sizeof $out); ");
    xf_free(&f);
}

static void test_field_rules(void)
{
    struct xf_file f;
    if (parse_ok("struct T.f0 -> struct T.f1\n"
                 "struct T.g -> struct T.g: { $out = (long)$in + $base.f0; }\n"
                 "INIT struct T.h: { $out = 1; }\n"
                 "dictEntry.v -> dictEntry.val",
                 &f))
        return;
    CHECK_INT(f.nrules, 4);
    struct xf_label *l = &f.rules[0].labels[0];
    CHECK_STR(l->from.type_name, "T");
    CHECK_INT(l->from.nfields, 1);
    CHECK_STR(l->from.fields[0], "f0");
    CHECK_STR(l->to.fields[0], "f1");
    CHECK_STR(f.rules[1].code, " $out = (long)$in + $base.f0; ");
    l = &f.rules[2].labels[0];
    CHECK_INT(l->is_init, 1);
    CHECK_STR(fmt_path(&l->to), "struct T.h");
    l = &f.rules[3].labels[0];
    CHECK_INT(l->from.kind, XF_PATH_TYPE);
    CHECK_INT(l->from.type_kind, XF_TYPEDEF);
    CHECK_STR(l->from.type_name, "dictEntry");
    CHECK_STR(l->from.fields[0], "v");
    CHECK_STR(fmt_path(&l->to), "dictEntry.val");
    xf_free(&f);
}

static void test_label_list(void)
{
    struct xf_file f;
    if (parse_ok("INIT struct source.a,\n"
                 "  struct source.b -> struct source.c,\n"
                 "  INIT x: { $out = 0; }",
                 &f))
        return;
    CHECK_INT(f.nrules, 1);
    struct xf_rule *r = &f.rules[0];
    CHECK_INT(r->nlabels, 3);
    CHECK_INT(r->labels[0].is_init, 1);
    CHECK_INT(r->labels[1].is_init, 0);
    CHECK_INT(r->labels[2].is_init, 1);
    CHECK_STR(fmt_path(&r->labels[1].from), "struct source.b");
    CHECK_INT(r->labels[1].line, 2);
    CHECK_INT(r->labels[1].col, 3);
    CHECK_STR(r->labels[2].to.var_key, "x");
    CHECK_STR(r->code, " $out = 0; ");
    CHECK_INT(r->code_line, 3);
    xf_free(&f);

    /* A list of renames needs no code. */
    if (parse_ok("a -> b, c -> d", &f))
        return;
    CHECK_INT(f.nrules, 1);
    CHECK_INT(f.rules[0].nlabels, 2);
    CHECK(f.rules[0].code == NULL);
    xf_free(&f);
}

static void test_preamble(void)
{
    struct xf_file f;
    if (parse_ok("\n  {\n#include <stdio.h>\nstatic void h(void) { puts(\"{\"); }\n}\n"
                 "x -> y",
                 &f))
        return;
    CHECK_STR(f.preamble, "\n#include <stdio.h>\nstatic void h(void) { puts(\"{\"); }\n");
    CHECK_INT(f.preamble_line, 2);
    CHECK_INT(f.preamble_col, 4);
    CHECK_INT(f.nrules, 1);
    xf_free(&f);

    if (parse_ok("// only a preamble\n{}", &f))
        return;
    CHECK_STR(f.preamble, "");
    CHECK_INT(f.nrules, 0);
    xf_free(&f);

    if (parse_ok("", &f))
        return;
    CHECK(f.preamble == NULL);
    CHECK_INT(f.nrules, 0);
    CHECK_STR(f.path, "t.xf");
    xf_free(&f);
}

/* ---- comments, paths, code blocks ---------------------------------------- */

static void test_comments(void)
{
    struct xf_file f;
    const char *text = "/* head */ // line\n"
                       "{ /* in preamble } */ }\n"
                       "// between rules\n"
                       "a /* c */ -> /* c */ b // end\n"
                       "/* x -> y */\n"
                       "INIT /* c */ struct /* c */ T.f /* c */, // c\n"
                       "  c -> d /* c */ : /* c */ { // } in a C comment\n"
                       "  }\n"
                       "/* trailing */";
    if (parse_ok(text, &f))
        return;
    CHECK_STR(f.preamble, " /* in preamble } */ ");
    CHECK_INT(f.nrules, 2);
    CHECK_STR(f.rules[0].labels[0].from.var_key, "a");
    CHECK_STR(f.rules[0].labels[0].to.var_key, "b");
    CHECK_INT(f.rules[1].nlabels, 2);
    CHECK_STR(fmt_path(&f.rules[1].labels[0].to), "struct T.f");
    CHECK_STR(f.rules[1].code, " // } in a C comment\n  ");
    xf_free(&f);

    /* A comment right after a word ends the word. */
    if (parse_ok("a// c\n->b/* c */", &f))
        return;
    CHECK_STR(f.rules[0].labels[0].from.var_key, "a");
    CHECK_STR(f.rules[0].labels[0].to.var_key, "b");
    xf_free(&f);
}

static void test_multilevel_fields(void)
{
    struct xf_file f;
    if (parse_ok("struct T.a.b.c -> struct T.a.d\nINIT union U.x.y: {}\nT.p.q -> T.r", &f))
        return;
    struct xf_path *p = &f.rules[0].labels[0].from;
    CHECK_INT(p->nfields, 3);
    if (p->nfields == 3) {
        CHECK_STR(p->fields[0], "a");
        CHECK_STR(p->fields[1], "b");
        CHECK_STR(p->fields[2], "c");
    }
    CHECK_STR(fmt_path(&f.rules[0].labels[0].to), "struct T.a.d");
    CHECK_STR(fmt_path(&f.rules[1].labels[0].to), "union U.x.y");
    CHECK_INT(f.rules[2].labels[0].from.nfields, 2);
    CHECK_STR(fmt_path(&f.rules[2].labels[0].from), "T.p.q");
    xf_free(&f);
}

static void check_key(const struct xf_path *p, const char *module, const char *file,
                      const char *func, const char *name)
{
    CHECK_INT(p->kind, XF_PATH_VAR);
    CHECK_STR(p->key_module, module);
    CHECK_STR(p->key_file, file);
    CHECK_STR(p->key_func, func);
    CHECK_STR(p->key_name, name);
}

static void test_keys(void)
{
    struct xf_file f;
    if (parse_ok("src/net.c/listen_fd -> src/net/net.c/listen_fd\n"
                 "main.c/main#z -> main#z\n"
                 "plug@foo.c/bar -> plug@sub/dir/foo-bar.c/run#bar\n"
                 "m@x -> m@f#y\n"
                 "_$odd$ -> x2",
                 &f))
        return;
    CHECK_INT(f.nrules, 5);
    check_key(&f.rules[0].labels[0].from, NULL, "src/net.c", NULL, "listen_fd");
    check_key(&f.rules[0].labels[0].to, NULL, "src/net/net.c", NULL, "listen_fd");
    check_key(&f.rules[1].labels[0].from, NULL, "main.c", "main", "z");
    check_key(&f.rules[1].labels[0].to, NULL, NULL, "main", "z");
    check_key(&f.rules[2].labels[0].from, "plug", "foo.c", NULL, "bar");
    check_key(&f.rules[2].labels[0].to, "plug", "sub/dir/foo-bar.c", "run", "bar");
    check_key(&f.rules[3].labels[0].from, "m", NULL, NULL, "x");
    check_key(&f.rules[3].labels[0].to, "m", NULL, "f", "y");
    check_key(&f.rules[4].labels[0].from, NULL, NULL, NULL, "_$odd$");
    CHECK_STR(f.rules[2].labels[0].to.var_key, "plug@sub/dir/foo-bar.c/run#bar");
    xf_free(&f);

    /* '->' without spaces after a key whose file contains '-'. */
    if (parse_ok("foo-bar.c/x->y", &f))
        return;
    check_key(&f.rules[0].labels[0].from, NULL, "foo-bar.c", NULL, "x");
    check_key(&f.rules[0].labels[0].to, NULL, NULL, NULL, "y");
    xf_free(&f);
}

static void test_code_blocks(void)
{
    struct xf_file f;
    const char *text = "x -> y: {\n"
                       "  const char *s = \"}}} \\\" }\";\n"
                       "  char c = '}', d = '\\'', e = '{';\n"
                       "  /* } } */ // }\n"
                       "  if (a) { if (b) { do { } while (0); } }\n"
                       "  const char *t = \"a\\\n}\";\n"
                       "}\n"
                       "z -> w";
    if (parse_ok(text, &f))
        return;
    CHECK_INT(f.nrules, 2);
    const char *code = f.rules[0].code;
    CHECK(code != NULL && strncmp(code, "\n  const char *s", 16) == 0);
    CHECK(code != NULL && strstr(code, "while (0); } }\n") != NULL);
    CHECK(code != NULL && strstr(code, "\"a\\\n}\";\n") != NULL);
    CHECK_INT(f.rules[0].code_line, 1);
    CHECK_INT(f.rules[0].code_col, 10);
    CHECK_INT(f.rules[1].line, 9); /* the string continued a line */
    xf_free(&f);

    /* A '{'-heavy block: 200 nested braces. */
    char heavy[1024];
    size_t n = (size_t)snprintf(heavy, sizeof heavy, "a -> b: ");
    for (int i = 0; i < 201; i++)
        heavy[n++] = '{';
    for (int i = 0; i < 201; i++)
        heavy[n++] = '}';
    heavy[n] = '\0';
    if (parse_ok(heavy, &f))
        return;
    CHECK_INT((long)strlen(f.rules[0].code), 400);
    xf_free(&f);

    /* Code position on a later line, after a tab (a tab is one column). */
    if (parse_ok("\n\n\tINIT v:\n\t\t{$out = 1;}", &f))
        return;
    CHECK_INT(f.rules[0].code_line, 4);
    CHECK_INT(f.rules[0].code_col, 4);
    CHECK_INT(f.rules[0].line, 3);
    CHECK_INT(f.rules[0].col, 2);
    xf_free(&f);
}

static void test_parse_file(const char *dir)
{
    char path[1024], err[512];
    struct xf_file f;
    snprintf(path, sizeof path, "%s/sample.xf", dir);
    int rc = xf_parse_file(path, &f, err, sizeof err);
    CHECK_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_STR(f.path, path);
    CHECK(f.preamble != NULL && strstr(f.preamble, "helper") != NULL);
    CHECK_INT(f.nrules, 9);
    if (f.nrules == 9) {
        CHECK_STR(f.rules[2].labels[0].to.key_func, "accept_loop");
        CHECK_INT(f.rules[5].labels[0].to.nfields, 1);
        CHECK_INT(f.rules[6].labels[0].from.nfields, 2);
        CHECK_INT(f.rules[8].nlabels, 3);
    }
    xf_free(&f);

    snprintf(path, sizeof path, "%s/no-such-file.xf", dir);
    CHECK_INT(xf_parse_file(path, &f, err, sizeof err), -1);
    char want[1200];
    snprintf(want, sizeof want, "%s: cannot read: No such file or directory", path);
    CHECK_STR(err, want);
    CHECK_INT(xf_parse_file(dir, &f, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: cannot read: Is a directory", dir);
    CHECK_STR(err, want);
    xf_free(&f);
}

/* ---- errors ---------------------------------------------------------------- */

static void test_errors(void)
{
    CHECK_ERROR("x ->", "t.xf:1:5: expected a path after '->', found end of file");
    CHECK_ERROR("x -> : {}", "t.xf:1:6: expected a path after '->', found ':'");
    CHECK_ERROR("a b", "t.xf:1:3: expected '->' after 'a', found 'b'");
    CHECK_ERROR("x -> y\n}", "t.xf:2:1: expected ',', ':', a new rule or end of file "
                             "after 'x -> y', found '}'");
    CHECK_ERROR("x -> y: {}\n  }",
                "t.xf:2:3: expected a rule (a path or 'INIT') or end of file, found '}'");
    CHECK_ERROR("}", "t.xf:1:1: expected a rule (a path or 'INIT') or end of file, found '}'");
    CHECK_ERROR("a -> b: {\n  if (x) {\n", "t.xf:1:9: unterminated code block: expected '}' "
                                          "before end of file to close this '{'");
    CHECK_ERROR("{ int x;", "t.xf:1:1: unterminated code block: expected '}' before end of "
                            "file to close this '{'");
    CHECK_ERROR("a -> b: { \"}\n\" }", "t.xf:1:11: unterminated string literal in code "
                                     "block: expected '\"' before end of line");
    CHECK_ERROR("a -> b: { '}", "t.xf:1:11: unterminated character literal in code block: "
                                "expected \"'\" before end of file");
    CHECK_ERROR("a -> b: { /* }", "t.xf:1:11: unterminated comment in code block: expected "
                                  "'*/' before end of file");
    CHECK_ERROR("a -> b\n  /* x -> y", "t.xf:2:3: unterminated comment: expected '*/' "
                                       "before end of file");
    CHECK_ERROR("INIT x\ny -> z",
                "t.xf:2:1: expected ':' and a code block after 'INIT x' (INIT rules must "
                "include initialization code; ': {}' keeps the new initializer), found 'y'");
    CHECK_ERROR("a -> b, INIT struct T.f",
                "t.xf:1:24: expected ':' and a code block after 'INIT struct T.f' (INIT "
                "rules must include initialization code; ': {}' keeps the new initializer), "
                "found end of file");
    CHECK_ERROR("a -> b,\n", "t.xf:2:1: expected a label after ',', found end of file");
    CHECK_ERROR("a -> b, : {}", "t.xf:1:9: expected a label after ',', found ':'");
    CHECK_ERROR("struct -> struct T", "t.xf:1:8: expected a name after 'struct', found '->'");
    CHECK_ERROR("union\n", "t.xf:2:1: expected a name after 'union', found end of file");
    CHECK_ERROR("struct struct T -> x", "t.xf:1:8: expected a name after 'struct', found "
                                        "'struct'");
    CHECK_ERROR("struct T. -> x", "t.xf:1:10: expected field name after '.', found end of "
                                  "path");
    CHECK_ERROR("struct T.a..b -> x", "t.xf:1:12: expected field name after '.', found '.'");
    CHECK_ERROR("T. -> x", "t.xf:1:3: expected field name after '.', found end of path");
    CHECK_ERROR("x ! y", "t.xf:1:3: expected '->' after 'x', found '!'");
    CHECK_ERROR("x -> y; z -> w", "t.xf:1:7: expected ',', ':', a new rule or end of file "
                                  "after 'x -> y', found ';'");
    CHECK_ERROR("\xc3\xa9 -> x", "t.xf:1:1: expected a rule (a path or 'INIT') or end of "
                                 "file, found byte 0xc3");
    CHECK_ERROR("x -> y { }", "t.xf:1:8: expected ':' before the code block of 'x -> y', "
                              "found '{'");
    CHECK_ERROR("x -> y:\nz", "t.xf:2:1: expected '{' after ':', found 'z'");
    CHECK_ERROR("x -> y: {} { }", "t.xf:1:12: expected a rule (a path or 'INIT') or end of "
                                  "file (only the first block of a file is a preamble), "
                                  "found '{'");
    CHECK_ERROR("INIT struct T: {}", "t.xf:1:6: expected a variable key or field path after "
                                     "'INIT', found type 'struct T'");
    CHECK_ERROR("INIT -> x", "t.xf:1:6: expected a variable key or field path after 'INIT', "
                             "found '->'");
    CHECK_ERROR("x -> struct T", "t.xf:1:6: expected a variable key after '->' to match 'x', "
                                 "found type 'struct T'");
    CHECK_ERROR("struct T.a -> struct T", "t.xf:1:15: expected a field path after '->' to "
                                          "match 'struct T.a', found type 'struct T'");
    CHECK_ERROR("main.c/x.f -> y", "t.xf:1:9: expected end of variable key after 'main.c/x' "
                                   "(variables have no field paths), found '.'");
    CHECK_ERROR("x/ -> y", "t.xf:1:3: expected variable name after '/', found end of path");
    CHECK_ERROR("f# -> y", "t.xf:1:3: expected variable name after '#', found end of path");
    CHECK_ERROR("a#b/c -> y", "t.xf:1:2: expected '/' after the file name (a function comes "
                              "after the file: file/func#name), found '#'");
    CHECK_ERROR("a.c/b@c -> y", "t.xf:1:6: expected '@' only after a module name at the "
                                "start of the key (module@file/func#name), found '@'");
    CHECK_ERROR("m@/x -> y", "t.xf:1:3: expected file name before '/', found '/'");
    CHECK_ERROR("1x -> y", "t.xf:1:1: expected variable name, found '1'");
    CHECK_ERROR("x-y -> z", "t.xf:1:2: expected end of variable key after 'x', found '-'");
    CHECK_ERROR("struct T/x -> y", "t.xf:1:9: expected '.' or end of path after 'T', found "
                                   "'/'");
    CHECK_ERROR(".a -> b", "t.xf:1:1: expected a variable key or type name, found '.'");
    CHECK_ERROR("@x -> y", "t.xf:1:1: expected a rule (a path or 'INIT') or end of file, "
                           "found '@'");

    /* NUL bytes, NULL arguments, small error buffers. */
    struct xf_file f;
    char err[512];
    CHECK_INT(xf_parse_buffer("t.xf", "a -> b\n c\0d", 11, &f, err, sizeof err), -1);
    CHECK_STR(err, "t.xf:2:3: expected text, found byte 0x00");
    CHECK_INT(xf_parse_buffer(NULL, "}", 1, &f, err, sizeof err), -1);
    CHECK_STR(err, "<input>:1:1: expected a rule (a path or 'INIT') or end of file, found '}'");
    char small[8];
    CHECK_INT(xf_parse_buffer("t.xf", "}", 1, &f, small, sizeof small), -1);
    CHECK_STR(small, "t.xf:1:");
    CHECK_INT(xf_parse_buffer("t.xf", "}", 1, &f, NULL, 0), -1);
    CHECK_INT(xf_parse_buffer("t.xf", "x", 1, NULL, err, sizeof err), -1);
    CHECK_INT(xf_parse_buffer("t.xf", NULL, 0, &f, err, sizeof err), 0);
    xf_free(&f);
    xf_free(NULL);

    /* The text need not be NUL-terminated: only len bytes are read. */
    CHECK_INT(xf_parse_buffer("t.xf", "a -> bc -> d", 6, &f, err, sizeof err), 0);
    CHECK_STR(f.rules[0].labels[0].to.var_key, "b");
    xf_free(&f);
}

/* ---- xf_path_format ----------------------------------------------------------- */

static void test_path_format(void)
{
    struct xf_file f;
    if (parse_ok("typedef T.a -> enum E.b", &f))
        return;
    char buf[6];
    CHECK_INT(xf_path_format(&f.rules[0].labels[0].from, buf, sizeof buf), 3);
    CHECK_STR(buf, "T.a");
    CHECK_INT(xf_path_format(&f.rules[0].labels[0].to, buf, sizeof buf), 8);
    CHECK_STR(buf, "enum ");
    CHECK_INT(xf_path_format(&f.rules[0].labels[0].to, NULL, 0), 8);
    xf_free(&f);
}

/* ---- escape scanner ------------------------------------------------------------ */

struct seen {
    char log[2048];
    const char *code;
    int stop_after;
    int count;
};

/* Logs each escape as "name[start,end](arg|arg) ". */
static int log_escape(void *ctx, const char *name, const char **args, int nargs,
                      size_t start, size_t end)
{
    struct seen *s = ctx;
    size_t n = strlen(s->log);
    n += (size_t)snprintf(s->log + n, sizeof s->log - n, "%s[%zu,%zu]", name, start, end);
    for (int i = 0; i < nargs; i++)
        n += (size_t)snprintf(s->log + n, sizeof s->log - n, "%s%s", i ? "|" : "(", args[i]);
    snprintf(s->log + n, sizeof s->log - n, "%s ", nargs ? ")" : "");
    return ++s->count == s->stop_after ? 42 : 0;
}

static int scan(const char *code, struct seen *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->code = code;
    return xf_scan_escapes("t.xf", code, 10, 5, log_escape, s, err, errlen);
}

#define CHECK_SCAN(code, want) check_scan(__LINE__, (code), (want))
static void check_scan(int line, const char *code, const char *want)
{
    struct seen s;
    char err[256];
    int rc = scan(code, &s, err, sizeof err);
    check_int(__FILE__, line, "xf_scan_escapes", rc, 0);
    if (rc != 0)
        fprintf(stderr, "  %s\n", err);
    check_str(__FILE__, line, s.log, want);
}

#define CHECK_SCAN_ERROR(code, msg) check_scan_error(__LINE__, (code), (msg))
static void check_scan_error(int line, const char *code, const char *msg)
{
    struct seen s;
    char err[256];
    int rc = scan(code, &s, err, sizeof err);
    check_int(__FILE__, line, "xf_scan_escapes", rc, -1);
    check_str(__FILE__, line, err, msg);
}

static void test_escapes(void)
{
    CHECK_SCAN("$out = $in + $base.x;", "out[0,4] in[7,10] base[13,18] ");
    CHECK_SCAN("XF_INVOKE(XF_PTR($xform(struct X, struct  X)), &$in, &$out);",
               "xform[17,44](struct X|struct X) in[48,51] out[54,58] ");
    CHECK_SCAN("$xform(typedef list, typedef list, XF_RAW(sizeof(void *)), $gen(t))",
               "xform[0,67](typedef list|typedef list|XF_RAW(sizeof(void *))|$gen(t)) ");
    CHECK_SCAN("\"$in\" '$' /* $out */ // $base\n$in", "in[30,33] ");
    CHECK_SCAN("$input $oldtype( struct /*c*/ S ) $newtype(enum  E)",
               "oldtype[7,33](struct S) newtype[34,51](enum E) ");
    CHECK_SCAN("$xform(a, f(\",)\", ')'), c)", "xform[0,26](a|f(\",)\", ')')|c) ");
    CHECK_SCAN("$xform ( a ,\n b )", "xform[0,17](a|b) ");
    CHECK_SCAN("$gen(elem) $unknown(1, $9 $ $$in", "gen[0,10](elem) in[29,32] ");
    CHECK_SCAN("s = \"  a  \"; $gen(\"a  b\")", "gen[13,25](\"a  b\") ");
    CHECK_SCAN("", "");

    /* The callback can stop the scan; its value is returned. */
    struct seen s;
    char err[256] = "untouched";
    /* err is cleared, not written */
    memset(&s, 0, sizeof s);
    s.stop_after = 2;
    CHECK_INT(xf_scan_escapes("t.xf", "$in $out $base", 1, 1, log_escape, &s, err,
                              sizeof err), 42);
    CHECK_STR(s.log, "in[0,3] out[4,8] ");
    CHECK_STR(err, "");

    CHECK_SCAN_ERROR("x = $xform(struct A, struct B;\n",
                     "t.xf:10:9: unbalanced '$xform(': expected ')' before end of code block");
    CHECK_SCAN_ERROR("$xform(a,\n $gen(b),\n $xform(c, d",
                     "t.xf:12:2: unbalanced '$xform(': expected ')' before end of code block");
    CHECK_SCAN_ERROR("$xform(a, \")\"", "t.xf:10:5: unbalanced '$xform(': expected ')' "
                                        "before end of code block");
    CHECK_SCAN_ERROR("$xform(a,,b)", "t.xf:10:14: expected an argument before ',', found ','");
    CHECK_SCAN_ERROR("$xform(a, b, )",
                     "t.xf:10:18: expected an argument before ')', found ')'");
    CHECK_SCAN_ERROR("\n  $xform(a)", "t.xf:11:3: expected 2 or more arguments to '$xform', "
                                      "found 1");
    CHECK_SCAN_ERROR("$gen()", "t.xf:10:5: expected 1 argument to '$gen', found 0");
    CHECK_SCAN_ERROR("$oldtype(a, b)", "t.xf:10:5: expected 1 argument to '$oldtype', found 2");
    CHECK_SCAN_ERROR("$newtype x", "t.xf:10:14: expected '(' after '$newtype', found 'x'");
    CHECK_SCAN_ERROR("$gen", "t.xf:10:9: expected '(' after '$gen', found end of code");
    CHECK_SCAN_ERROR("$xform(a, $gen())", "t.xf:10:15: expected 1 argument to '$gen', found 0");
}

/* The escape scanner on a code block from the parser reports .xf positions. */
static void test_escapes_in_file(void)
{
    struct xf_file f;
    if (parse_ok("x -> y: {\n  XF_INVOKE($xform(struct a, struct b), &$in, &$out;\n}", &f))
        return;
    struct seen s;
    char err[256];
    memset(&s, 0, sizeof s);
    const struct xf_rule *r = &f.rules[0];
    CHECK_INT(xf_scan_escapes(f.path, r->code, r->code_line, r->code_col, log_escape, &s,
                              err, sizeof err), 0);
    xf_free(&f);

    if (parse_ok("x -> y: {\n  $out = $xform(struct a, struct b;\n}", &f))
        return;
    r = &f.rules[0];
    CHECK_INT(xf_scan_escapes(f.path, r->code, r->code_line, r->code_col, log_escape, &s,
                              err, sizeof err), -1);
    CHECK_STR(err, "t.xf:2:10: unbalanced '$xform(': expected ')' before end of code block");
    xf_free(&f);
}

/* SWITCH: the type a void * field points to, by a tag field of the old object. */
static void test_switch(void)
{
    struct xf_file f;
    if (parse_ok("// msg.payload by its kind\n"
                 "SWITCH struct msg.payload ON self.kind {\n"
                 "    1: struct text\n"
                 "    2, 0x3: struct num,\n"
                 "    -1, 'x': (opaque)\n"
                 "    MSG_LIST: list_t\n"
                 "    default: (opaque)\n"
                 "}\n"
                 "struct msg.id -> struct msg.id2\n", &f) == 0) {
        CHECK_INT(f.nrules, 2);
        const struct xf_rule *r = &f.rules[0];
        CHECK_INT(r->nlabels, 1);
        CHECK(r->code == NULL);
        CHECK(r->sw != NULL);
        CHECK_INT(r->labels[0].is_switch, 1);
        CHECK_STR(fmt_path(&r->labels[0].to), "struct msg.payload");
        CHECK_STR(fmt_path(&r->labels[0].from), "struct msg.payload");
        CHECK_INT(r->line, 2);
        CHECK_INT(r->col, 1);
        if (r->sw) {
            const struct xf_switch *sw = r->sw;
            CHECK_INT(sw->ntag, 1);
            CHECK_STR(sw->tag[0], "kind");
            CHECK_INT(sw->tag_line, 2);
            CHECK_INT(sw->tag_col, 30);
            CHECK_INT(sw->narms, 5);
            CHECK_INT(sw->arms[0].nvalues, 1);
            CHECK_STR(sw->arms[0].values[0], "1");
            CHECK_STR(fmt_path(&sw->arms[0].target), "struct text");
            CHECK_INT(sw->arms[1].nvalues, 2);
            CHECK_STR(sw->arms[1].values[1], "0x3");
            CHECK_INT(sw->arms[2].is_opaque, 1);
            CHECK_STR(sw->arms[2].values[0], "-1");
            CHECK_STR(sw->arms[2].values[1], "'x'");
            CHECK_STR(fmt_path(&sw->arms[3].target), "typedef list_t");
            CHECK_STR(sw->arms[3].values[0], "MSG_LIST");
            CHECK_INT(sw->arms[4].nvalues, 0); /* default */
            CHECK_INT(sw->arms[4].is_opaque, 1);
            CHECK_INT(sw->arms[4].line, 7);
            CHECK_INT(sw->arms[4].col, 5);
        }
        CHECK(f.rules[1].sw == NULL);
        xf_free(&f);
    }
    if (parse_ok("SWITCH conn_t.u.data ON self.hdr.type { 0: union val }", &f) == 0) {
        CHECK_STR(fmt_path(&f.rules[0].labels[0].to), "conn_t.u.data");
        CHECK_INT(f.rules[0].sw->ntag, 2);
        CHECK_STR(f.rules[0].sw->tag[1], "type");
        CHECK_STR(fmt_path(&f.rules[0].sw->arms[0].target), "union val");
        xf_free(&f);
    }
    CHECK_ERROR("SWITCH counter ON self.k { 1: struct a }",
                "t.xf:1:8: expected a field path after 'SWITCH' (the void * it decides), "
                "found variable key 'counter'");
    CHECK_ERROR("SWITCH struct msg ON self.k { 1: struct a }",
                "t.xf:1:8: expected a field path after 'SWITCH' (the void * it decides), "
                "found type 'struct msg'");
    CHECK_ERROR("SWITCH struct msg.p BY self.k { 1: struct a }",
                "t.xf:1:21: expected 'ON' after 'struct msg.p', found 'BY'");
    CHECK_ERROR("SWITCH struct msg.p ON kind { 1: struct a }",
                "t.xf:1:24: expected the tag field after 'ON', as self.FIELD (a field of "
                "the old object), found 'kind'");
    CHECK_ERROR("SWITCH struct msg.p ON self.k 1: struct a",
                "t.xf:1:31: expected '{' and the cases of the SWITCH, found '1'");
    CHECK_ERROR("SWITCH struct msg.p ON self.k { }",
                "t.xf:1:33: expected a case of the SWITCH (an integer, a character, an "
                "enumerator or 'default'), found '}'");
    CHECK_ERROR("SWITCH struct msg.p ON self.k { 1: struct a 1: struct b }",
                "t.xf:1:45: case '1' of the SWITCH appears twice (first at 1:33)");
    CHECK_ERROR("SWITCH struct msg.p ON self.k { default: struct a default: (opaque) }",
                "t.xf:1:51: case 'default' of the SWITCH appears twice (first at 1:33)");
    CHECK_ERROR("SWITCH struct msg.p ON self.k { 1x: struct a }",
                "t.xf:1:33: expected a case of the SWITCH (an integer, a character, an "
                "enumerator or 'default') or '}', found '1x'");
    CHECK_ERROR("SWITCH struct msg.p ON self.k { 1 struct a }",
                "t.xf:1:35: expected ':' after the case, found 'struct'");
    CHECK_ERROR("SWITCH struct msg.p ON self.k { 1: enum e }",
                "t.xf:1:36: expected a type ('struct T', 'union T', 'typedef T') or "
                "'(opaque)' after ':', found an enum");
    CHECK_ERROR("SWITCH struct msg.p ON self.k { 1: struct a.f }",
                "t.xf:1:36: expected a type ('struct T', 'union T', 'typedef T') or "
                "'(opaque)' after ':', found a field path");
    CHECK_ERROR("SWITCH struct msg.p ON self.k { 1: (dropped) }",
                "t.xf:1:36: expected a type ('struct T', 'union T', 'typedef T') or "
                "'(opaque)' after ':', found '(dropped)'");
    CHECK_ERROR("SWITCH struct msg.p ON self.k { 1: struct a }: { }",
                "t.xf:1:46: expected a new rule or end of file after the SWITCH of "
                "'struct msg.p', found ':' (a SWITCH is a rule of its own, without code)");
    CHECK_ERROR("SWITCH struct msg.p ON self.k { 1: struct a",
                "t.xf:1:44: expected a case of the SWITCH (an integer, a character, an "
                "enumerator or 'default') or '}', found end of file");
    CHECK_ERROR("x -> SWITCH", "t.xf:1:6: expected a path after '->', found 'SWITCH'");
}

int main(int argc, char **argv)
{
    const char *data = argc > 1 ? argv[1] : "tests/xfparse/data";
    test_var_rename();
    test_dropped();
    test_var_with_code();
    test_init_var();
    test_type_rules();
    test_field_rules();
    test_label_list();
    test_preamble();
    test_comments();
    test_multilevel_fields();
    test_keys();
    test_code_blocks();
    test_parse_file(data);
    test_errors();
    test_path_format();
    test_escapes();
    test_escapes_in_file();
    test_switch();
    if (failures) {
        fprintf(stderr, "test_xfparse: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_xfparse: all %d checks passed\n", checks);
    return 0;
}
