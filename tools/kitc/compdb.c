/* compdb.c - the compile commands of a build (compile_commands.json, read with
 * libclang, which splits a shell-quoted "command" as well as it reads an "arguments"
 * list) turned into the arguments kitc gives libclang.  Only the flags that change
 * what the preprocessor and the parser see are kept: -I, -iquote, -isystem,
 * -idirafter, -include, -imacros (joined "-Idir", separate "-I dir", and the long
 * "--include-directory=dir" / "--include FILE" gcc and clang accept), -D, -U, -std=,
 * -ansi and -nostdinc.
 *
 * Paths are resolved as the compiler resolved them.  A relative path is relative to
 * the entry's "directory", the compiler's working directory; kitc makes it absolute,
 * because it opens the files clang names.  A relative -include or -imacros file is
 * searched like #include "..." except that the first place is the working directory,
 * not the source's directory (gcc, "Preprocessor Options"; clang does the same), then
 * the -iquote, -I and -isystem directories in command-line order, wherever the option
 * stands on the command line.  A file found in none of them is passed as written, for
 * clang to find in the system directories or -idirafter.  (clang's -working-directory
 * is not used: libclang implements it with chdir(), for the whole process.) */
#include "compdb.h"
#include "util.h"

#include <clang-c/CXCompilationDatabase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a path option's value is, in the order #include "..." searches them. */
enum path_use { U_QUOTE, U_DIR, U_SYSTEM, U_AFTER, U_FILE, U_COUNT };

static const struct path_opt {
    const char *spelling;
    const char *flag; /* as given to libclang */
    enum path_use use;
} path_opts[] = {
    {"-I", "-I", U_DIR},
    {"--include-directory", "-I", U_DIR},
    {"-iquote", "-iquote", U_QUOTE},
    {"-isystem", "-isystem", U_SYSTEM},
    {"-idirafter", "-idirafter", U_AFTER},
    {"--include-directory-after", "-idirafter", U_AFTER},
    {"-include", "-include", U_FILE},
    {"--include", "-include", U_FILE},
    {"-imacros", "-imacros", U_FILE},
    {"--imacros", "-imacros", U_FILE},
};

/* Flags kept as they are; a name ending in '=' or "-D"/"-U" takes a value. */
static const char *const plain_opts[] = {"-D", "-U", "-std=", "-ansi", "-nostdinc"};

struct strv {
    char **v;
    size_t n, cap;
};

static void strv_push(struct strv *l, char *s)
{
    grow(&l->v, &l->cap, l->n + 1, sizeof *l->v);
    l->v[l->n++] = s;
}

