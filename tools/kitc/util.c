/* util.c - small helpers shared by kitc: allocation, growable buffers, string and
 * pointer hash maps, and lexical path handling. */
#include "util.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("kitc: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("kitc: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("kitc: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *p;
    va_start(ap, fmt);
    int n = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fputs("kitc: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

void grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    *(void **)p = xrealloc(*(void **)p, n * size);
    *cap = n;
}

void sb_put(sbuf *b, const void *data, size_t n)
{
    grow(&b->s, &b->cap, b->len + n + 1, 1);
    memcpy(b->s + b->len, data, n);
    b->len += n;
    b->s[b->len] = 0;
}

void sb_puts(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    char *p;
    va_start(ap, fmt);
    int n = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fputs("kitc: out of memory\n", stderr);
        exit(1);
    }
    sb_put(b, p, (size_t)n);
    free(p);
}

void sb_free(sbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

/* ---- hash maps (open addressing, linear probing) -------------------------------- */

struct smap_ent {
    char *key;
    size_t len;
    uint64_t hash;
    long value;
};

struct pmap_ent {
    const void *key;
    long value;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}

static uint64_t hash_ptr(const void *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static struct smap_ent *smap_find(const smap *m, const void *key, size_t len, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct smap_ent *e = &m->ent[i];
        if (!e->key)
            return e;
        if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0)
            return e;
    }
}

long smap_get(const smap *m, const void *key, size_t len, long absent)
{
    if (!m->cap)
        return absent;
    struct smap_ent *e = smap_find(m, key, len, hash_bytes(key, len));
    return e->key ? e->value : absent;
}

static void smap_rehash(smap *m)
{
    smap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->ent = xcalloc(m->cap, sizeof *m->ent);
    for (size_t i = 0; i < old.cap; i++)
        if (old.ent[i].key)
            *smap_find(m, old.ent[i].key, old.ent[i].len, old.ent[i].hash) = old.ent[i];
    free(old.ent);
}

void smap_put(smap *m, const void *key, size_t len, long value)
{
    if ((m->count + 1) * 2 > m->cap)
        smap_rehash(m);
    uint64_t h = hash_bytes(key, len);
    struct smap_ent *e = smap_find(m, key, len, h);
    if (!e->key) {
        e->key = xstrndup(key, len);
        e->len = len;
        e->hash = h;
        m->count++;
    }
    e->value = value;
}

void smap_free(smap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->ent[i].key);
    free(m->ent);
    m->ent = NULL;
    m->cap = m->count = 0;
}

static struct pmap_ent *pmap_find(const pmap *m, const void *key)
{
    size_t mask = m->cap - 1;
    for (size_t i = hash_ptr(key) & mask;; i = (i + 1) & mask)
        if (!m->ent[i].key || m->ent[i].key == key)
            return &m->ent[i];
}

long pmap_get(const pmap *m, const void *key, long absent)
{
    if (!m->cap)
        return absent;
    struct pmap_ent *e = pmap_find(m, key);
    return e->key ? e->value : absent;
}

void pmap_put(pmap *m, const void *key, long value)
{
    if ((m->count + 1) * 2 > m->cap) {
        pmap old = *m;
        m->cap = old.cap ? old.cap * 2 : 64;
        m->ent = xcalloc(m->cap, sizeof *m->ent);
        for (size_t i = 0; i < old.cap; i++)
            if (old.ent[i].key)
                *pmap_find(m, old.ent[i].key) = old.ent[i];
        free(old.ent);
    }
    struct pmap_ent *e = pmap_find(m, key);
    if (!e->key) {
        e->key = key;
        m->count++;
    }
    e->value = value;
}

void pmap_free(pmap *m)
{
    free(m->ent);
    m->ent = NULL;
    m->cap = m->count = 0;
}

const char *intern(strpool *p, const char *s)
{
    size_t len = strlen(s);
    long i = smap_get(&p->map, s, len, -1);
    if (i >= 0)
        return p->s[i];
    grow(&p->s, &p->cap, p->n + 1, sizeof *p->s);
    p->s[p->n] = xstrdup(s);
    smap_put(&p->map, s, len, (long)p->n);
    return p->s[p->n++];
}

/* ---- paths ---------------------------------------------------------------------- */

char *path_join_norm(const char *dir, const char *path)
{
    char *full = (path[0] == '/' || !dir) ? xstrdup(path) : xasprintf("%s/%s", dir, path);
    int absolute = full[0] == '/';
    size_t n = strlen(full);
    char **parts = xmalloc((n / 2 + 2) * sizeof *parts);
    size_t np = 0;
    for (char *tok = strtok(full, "/"); tok; tok = strtok(NULL, "/")) {
        if (strcmp(tok, ".") == 0)
            continue;
        if (strcmp(tok, "..") == 0 && np > 0 && strcmp(parts[np - 1], "..") != 0) {
            np--;
            continue;
        }
        if (strcmp(tok, "..") == 0 && absolute)
            continue;
        parts[np++] = tok;
    }
    sbuf b = {0};
    if (absolute)
        sb_puts(&b, "/");
    for (size_t i = 0; i < np; i++) {
        if (i)
            sb_puts(&b, "/");
        sb_puts(&b, parts[i]);
    }
    if (!b.len)
        sb_puts(&b, ".");
    free(parts);
    free(full);
    return b.s;
}

char *path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

char *path_common_dir(const char *a, const char *b)
{
    size_t i = 0, last = 0;
    while (a[i] && a[i] == b[i]) {
        if (a[i] == '/')
            last = i;
        i++;
    }
    if ((!a[i] && (!b[i] || b[i] == '/')) || (!b[i] && a[i] == '/'))
        last = i;
    if (last == 0)
        return xstrdup("/");
    return xstrndup(a, last);
}

char *path_relative(const char *path, const char *root)
{
    size_t n = strlen(root);
    if (strcmp(root, "/") == 0 && path[0] == '/')
        return xstrdup(path + 1);
    if (strncmp(path, root, n) == 0 && path[n] == '/')
        return xstrdup(path + n + 1);
    return xstrdup(path);
}

char *path_canonical(const char *path)
{
    char buf[PATH_MAX];
    if (realpath(path, buf))
        return xstrdup(buf);
    return xstrdup(path);
}

char *path_absolute(const char *path)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        strcpy(cwd, "/");
    return path_join_norm(cwd, path);
}

int path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int path_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
