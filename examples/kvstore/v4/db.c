/* db.c - the keyspace: one dict shared by all workers, guarded by one lock, and the
 * key-level operations the commands use.  Callers hold db_lock around every use of an
 * entry (db_lock_acquire/db_lock_release).
 *
 * A value is a string or a list (entry->type).  Keys may carry an expiry time.  A key past it is deleted when it is looked up (and
 * by the active cycle in expire.c); `volatile_keys` counts the keys that have one. */
#include <stdlib.h>
#include <string.h>

#include "kvstore.h"

struct dict keyspace = {.rehashidx = -1}; /* "db" before 2.0 */
pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long volatile_keys;

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

static void value_free(struct entry *e)
{
    if (e->type == TYPE_LIST)
        list_free(e->v.list);
    else
        free(e->v.str.ptr);
}

static void entry_free(struct entry *e)
{
    if (e->expire_at)
        volatile_keys--;
    free(e->key);
    value_free(e);
    free(e);
}

int entry_expired(const struct entry *e, long long now)
{
    return e->expire_at && e->expire_at <= now;
}

void entry_set_expire(struct entry *e, long long when_ms)
{
    volatile_keys += (when_ms != 0) - (e->expire_at != 0);
    e->expire_at = when_ms;
}

/* The live entry with this key; an expired one is deleted on the way. */
struct entry *db_find(const char *key, size_t klen)
{
    struct entry *e = dict_find(&keyspace, key, klen);
    if (e && entry_expired(e, now_ms())) {
        db_delete(key, klen);
        STAT_ADD(expired_keys, 1);
        return NULL;
    }
    return e;
}

/* Makes the value this string; returns -1 (value unchanged) when out of memory. */
int entry_set_value(struct entry *e, const char *val, size_t vlen)
{
    char *v = copy_bytes(val, vlen);
    if (!v)
        return -1;
    value_free(e);
    e->type = TYPE_STRING;
    e->v.str.ptr = v;
    e->v.str.len = vlen;
    return 0;
}

static struct entry *entry_new(const char *key, size_t klen)
{
    struct entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->key = copy_bytes(key, klen);
    e->klen = klen;
    if (!e->key) {
        free(e);
        return NULL;
    }
    return e;
}

/* Sets a key's value and clears its expiry; returns its entry (NULL: out of memory). */
struct entry *db_set(const char *key, size_t klen, const char *val, size_t vlen)
{
    struct entry *e = db_find(key, klen);
    if (e) {
        entry_set_expire(e, 0);
        return entry_set_value(e, val, vlen) < 0 ? NULL : e;
    }
    e = entry_new(key, klen);
    if (!e)
        return NULL;
    e->type = TYPE_STRING;
    e->v.str.ptr = copy_bytes(val, vlen);
    e->v.str.len = vlen;
    if (!e->v.str.ptr) {
        entry_free(e);
        return NULL;
    }
    dict_add(&keyspace, e);
    return e;
}

/* Adds a key holding an empty list; the key must not exist. */
struct entry *db_add_list(const char *key, size_t klen)
{
    struct entry *e = entry_new(key, klen);
    if (!e)
        return NULL;
    e->type = TYPE_LIST;
    e->v.list = list_new();
    if (!e->v.list) {
        free(e->key);
        free(e);
        return NULL;
    }
    dict_add(&keyspace, e);
    return e;
}

int db_delete(const char *key, size_t klen)
{
    struct entry *e = dict_unlink(&keyspace, key, klen);
    if (!e)
        return 0;
    entry_free(e);
    return 1;
}

unsigned long db_size(void)
{
    return dict_size(&keyspace);
}

unsigned long db_volatile_keys(void)
{
    return volatile_keys;
}

/* Periodic work of the keyspace: a millisecond of rehashing. */
void db_cron(void)
{
    db_lock_acquire();
    dict_rehash_ms(&keyspace, 1);
    db_lock_release();
}