static void strv_free(struct strv *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

void source_add_arg(struct source *s, const char *a)
{
    if (s->nargs + 1 >= s->capargs) {
        s->capargs = s->capargs ? s->capargs * 2 : 16;
        s->args = xrealloc(s->args, (size_t)s->capargs * sizeof *s->args);
    }
    s->args[s->nargs++] = xstrdup(a);
}

void source_free(struct source *s)
{
    for (int i = 0; i < s->nargs; i++)
        free(s->args[i]);
    free(s->args);
    free(s->file);
    free(s->dir);
    *s = (struct source){0};
}

/* The value of option o at argv[*i] - "-Ivalue", "-I value", "--opt=value" or
 * "--opt value" - advancing *i past a separate value; NULL when argv[*i] is not o.
 * A joined value starting with '-' belongs to another option ("-include-pch", "-I-"). */
static const char *option_value(const struct path_opt *o, char **argv, int argc, int *i)
{
    size_t len = strlen(o->spelling);
    if (strncmp(argv[*i], o->spelling, len) != 0)
        return NULL;
    const char *rest = argv[*i] + len;
    if (!*rest)
        return *i + 1 < argc ? argv[++*i] : NULL;
    if (o->spelling[1] == '-')
        return *rest == '=' ? rest + 1 : NULL;
    return *rest != '-' ? rest : NULL;
}

/* path (relative to dir) as the system resolves it: symbolic links and ".." taken
 * by the kernel when it exists, lexically otherwise. */
static char *compiler_path(const char *dir, const char *path)
{
    char *joined = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", dir, path);
    char *p = path_exists(joined) ? path_canonical(joined) : path_join_norm(NULL, joined);
    free(joined);
    return p;
}

/* The file `-include name` read, found as described at the top of the file. */
static char *include_file(const char *name, const char *dir, const struct strv *dirs)
{
    static const enum path_use chain[] = {U_QUOTE, U_DIR, U_SYSTEM};
    if (name[0] == '/')
        return xstrdup(name);
    char *p = compiler_path(dir, name);
    if (path_is_file(p))
        return p;
    free(p);
    for (size_t k = 0; k < sizeof chain / sizeof *chain; k++) {
        const struct strv *l = &dirs[chain[k]];
        for (size_t j = 0; j < l->n; j++) {
            p = compiler_path(l->v[j], name);
            if (path_is_file(p))
                return p;
            free(p);
        }
    }
    return xstrdup(name);
}

/* Whether argv[*i] is one of plain_opts; copies it (and a separate value). */
static int plain_option(struct source *s, char **argv, int argc, int *i)
{
    for (size_t k = 0; k < sizeof plain_opts / sizeof *plain_opts; k++) {
        const char *o = plain_opts[k];
        size_t len = strlen(o);
        int takes_value = o[len - 1] == '=' || strcmp(o, "-D") == 0 || strcmp(o, "-U") == 0;
        if (takes_value ? strncmp(argv[*i], o, len) != 0 : strcmp(argv[*i], o) != 0)
            continue;
        source_add_arg(s, argv[*i]);
        if (takes_value && !argv[*i][len] && o[len - 1] != '=' && *i + 1 < argc)
            source_add_arg(s, argv[++*i]);
        return 1;
    }
    return 0;
}

/* The libclang arguments of one compile command argv (argv[0] is the compiler). */
static void filter_args(struct source *s, char **argv, int argc)
{
    struct strv dirs[U_COUNT] = {{0}};
    struct strv files = {0}; /* flag, value, flag, value ... */
    for (int i = 1; i < argc; i++) {
        const char *val = NULL;
        size_t k;
        for (k = 0; k < sizeof path_opts / sizeof *path_opts; k++)
            if ((val = option_value(&path_opts[k], argv, argc, &i)))
                break;
        if (!val) {
            plain_option(s, argv, argc, &i);
        } else if (path_opts[k].use == U_FILE) {
            strv_push(&files, xstrdup(path_opts[k].flag));
            strv_push(&files, xstrdup(val));
        } else {
            char *dir = compiler_path(s->dir, val);
            source_add_arg(s, path_opts[k].flag);
            source_add_arg(s, dir);
            strv_push(&dirs[path_opts[k].use], dir);
        }
    }
    for (size_t j = 0; j + 1 < files.n; j += 2) {
        char *file = include_file(files.v[j + 1], s->dir, dirs);
        source_add_arg(s, files.v[j]);
        source_add_arg(s, file);
        free(file);
    }
    for (int u = 0; u < U_COUNT; u++)
        strv_free(&dirs[u]);
    strv_free(&files);
}

/* One entry of the database; a relative "directory" is taken relative to the
 * database's own directory. */
static struct source read_entry(CXCompileCommand cmd, const char *db_dir)
{
    struct source s = {0};
    CXString d = clang_CompileCommand_getDirectory(cmd);
    CXString f = clang_CompileCommand_getFilename(cmd);
    s.dir = path_join_norm(db_dir, clang_getCString(d));
    s.file = path_join_norm(s.dir, clang_getCString(f));
    clang_disposeString(d);
    clang_disposeString(f);
    int argc = (int)clang_CompileCommand_getNumArgs(cmd);
    char **argv = xcalloc((size_t)argc + 1, sizeof *argv);
    for (int i = 0; i < argc; i++) {
        CXString a = clang_CompileCommand_getArg(cmd, (unsigned)i);
        argv[i] = xstrdup(clang_getCString(a));
        clang_disposeString(a);
    }
    filter_args(&s, argv, argc);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    return s;
}

int compdb_read(const char *build_dir, struct source **v, size_t *n)
{
    char *db_dir = path_absolute(build_dir);
    CXCompilationDatabase_Error err;
    CXCompilationDatabase db = clang_CompilationDatabase_fromDirectory(db_dir, &err);
    if (err != CXCompilationDatabase_NoError) {
        fprintf(stderr, "kitc: %s: cannot read compile_commands.json\n", build_dir);
        free(db_dir);
        return -1;
    }
    CXCompileCommands cmds = clang_CompilationDatabase_getAllCompileCommands(db);
    unsigned count = clang_CompileCommands_getSize(cmds);
    size_t cap = 0;
    *v = NULL;
    *n = 0;
    for (unsigned i = 0; i < count; i++) {
        grow(v, &cap, *n + 1, sizeof **v);
        (*v)[(*n)++] = read_entry(clang_CompileCommands_getCommand(cmds, i), db_dir);
    }
    clang_CompileCommands_dispose(cmds);
    clang_CompilationDatabase_dispose(db);
    free(db_dir);
    return 0;
}
