/* kvstore.h - the types every part of kvstore shares, and each file's entry points.
 *
 * kvstore is a small Redis-compatible key-value server (RESP2 over TCP) with
 * memcached's thread structure: a listener thread accepts connections and hands each
 * one to one of N worker threads, every worker running its own epoll loop.  It is the
 * main demonstration of kitsune: each release (v1 ... v4) is built as an updatable
 * shared object and the running server is updated from one to the next.
 *
 * Lines marked "DSU:" are what dynamic updating needed; the rest is the plain server. */
#ifndef KVSTORE_H
#define KVSTORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "kitsune.h"

#define KVSTORE_VERSION "1.2.0"
#define MAX_WORKERS 64
#define MAX_ARGS 1024 /* arguments of one request */

/* ---- keyspace: dict.c, db.c ---------------------------------------------------- */

enum value_type { TYPE_STRING, TYPE_LIST };

struct str {
    char *E_OPAQUE ptr;  /* DSU: heap bytes, never followed by the updater */
    size_t len;
};

struct list_node {
    struct list_node *prev, *next;
    struct str s;
};

struct list {
    struct list_node *head, *tail;
    unsigned long len;
};

/* A key's value: which member is in use is the entry's `type`.  DSU: the members are
 * opaque to the updater - the value owns what they point to, and no release so far
 * changed those objects (one that does drops E_OPAQUE and writes a rule for
 * struct entry.v saying which member is in use). */
union value {
    struct str str;
    struct list *E_OPAQUE list;
};

struct entry {
    struct entry *next;  /* bucket chain */
    char *E_OPAQUE key;  /* DSU: heap bytes, never followed by the updater */
    size_t klen;
    long long expire_at; /* unix time in ms; 0 = never (new in 1.1) */
    enum value_type type; /* new in 1.2 */
    union value v;        /* new in 1.2: was char *val and size_t vlen */
};

/* A chained hash table whose size is a power of two. */
struct dict {
    struct entry **E_PTRARRAY(self.size) table; /* DSU: `size` buckets */
    unsigned long size;
    unsigned long used;
};

extern struct dict db;
extern pthread_mutex_t db_lock;

uint64_t dict_hash(const char *key, size_t len);
struct entry *dict_find(struct dict *d, const char *key, size_t klen);
void dict_add(struct dict *d, struct entry *e);
struct entry *dict_unlink(struct dict *d, const char *key, size_t klen);

void db_lock_acquire(void);
void db_lock_release(void);
struct entry *db_find(const char *key, size_t klen);
struct entry *dict_bucket(struct dict *d, unsigned long i);

struct entry *db_set(const char *key, size_t klen, const char *val, size_t vlen);
struct entry *db_add_list(const char *key, size_t klen);
int db_delete(const char *key, size_t klen);
int entry_set_value(struct entry *e, const char *val, size_t vlen);
void entry_set_expire(struct entry *e, long long when_ms);
int entry_expired(const struct entry *e, long long now);
unsigned long db_size(void);
unsigned long db_volatile_keys(void);

/* expire.c */
void expire_cycle(void);

/* list.c */
struct list *list_new(void);
void list_free(struct list *l);

/* ---- connections and workers: net.c, worker.c ------------------------------------ */

struct conn {
    struct conn *next;        /* in a worker's queue of new connections */
    int fd;
    int worker;
    unsigned long long id;
    char *E_OPAQUE rbuf;      /* DSU: bytes read, not yet a whole request */
    size_t rlen, rcap;
    char *E_OPAQUE wbuf;      /* DSU: reply bytes not yet written */
    size_t wpos, wlen, wcap;
    int want_write;           /* EPOLLOUT is registered */
    int close_after_write;    /* QUIT or a protocol error */
};

struct worker {
    int id;
    int epfd;                 /* its own epoll set; events carry data.fd only */
    int notify_fd;            /* eventfd: the listener queued new connections */
    pthread_mutex_t lock;     /* guards `incoming` */
    struct conn *incoming;
    struct conn **E_PTRARRAY(self.conns_cap) conns; /* DSU: by file descriptor */
    int conns_cap;
};

extern struct worker workers[MAX_WORKERS];

int net_listen(int port, int *bound_port);
int net_accept(int listen_fd);
int conn_read(struct conn *c);
int conn_flush(struct conn *c);
void conn_append(struct conn *c, const void *data, size_t len);

int workers_start(int n);
void worker_hand_over(int fd, unsigned long long id);

/* ---- protocol: resp.c ------------------------------------------------------------ */

struct arg {
    const char *ptr;
    size_t len;
};

long resp_parse(const char *buf, size_t len, struct arg *argv, int *argc, const char **err);
int parse_ll(const char *p, size_t len, long long *out);
void reply_status(struct conn *c, const char *s);
void reply_error(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_int(struct conn *c, long long v);
void reply_bulk(struct conn *c, const char *p, size_t len);
void reply_null(struct conn *c);
void reply_array(struct conn *c, long n);

/* ---- commands and server: commands.c, main.c ------------------------------------- */

void command_execute(struct conn *c, int argc, struct arg *argv);
void expire_command(struct conn *c, int argc, struct arg *argv);
void ttl_command(struct conn *c, int argc, struct arg *argv);
void persist_command(struct conn *c, int argc, struct arg *argv);
void lpush_command(struct conn *c, int argc, struct arg *argv);
void rpush_command(struct conn *c, int argc, struct arg *argv);
void lpop_command(struct conn *c, int argc, struct arg *argv);
void rpop_command(struct conn *c, int argc, struct arg *argv);
void lrange_command(struct conn *c, int argc, struct arg *argv);
void llen_command(struct conn *c, int argc, struct arg *argv);
void reply_wrongtype(struct conn *c);

struct stats {
    long long connections_received;
    long long connected_clients;
    long long commands_processed;
    long long keyspace_hits;
    long long keyspace_misses;
    long long expired_keys; /* new in 1.1 */
};

struct server {
    int port;
    int nworkers;
    int listen_fd;
    int epfd;                 /* the listener's epoll set */
    long long start_ms;
};

extern struct server server;
extern struct stats stats;

long long now_ms(void);

#define STAT_ADD(field, n) __atomic_add_fetch(&stats.field, (n), __ATOMIC_RELAXED)

#endif
