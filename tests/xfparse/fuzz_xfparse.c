/*
 * fuzz_xfparse.c — libFuzzer entry point for the xf parser.
 *
 * Parses the input; on success checks a few invariants of the tree and runs the
 * `$`-escape scanner over every code block; on failure checks that the message
 * names the input and position. Any crash, hang, leak or sanitizer report is a bug.
 * Built by tests/xfparse/CMakeLists.txt with clang -fsanitize=fuzzer,address,undefined.
 */
#include "xf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int count_escape(void *ctx, const char *name, const char **args, int nargs,
                        size_t start, size_t end)
{
    size_t *total = ctx;
    if (name == NULL || end <= start || (nargs > 0 && args == NULL))
        abort();
    for (int i = 0; i < nargs; i++)
        *total += strlen(args[i]);
    return 0;
}

static void check_path(const struct xf_path *p)
{
    char buf[16];
    int n = xf_path_format(p, buf, sizeof buf);
    if (n < 0 || (n < (int)sizeof buf && strlen(buf) != (size_t)n))
        abort();
    if (p->kind == XF_PATH_VAR && (p->var_key == NULL || p->key_name == NULL))
        abort();
    if (p->kind == XF_PATH_TYPE && p->type_name == NULL)
        abort();
}

static void check_file(const struct xf_file *f)
{
    char err[256];
    size_t total = 0;
    if (f->preamble)
        xf_scan_escapes(f->path, f->preamble, f->preamble_line, f->preamble_col,
                        count_escape, &total, err, sizeof err);
    for (int i = 0; i < f->nrules; i++) {
        const struct xf_rule *r = &f->rules[i];
        if (r->nlabels < 1)
            abort();
        for (int j = 0; j < r->nlabels; j++) {
            if (r->labels[j].is_init && r->code == NULL)
                abort();
            if (!r->labels[j].is_init)
                check_path(&r->labels[j].from);
            if (!r->labels[j].is_dropped)
                check_path(&r->labels[j].to);
            else if (r->code)
                abort(); /* (dropped) takes no code */
        }
        if (r->code)
            xf_scan_escapes(f->path, r->code, r->code_line, r->code_col, count_escape,
                            &total, err, sizeof err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xf_file f;
    char err[512];
    if (xf_parse_buffer("fuzz.xf", (const char *)data, size, &f, err, sizeof err) == 0) {
        check_file(&f);
    } else if (strncmp(err, "fuzz.xf:", 8) != 0 || f.rules != NULL || f.path != NULL) {
        abort();
    }
    xf_free(&f);

    /* The scanner on its own, over the raw input as one code block. */
    char *code = malloc(size + 1);
    if (code != NULL) {
        size_t total = 0;
        memcpy(code, data, size);
        code[size] = '\0';
        xf_scan_escapes("fuzz.xf", code, 1, 1, count_escape, &total, err, sizeof err);
        free(code);
    }
    return 0;
}
