/* compdb.h - the compile commands of a build (compile_commands.json) turned into the
 * arguments kitc gives libclang, with every path resolved as the compiler did. */
#ifndef KITC_COMPDB_H
#define KITC_COMPDB_H

#include <stddef.h>

/* One source to parse and the arguments for libclang. */
struct source {
    char *file;  /* absolute, normalised */
    char *dir;   /* the compiler's working directory (the entry's "directory"), or NULL */
    char **args;
    int nargs, capargs;
};

/* Reads BUILD_DIR/compile_commands.json: one source per entry, in the database's
 * order.  Returns 0, or -1 after printing an error. */
int compdb_read(const char *build_dir, struct source **v, size_t *n);

void source_add_arg(struct source *s, const char *a);
void source_free(struct source *s);

#endif
