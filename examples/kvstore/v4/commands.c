/* commands.c - the command table and the commands: connection (PING, ECHO, QUIT,
 * CLIENT ID/SETNAME/GETNAME),
 * strings (GET, SET, INCR), keys (DEL, EXISTS, DBSIZE; EXPIRE, TTL and PERSIST are in
 * expire.c) and server (INFO, CONFIG GET).  The list commands are in list.c.
 *
 * DSU: the table is const, so each version keeps its own (it is never migrated) and a
 * new release's commands appear the moment it runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kvstore.h"

typedef void command_proc(struct conn *c, int argc, struct arg *argv);

struct command {
    const char *name;
    int arity; /* number of arguments with the name; -N means at least N */
    command_proc *proc;
};

/* ---- connection ---- */

static void ping_command(struct conn *c, int argc, struct arg *argv)
{
    if (argc > 1)
        reply_bulk(c, argv[1].ptr, argv[1].len);
    else
        reply_status(c, "PONG");
}

static void echo_command(struct conn *c, int argc, struct arg *argv)
{
    (void)argc;
    reply_bulk(c, argv[1].ptr, argv[1].len);
}

static void quit_command(struct conn *c, int argc, struct arg *argv)
{
    (void)argc, (void)argv;
    reply_status(c, "OK");
    c->close_after_write = 1;
}

void reply_wrongtype(struct conn *c)
{
    reply_error(c, "WRONGTYPE Operation against a key holding the wrong kind of value");
}

/* CLIENT ID | CLIENT SETNAME name | CLIENT GETNAME */
void client_command(struct conn *c, int argc, struct arg *argv)
{
    const struct arg *sub = &argv[1];
    if (argc == 2 && sub->len == 2 && strncasecmp(sub->ptr, "id", 2) == 0) {
        reply_int(c, (long long)c->id);
    } else if (argc == 2 && sub->len == 7 && strncasecmp(sub->ptr, "getname", 7) == 0) {
        if (c->name)
            reply_bulk(c, c->name, strlen(c->name));
        else
            reply_null(c);
    } else if (argc == 3 && sub->len == 7 && strncasecmp(sub->ptr, "setname", 7) == 0) {
        for (size_t i = 0; i < argv[2].len; i++)
            if (argv[2].ptr[i] <= ' ' || argv[2].ptr[i] > '~') {
                reply_error(c, "ERR Client names cannot contain spaces, newlines or "
                               "special characters.");
                return;
            }
        free(c->name);
        c->name = argv[2].len ? strndup(argv[2].ptr, argv[2].len) : NULL;
        reply_status(c, "OK");
    } else {
        reply_error(c, "ERR unknown subcommand or wrong number of arguments for 'client'");
    }
}

/* ---- strings ---- */

static void get_command(struct conn *c, int argc, struct arg *argv)
{
    (void)argc;
    db_lock_acquire();
    struct entry *e = db_find(argv[1].ptr, argv[1].len);
    if (e && e->type != TYPE_STRING) {
        reply_wrongtype(c);
    } else if (e) {
        STAT_ADD(keyspace_hits, 1);
        reply_bulk(c, e->v.str.ptr, e->v.str.len);
    } else {
        STAT_ADD(keyspace_misses, 1);
        reply_null(c);
    }
    db_lock_release();
}

/* SET key value [EX seconds] */
static void set_command(struct conn *c, int argc, struct arg *argv)
{
    long long secs = 0;
    if (argc == 5 && argv[3].len == 2 && strncasecmp(argv[3].ptr, "ex", 2) == 0) {
        if (parse_ll(argv[4].ptr, argv[4].len, &secs) < 0 || secs <= 0 ||
            secs > 100000000000LL) {
            reply_error(c, "ERR invalid expire time in 'set' command");
            return;
        }
    } else if (argc != 3) {
        reply_error(c, "ERR syntax error");
        return;
    }
    db_lock_acquire();
    struct entry *e = db_set(argv[1].ptr, argv[1].len, argv[2].ptr, argv[2].len);
    if (e && secs)
        entry_set_expire(e, now_ms() + secs * 1000);
    db_lock_release();
    reply_status(c, "OK");
}

static void incr_command(struct conn *c, int argc, struct arg *argv)
{
    (void)argc;
    long long v = 0;
    db_lock_acquire();
    struct entry *e = db_find(argv[1].ptr, argv[1].len);
    if (e && e->type != TYPE_STRING) {
        db_lock_release();
        reply_wrongtype(c);
        return;
    }
    if (e && parse_ll(e->v.str.ptr, e->v.str.len, &v) < 0) {
        db_lock_release();
        reply_error(c, "ERR value is not an integer or out of range");
        return;
    }
    if (v == 9223372036854775807LL) {
        db_lock_release();
        reply_error(c, "ERR increment or decrement would overflow");
        return;
    }
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", ++v);
    if (e)
        entry_set_value(e, buf, (size_t)n);
    else
        db_set(argv[1].ptr, argv[1].len, buf, (size_t)n);
    db_lock_release();
    reply_int(c, v);
}

/* ---- keys ---- */

