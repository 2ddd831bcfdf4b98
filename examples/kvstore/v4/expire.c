/* expire.c - keys with a time to live: the EXPIRE, TTL and PERSIST commands and the
 * active expire cycle, which the listener runs ten times a second to delete expired
 * keys nobody asks for.  The cycle walks the buckets from a cursor, a slice at a time
 * under the lock, so the workers never wait long. */
#include "kvstore.h"

#define SLICE_BUCKETS 1024  /* buckets per lock hold */
#define CYCLE_SLICES 16     /* slices per cycle */

static unsigned long cursor; /* next bucket the cycle looks at */

void expire_command(struct conn *c, int argc, struct arg *argv)
{
    (void)argc;
    long long secs;
    if (parse_ll(argv[2].ptr, argv[2].len, &secs) < 0 || secs > 100000000000LL ||
        secs < -100000000000LL) {
        reply_error(c, "ERR value is not an integer or out of range");
        return;
    }
    db_lock_acquire();
    struct entry *e = db_find(argv[1].ptr, argv[1].len);
    if (e && secs <= 0)
        db_delete(argv[1].ptr, argv[1].len);
    else if (e)
        entry_set_expire(e, now_ms() + secs * 1000);
    db_lock_release();
    reply_int(c, e != NULL);
}

void ttl_command(struct conn *c, int argc, struct arg *argv)
{
    (void)argc;
    long long ttl = -2;
    db_lock_acquire();
    struct entry *e = db_find(argv[1].ptr, argv[1].len);
    if (e)
        ttl = e->expire_at ? (e->expire_at - now_ms() + 500) / 1000 : -1;
    db_lock_release();
    reply_int(c, ttl);
}

void persist_command(struct conn *c, int argc, struct arg *argv)
{
    (void)argc;
    int removed = 0;
    db_lock_acquire();
    struct entry *e = db_find(argv[1].ptr, argv[1].len);
    if (e && e->expire_at) {
        entry_set_expire(e, 0);
        removed = 1;
    }
    db_lock_release();
    reply_int(c, removed);
}

/* Deletes the expired keys of bucket b of table t (deleting may move buckets between
 * the tables, so the chain is read before anything is deleted). */
static void expire_bucket(int t, unsigned long b, long long now)
{
    struct entry *expired[32];
    int n = 0;
    for (struct entry *e = dict_bucket(&keyspace, t, b); e && n < 32; e = e->next)
        if (entry_expired(e, now))
            expired[n++] = e;
    for (int i = 0; i < n; i++) {
        db_delete(expired[i]->key, expired[i]->klen);
        STAT_ADD(expired_keys, 1);
    }
}

/* One slice of buckets of both tables; called with the lock held. */
static void expire_slice(long long now)
{
    for (unsigned long n = 0; n < SLICE_BUCKETS; n++, cursor++)
        for (int t = 0; t <= 1; t++)
            if (keyspace.ht[t].size)
                expire_bucket(t, cursor & keyspace.ht[t].sizemask, now);
}

void expire_cycle(void)
{
    for (int i = 0; i < CYCLE_SLICES; i++) {
        db_lock_acquire();
        if (db_volatile_keys() > 0)
            expire_slice(now_ms());
        db_lock_release();
    }
}
