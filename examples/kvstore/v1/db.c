/* db.c - the keyspace: one dict shared by all workers, guarded by one lock, and the
 * key-level operations the commands use.  Callers hold db_lock around every use of an
 * entry (db_lock_acquire/db_lock_release). */
#include <stdlib.h>
#include <string.h>

#include "kvstore.h"

struct dict db;
pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;

void db_lock_acquire(void)
{
    pthread_mutex_lock(&db_lock);
}

void db_lock_release(void)
{
    pthread_mutex_unlock(&db_lock);
}

static char *copy_bytes(const char *p, size_t len)
{
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, p, len);
        s[len] = '\0';
    }
    return s;
}

static void entry_free(struct entry *e)
{
    free(e->key);
    free(e->val);
    free(e);
}

struct entry *db_find(const char *key, size_t klen)
{
    return dict_find(&db, key, klen);
}

/* Replaces the value; returns -1 (value unchanged) when out of memory. */
int entry_set_value(struct entry *e, const char *val, size_t vlen)
{
    char *v = copy_bytes(val, vlen);
    if (!v)
        return -1;
    free(e->val);
    e->val = v;
    e->vlen = vlen;
    return 0;
}

void db_set(const char *key, size_t klen, const char *val, size_t vlen)
{
    struct entry *e = dict_find(&db, key, klen);
    if (e) {
        entry_set_value(e, val, vlen);
        return;
    }
    e = calloc(1, sizeof *e);
    if (!e)
        return;
    e->key = copy_bytes(key, klen);
    e->klen = klen;
    e->val = copy_bytes(val, vlen);
    e->vlen = vlen;
    if (!e->key || !e->val) {
        entry_free(e);
        return;
    }
    dict_add(&db, e);
}

int db_delete(const char *key, size_t klen)
{
    struct entry *e = dict_unlink(&db, key, klen);
    if (!e)
        return 0;
    entry_free(e);
    return 1;
}

unsigned long db_size(void)
{
    return db.used;
}