static void del_command(struct conn *c, int argc, struct arg *argv)
{
    long long n = 0;
    db_lock_acquire();
    for (int i = 1; i < argc; i++)
        n += db_delete(argv[i].ptr, argv[i].len);
    db_lock_release();
    reply_int(c, n);
}

static void exists_command(struct conn *c, int argc, struct arg *argv)
{
    long long n = 0;
    db_lock_acquire();
    for (int i = 1; i < argc; i++)
        n += db_find(argv[i].ptr, argv[i].len) != NULL;
    db_lock_release();
    reply_int(c, n);
}

static void dbsize_command(struct conn *c, int argc, struct arg *argv)
{
    (void)argc, (void)argv;
    db_lock_acquire();
    unsigned long n = db_size();
    db_lock_release();
    reply_int(c, (long long)n);
}

/* ---- server ---- */

static long long stat_read(long long *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void info_command(struct conn *c, int argc, struct arg *argv)
{
    (void)argc, (void)argv;
    db_lock_acquire();
    unsigned long keys = db_size(), expires = db_volatile_keys();
    unsigned long buckets = dict_buckets(&keyspace);
    int rehashing = dict_is_rehashing(&keyspace);
    db_lock_release();
    char buf[2048];
    int n = snprintf(buf, sizeof buf,
                     "# Server\r\nkvstore_version:%s\r\nprocess_id:%d\r\ntcp_port:%d\r\n"
                     "uptime_in_seconds:%lld\r\nworker_threads:%d\r\nlive_updates:%u\r\n"
                     "\r\n# Clients\r\nconnected_clients:%lld\r\n"
                     "\r\n# Stats\r\ntotal_connections_received:%lld\r\n"
                     "total_commands_processed:%lld\r\nkeyspace_hits:%lld\r\n"
                     "keyspace_misses:%lld\r\nexpired_keys:%lld\r\n"
                     "\r\n# Keyspace\r\ndb0:keys=%lu,expires=%lu,buckets=%lu,rehashing=%d\r\n",
                     KVSTORE_VERSION, (int)getpid(), server.port,
                     (now_ms() - server.start_ms) / 1000, server.nworkers,
                     kitsune_version_number(), stat_read(&stats.connected_clients),
                     stat_read(&stats.connections_received),
                     stat_read(&stats.commands_processed), stat_read(&stats.keyspace_hits),
                     stat_read(&stats.keyspace_misses), stat_read(&stats.expired_keys), keys, expires, buckets,
                     rehashing);
    reply_bulk(c, buf, (size_t)n);
}

/* CONFIG GET, for clients such as redis-benchmark that ask about persistence: kvstore
 * keeps everything in memory. */
static void config_command(struct conn *c, int argc, struct arg *argv)
{
    if (argc != 3 || argv[1].len != 3 || strncasecmp(argv[1].ptr, "get", 3) != 0) {
        reply_error(c, "ERR only CONFIG GET is supported");
        return;
    }
    static const char *const known[][2] = {{"save", ""}, {"appendonly", "no"}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i][0]) == argv[2].len &&
            strncasecmp(known[i][0], argv[2].ptr, argv[2].len) == 0) {
            reply_array(c, 2);
            reply_bulk(c, known[i][0], strlen(known[i][0]));
            reply_bulk(c, known[i][1], strlen(known[i][1]));
            return;
        }
    reply_array(c, 0);
}

/* ---- dispatch ---- */

static const struct command command_table[] = {
    {"ping", -1, ping_command},     {"echo", 2, echo_command},
    {"quit", 1, quit_command},      {"get", 2, get_command},
    {"set", -3, set_command},       {"incr", 2, incr_command},
    {"del", -2, del_command},       {"exists", -2, exists_command},
    {"dbsize", 1, dbsize_command},  {"info", -1, info_command},
    {"config", -2, config_command}, {"expire", 3, expire_command},
    {"ttl", 2, ttl_command},        {"persist", 2, persist_command},
    {"lpush", -3, lpush_command},   {"rpush", -3, rpush_command},
    {"lpop", 2, lpop_command},      {"rpop", 2, rpop_command},
    {"lrange", 4, lrange_command},  {"llen", 2, llen_command},
    {"client", -2, client_command},
};

static const struct command *lookup(const struct arg *name)
{
    for (size_t i = 0; i < sizeof command_table / sizeof command_table[0]; i++) {
        const struct command *cmd = &command_table[i];
        if (strlen(cmd->name) == name->len && strncasecmp(cmd->name, name->ptr, name->len) == 0)
            return cmd;
    }
    return NULL;
}

void command_execute(struct conn *c, int argc, struct arg *argv)
{
    STAT_ADD(commands_processed, 1);
    const struct command *cmd = lookup(&argv[0]);
    if (!cmd) {
        reply_error(c, "ERR unknown command '%.*s'", (int)(argv[0].len > 64 ? 64 : argv[0].len),
                    argv[0].ptr);
        return;
    }
    if ((cmd->arity > 0 && argc != cmd->arity) || (cmd->arity < 0 && argc < -cmd->arity)) {
        reply_error(c, "ERR wrong number of arguments for '%s' command", cmd->name);
        return;
    }
    cmd->proc(c, argc, argv);
}
