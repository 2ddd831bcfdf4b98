/* A program that starts every thread through its own wrapper: thread_create() stores
 * the function and its argument in a heap struct handed to one start routine.  The
 * struct is the threads' argument, declared with KITSUNE_THREAD_ARG: at the update it
 * is rebuilt for its new layout and its function pointer remapped, so the restarted
 * wrapper calls the new version's function, not the retired one.  The update to v3
 * fails while the arguments migrate (its rule for struct task fails): it rolls back
 * and v2's threads go on.
 * kitsune-test: outcomes=committed,rolled_back
 * kitsune-test: reason=task conn cannot be moved
 */
#include <pthread.h>

#include "scenario.h"

struct conn;

struct task {
#if VERSION >= 2
    long id; /* moved and widened: every task is rebuilt */
#endif
    const char *name;
    void *(*fn)(void *);
    struct conn *arg; /* a void * would need a rule saying what it points to */
#if VERSION == 1
    int id;
#endif
};

KITSUNE_THREAD_ARG(task_start, struct task);

struct conn {
    int id;
    long served;
};

struct conn conns[4];
int restarted; /* v2: connection threads that came back in the new code */

static void *conn_loop(void *arg)
{
    struct conn *c = arg;
    if (VERSION == 2 && kitsune_is_updating_from("conn"))
        __atomic_add_fetch(&restarted, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        kitsune_update("conn");
        c->served++;
        usleep(500);
    }
    return NULL;
}

static void *task_start(void *p)
{
    struct task *t = p;
#if VERSION >= 2
    if (kitsune_is_updating()) {
        CHECK_STR(t->name, "conn");
        CHECK(t->fn == conn_loop);
        CHECK(t->id >= 0 && t->id < 4);
        CHECK(t->arg == &conns[t->id]);
    }
#endif
    return t->fn(t->arg);
}

static int thread_create(const char *name, void *(*fn)(void *), struct conn *arg, int id)
{
    struct task *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->name = name;
    t->fn = fn;
    t->arg = arg;
    t->id = id;
    pthread_t tid;
    return kitsune_pthread_create(&tid, NULL, task_start, t);
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        for (int i = 0; i < 4; i++) {
            conns[i].id = i;
            if (thread_create("conn", conn_loop, &conns[i], i))
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
    }
    int reported = 0;
    for (;;) {
        kitsune_update("main");
        if (VERSION == 2 && !reported && __atomic_load_n(&restarted, __ATOMIC_SEQ_CST) == 4) {
            long before = conns[0].served + conns[3].served;
            usleep(20000);
            CHECK(conns[0].served + conns[3].served > before);
            scenario_report();
            reported = 1;
        }
        usleep(1000);
    }
}
