/* The rest of the public API across one update: hooks, thread iteration/add/remove,
 * update callbacks, wakeable sleeps, heap lists, old/new lookups and the log.
 * kitsune-test: max-quiesce-ms=500 */
#include <pthread.h>
#include <sys/stat.h>

#include "scenario.h"

int counter = 5;
static int file_static = 6; /* written once below, so it has storage */
kitsune_heaplist cells;
pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t cb_cond = PTHREAD_COND_INITIALIZER;
int cb_wake;
int sleepers;
int threads_seen;           /* by _kitsune_mainupdate_xform */
int added_ran, removed_ran; /* carried: counts of thread starts in the new version */
#if VERSION == 2
int prestart_ran;           /* new in v2: keeps its initialiser, set by the hook */
int mainupdate_ran;
#endif

static int helper(int x) { return x + VERSION; }
int (*helper_ptr)(int) = helper;

/* Blocks where no signal can interrupt it: only its update callback wakes it. */
static void wake_callback_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    cb_wake = 1;
    pthread_cond_signal(&cb_cond);
    pthread_mutex_unlock(&lock);
}

static void *callback_thread(void *arg)
{
    (void)arg;
    ktthreads_update_callback(wake_callback_thread, NULL);
    for (;;) {
        kitsune_update("callback");
        pthread_mutex_lock(&lock);
        while (!cb_wake)
            pthread_cond_wait(&cb_cond, &lock);
        cb_wake = 0;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static void *sleeper_thread(void *arg)
{
    (void)arg;
    for (;;) {
        kitsune_update("sleep");
        __atomic_add_fetch(&sleepers, 1, __ATOMIC_SEQ_CST);
        ktthreads_ms_sleep(1500); /* longer than a second: must still be woken */
    }
    return NULL;
}

static void *doomed_thread(void *arg)
{
    (void)arg;
    if (kitsune_is_updating())
        __atomic_add_fetch(&removed_ran, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        kitsune_update("doomed");
        usleep(1000);
    }
    return NULL;
}

#if VERSION == 2
static void *added_thread(void *arg)
{
    (void)arg;
    if (kitsune_is_updating_from("added"))
        __atomic_add_fetch(&added_ran, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        kitsune_update("added");
        usleep(1000);
    }
    return NULL;
}
#endif

#if VERSION == 2
void _kitsune_prestart_xform(void)
{
    prestart_ran = 1;
}

void _kitsune_mainupdate_xform(void)
{
    mainupdate_ran = 1;
    ktthread_info *t;
    kitsune_threads_reset();
    while ((t = kitsune_threads_next())) {
        threads_seen++;
        if (t->start_fun == doomed_thread)
            kitsune_thread_remove();
    }
    kitsune_thread_add(NULL, added_thread, "added", NULL);
}
#endif

static void check_lookups(void)
{
    int *old_counter = GET_OLD_GLOBAL(counter);
    CHECK(old_counter != NULL && old_counter != &counter);
    CHECK_INT(*old_counter, 5);
    CHECK(GET_NEW_GLOBAL(counter) == &counter);
    int *old_static = GET_OLD_STATIC(api.c, file_static);
    CHECK(old_static != NULL && *old_static == 6);
    CHECK(kitsune_lookup_key_old("counter") == old_counter);
    CHECK(kitsune_lookup_key_new("counter") == &counter);
    CHECK_STR(kitsune_lookup_addr_new(&counter), "counter");
    CHECK_STR(kitsune_lookup_addr_old(old_counter), "counter");
    CHECK(kitsune_lookup_key_new("api.c/helper") == (void *)helper);
    CHECK(GET_NEW_STATIC(api.c, helper) == (void *)helper);
    CHECK_INT(helper_ptr(1), 3);
}

static void check_heaplist(void)
{
    int *cur, n = 0, sum = 0;
    kitsune_heaplist_iterator *it;
    HEAPLIST_FOR_EACH(&cells, cur, int *, it) {
        n++;
        sum += *cur;
    }
    CHECK_INT(n, 3);
    CHECK_INT(sum, 60);
    CHECK_INT(*(int *)kitsune_heaplist_last(&cells)->addr, 30);
    void *first = kitsune_heaplist_begin(&cells)->addr;
    CHECK(kitsune_heaplist_del(&cells, first));
    CHECK(!kitsune_heaplist_del(&cells, first));
    CHECK(kitsune_heaplist_end(&cells) == NULL);
    kitsune_heaplist_free(&cells);
    CHECK(kitsune_heaplist_isempty(&cells));
}

static void check_log(void)
{
    char path[512], line[512];
    snprintf(path, sizeof path, "%s/%d.log", getenv("KITSUNE_DIR"), (int)getpid());
    FILE *f = fopen(path, "r");
    int mine = 0, runtime = 0;
    while (f && fgets(line, sizeof line, f)) {
        mine |= strstr(line, "api: hello from version 1") != NULL;
        runtime |= strstr(line, "update requested") != NULL;
    }
    if (f)
        fclose(f);
    CHECK(mine);
    CHECK(runtime);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(stat(getenv("KITSUNE_DIR"), &st) == 0 && (st.st_mode & 0777) == 0700);
}

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        CHECK(!kitsune_has_updated());
        CHECK_INT(file_static, 6);
        file_static = counter + 1;
        kitsune_clear_request();
        kitsune_logging_init("api");
        kitsune_log("api: hello from version %d", VERSION);
        kitsune_heaplist_init(&cells);
        for (int i = 3; i >= 1; i--) {
            int *c = malloc(sizeof *c);
            *c = i * 10;
            NOTE_HEAP(&cells, c);
        }
        pthread_t t;
        kitsune_pthread_create(&t, NULL, callback_thread, NULL);
        kitsune_pthread_create(&t, NULL, sleeper_thread, NULL);
        kitsune_pthread_create(&t, NULL, doomed_thread, NULL);
        while (__atomic_load_n(&sleepers, __ATOMIC_SEQ_CST) == 0)
            usleep(1000);
        printf("ready\n");
        fflush(stdout);
    } else {
        CHECK(!kitsune_has_updated());
        check_lookups();
        check_heaplist();
        check_log();
    }
    int reported = 0;
    for (;;) {
        kitsune_update("main");
#if VERSION == 2
        if (!reported && !kitsune_is_updating() && added_ran == 1) {
            CHECK(kitsune_has_updated());
            CHECK(prestart_ran);
            CHECK(mainupdate_ran);
            CHECK_INT(threads_seen, 3);
            /* A thread that must not run: the only check is that it has not in 20 ms. */
            usleep(20000);
            CHECK_INT(removed_ran, 0); /* removed: not restarted */
            scenario_report();
            reported = 1;
        }
#endif
        (void)reported;
        usleep(1000);
    }
}
