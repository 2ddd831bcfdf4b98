/* main.c - the kitc command: writes the .ktt type summary of a built version
 * (DWARF for layout, libclang for the source annotations), and embeds it into or
 * extracts it from the object. */
#include "kitc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef KITC_INCLUDE_DIR
#define KITC_INCLUDE_DIR ""
#endif

static const char usage[] =
    "usage: kitc [-o OUT.ktt] [-p BUILD_DIR] [--root DIR] [-I DIR]... [-D NAME[=VALUE]]...\n"
    "            [-U NAME]... [--allow-unparsed] [--no-source] [--explain FIELD] APP.so\n"
    "       kitc --embed APP.ktt APP.so\n"
    "       kitc --extract APP.so\n"
    "       kitc --help | --version\n";

struct options {
    const char *out;
    const char *object;
    const char *root;
    const char *explain;  /* --explain: print what was inferred for this field */
    int no_source;
    struct source_opts src;
};

/* kitsune.h next to an installed kitc (BIN/../include) and in the source tree. */
static void add_default_includes(struct options *o)
{
    static char installed[PATH_MAX + 16];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *dir = path_dirname(exe);
        snprintf(installed, sizeof installed, "%s/../include", dir);
        free(dir);
        o->src.incdirs[o->src.nincdirs++] = installed;
    }
    if (KITC_INCLUDE_DIR[0])
        o->src.incdirs[o->src.nincdirs++] = KITC_INCLUDE_DIR;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* NAME or NAME=VALUE with NAME an identifier. */
static int is_macro(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    while (isalnum((unsigned char)*s) || *s == '_')
        s++;
    return *s == 0 || *s == '=';
}

static void add_define(struct options *o, const char *flag, const char *value)
{
    o->src.defines[o->src.ndefines++] = xasprintf("%s%s", flag, value);
}

/* Absolute: with -p, clang runs in each entry's directory, not in kitc's. */
static void add_incdir(struct options *o, const char *dir)
{
    o->src.incdirs[o->src.nincdirs++] = path_absolute(dir);
}

static int parse_args(int argc, char **argv, struct options *o)
{
    o->src.incdirs = xcalloc((size_t)argc + 2, sizeof *o->src.incdirs);
    o->src.defines = xcalloc((size_t)argc + 1, sizeof *o->src.defines);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        /* a bare "-I" (an empty include list expanded by a build system) is skipped
         * unless a directory follows */
        if (strcmp(a, "-I") == 0 && !(more && is_dir(argv[i + 1])))
            continue;
        if (strcmp(a, "-o") == 0 && more)
            o->out = argv[++i];
        else if (strcmp(a, "-p") == 0 && more)
            o->src.build_dir = argv[++i];
        else if (strcmp(a, "--root") == 0 && more)
            o->root = argv[++i];
        else if (strcmp(a, "-I") == 0 && more)
            add_incdir(o, argv[++i]);
        else if (strncmp(a, "-I", 2) == 0 && a[2])
            add_incdir(o, a + 2);
        else if (strcmp(a, "-D") == 0 || strcmp(a, "-U") == 0) {
            if (more && is_macro(argv[i + 1])) /* else a bare -D: an empty list */
                add_define(o, a, argv[++i]);
        }
        else if ((strncmp(a, "-D", 2) == 0 || strncmp(a, "-U", 2) == 0) && a[2])
            add_define(o, "", a);
        else if (strcmp(a, "--allow-unparsed") == 0)
            o->src.allow_unparsed = 1;
        else if (strcmp(a, "--explain") == 0 && more)
            o->explain = argv[++i];
        else if (strcmp(a, "--no-source") == 0)
            o->no_source = 1;
        else if (a[0] == '-' || o->object)
            return -1;
        else
            o->object = a;
    }
    if (!o->object)
        return -1;
    add_default_includes(o);
    return 0;
}

/* Writes to a device or a pipe in place (`-o /dev/null`): a temporary file renamed
 * over it would replace it, and as root that destroys /dev/null. */
static int write_in_place(const struct model *m, const char *out)
{
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "kitc: %s: %s\n", out, strerror(errno));
        return -1;
    }
    emit_ktt(m, f);
    if (ferror(f) | fclose(f)) {
        fprintf(stderr, "kitc: %s: cannot write\n", out);
        return -1;
    }
    return 0;
}

static int write_output(const struct model *m, const char *out)
{
    if (!out || strcmp(out, "-") == 0) {
        emit_ktt(m, stdout);
        return fflush(stdout) == 0 ? 0 : -1;
    }
    struct stat st;
    if (stat(out, &st) == 0 && !S_ISREG(st.st_mode))
        return write_in_place(m, out);
    char *tmp = xasprintf("%s.tmp.%d", out, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "kitc: %s: %s\n", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    emit_ktt(m, f);
    int err = ferror(f) | fclose(f);
    if (err || rename(tmp, out) != 0) {
        fprintf(stderr, "kitc: %s: cannot write\n", out);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

static int generate(struct options *o)
{
    struct model m = {0};
    m.object = o->object;
    if (dwarf_read(&m, o->object) != 0)
        return 1;
    struct annot_list al = {0};
    char *db_root = NULL;
    if (!o->no_source && annotations_collect(&o->src, &m, &al, &db_root) != 0)
        return 1;
    if (o->root)
        m.root = path_absolute(o->root);
    else if (db_root)
        m.root = db_root;
    else
        dwarf_default_root(&m);
    infer_lengths(&m, &al);
    if (annotations_attach(&m, &al) != 0 || infer_apply(&m, &al, o->explain) != 0)
        return 1;
    make_keys(&m);
    dedup_types(&m);
    if (var_sizes(&m) != 0)
        return 1;
    assign_ids(&m);
    if (o->explain && !o->out)
        return fflush(stdout) == 0 ? 0 : 1;
    return write_output(&m, o->out) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--embed") == 0)
        return ktt_embed(argv[2], argv[3]) == 0 ? 0 : 1;
    if (argc == 3 && strcmp(argv[1], "--extract") == 0)
        return ktt_extract(argv[2], stdout) == 0 ? 0 : 1;
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("kitc %s\n", KITSUNE_VERSION);
        return 0;
    }
    struct options o = {0};
    if (parse_args(argc, argv, &o) != 0) {
        fputs(usage, stderr);
        return 2;
    }
    return generate(&o);
}
