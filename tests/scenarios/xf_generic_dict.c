/* A generic hash table in the shape of a real one (a dict of entries whose key slot is
 * `void * E_T(@k) key`, reached through a generic typedef) and a rule that uses what
 * such rules use: $xform(typedef dict, typedef dict), bool and assert.  The generated
 * code must compile (-Werror), link with no undefined symbol, and run: xfgen and the
 * runtime agree on which type pairs $xform can name. */
#include "scenario.h"

struct item {
    int n;
#if VERSION == 2
    int twice;
#endif
};
struct item *first_item;

struct dictEntry E_GENERIC(@k, @v) {
    void * E_T(@k) key;
    void E_T(@v) *val;
    struct dictEntry E_G(@k, @v) *next;
};

struct dict E_GENERIC(@k, @v) {
    struct dictEntry E_G(@k, @v) *head;
    unsigned long used;
};
typedef struct dict E_G(@k, @v) dict E_GENERIC(@k, @v);

struct server {
    dict E_G(int, struct item) *db;
    int port;
#if VERSION == 2
    int ready;
#endif
} server;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        server.port = 80;
        server.db = calloc(1, sizeof *server.db);
        for (int i = 0; i < 3; i++) {
            struct dictEntry *e = calloc(1, sizeof *e);
            struct item *it = calloc(1, sizeof *it);
            it->n = i + 1;
            e->key = (void *)(long)(i + 10);
            e->val = it;
            e->next = server.db->head;
            server.db->head = e;
            server.db->used++;
        }
        first_item = server.db->head->val;
    } else {
#if VERSION == 2
        CHECK_INT(server.port, 80);
        CHECK_INT(server.ready, 1);
        CHECK(server.db != NULL);
        int seen = 0;
        for (struct dictEntry *e = server.db ? server.db->head : NULL; e; e = e->next) {
            const struct item *it = e->val;
            CHECK_INT((long)e->key, 10 + it->n - 1);
            CHECK_INT(it->twice, 2 * it->n);
            seen++;
        }
        CHECK_INT(seen, 3);
        CHECK_INT(server.db ? server.db->used : 0, 3);
        CHECK(first_item == server.db->head->val);
#endif
        scenario_report();
    }
    scenario_loop("loop");
}
