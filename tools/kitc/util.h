/* util.h - small helpers shared by kitc: allocation, growable buffers, string and
 * pointer hash maps, and lexical path handling. */
#ifndef KITC_UTIL_H
#define KITC_UTIL_H

#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows an array *p of *cap elements of size `size` so that it holds `need`. */
void grow(void *p, size_t *cap, size_t need, size_t size);

/* A growable NUL-terminated byte buffer. */
typedef struct {
    char *s;
    size_t len, cap;
} sbuf;

void sb_put(sbuf *b, const void *data, size_t n);
void sb_puts(sbuf *b, const char *s);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(sbuf *b);

/* Map from byte strings (copied) to long values. */
typedef struct {
    struct smap_ent *ent;
    size_t cap, count;
} smap;

/* Returns the value for key, or `absent` when there is none. */
long smap_get(const smap *m, const void *key, size_t len, long absent);
void smap_put(smap *m, const void *key, size_t len, long value);
void smap_free(smap *m);

/* Map from pointers (not owned) to long values. */
typedef struct {
    struct pmap_ent *ent;
    size_t cap, count;
} pmap;

long pmap_get(const pmap *m, const void *key, long absent);
void pmap_put(pmap *m, const void *key, long value);
void pmap_free(pmap *m);

/* Interned strings: equal strings share one stable pointer. */
typedef struct {
    smap map;
    char **s;
    size_t n, cap;
} strpool;

const char *intern(strpool *p, const char *s);

/* Joins dir and path (path wins if absolute) and removes "." and ".." components
 * and duplicate slashes lexically.  Returns a new string. */
char *path_join_norm(const char *dir, const char *path);
/* The directory part of a normalised absolute path ("/" for "/x"). New string. */
char *path_dirname(const char *path);
/* Longest common directory of two normalised absolute directories.  New string. */
char *path_common_dir(const char *a, const char *b);
/* path relative to root when inside it, else path itself.  New string. */
char *path_relative(const char *path, const char *root);
/* realpath() when the file exists, else a copy.  New string. */
char *path_canonical(const char *path);
/* path made absolute against the current directory, normalised.  New string. */
char *path_absolute(const char *path);
/* Whether path exists; whether it is a regular file (through symbolic links). */
int path_exists(const char *path);
int path_is_file(const char *path);

#endif
