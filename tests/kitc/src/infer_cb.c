/* infer_cb.c - void * values whose type shows only inside the function they are
 * passed to: a callback registered with its argument (before or after the callback
 * is defined), a thread's start routine, a plain call; a callback taking two void *
 * says nothing. */
#include <pthread.h>

struct conn {
    int fd;
};

struct job {
    long id;
};

struct blob {
    char b[16];
};

struct server {
    void *state;        /* registered with on_event, which casts it to struct conn * */
    void *aux;          /* passed to handle(), which converts it to struct blob * */
    void *pair;         /* its callback has two void * parameters: no evidence */
};

struct server srv;
void *g_job;            /* a thread argument: worker converts it to struct job * */

typedef void (*event_fn)(int fd, void *arg);
typedef void (*pair_fn)(void *a, void *b);
void register_cb(event_fn fn, void *arg);
void register_pair(pair_fn fn, void *arg);
int handle(void *x);

static void *worker(void *p)
{
    struct job *j = p;
    return j->id ? p : 0;
}

static void both(void *a, void *b)
{
    (void)((struct conn *)a)->fd;
    (void)b;
}

static void on_event(int fd, void *arg);

int setup(void)
{
    pthread_t t;
    register_cb(on_event, srv.state);
    register_pair(both, srv.pair);
    pthread_create(&t, 0, worker, g_job);
    return handle(srv.aux);
}

static void on_event(int fd, void *arg)
{
    ((struct conn *)arg)->fd = fd;
}

int handle(void *x)
{
    struct blob *b = x;
    return b->b[0];
}

/* A byte buffer: evidence of char types only makes it a char *; with a struct beside
 * them it stays void * with both candidates. */
struct io {
    void *buf;          /* a char * and an unsigned char *: char * */
    void *mixed;        /* a char * and a struct conn *: two candidates */
};

struct io g_io;

void fill(char *text, unsigned char *raw, struct conn *c)
{
    g_io.buf = text;
    g_io.buf = raw;
    g_io.mixed = text;
    g_io.mixed = c;
}

/* A void * field assigned from a function's void * parameter: what the callers pass
 * is its evidence - here two types, only one of which its uses cast it to (reading only
 * the casts would type every output as a struct conn). */
struct output {
    void *arg;          /* a struct conn * or a struct job *, by the callers of push */
};

struct output g_out;

static void push(struct output *o, void *arg)
{
    o->arg = arg;
}

int outputs(struct conn *c, struct job *j)
{
    push(&g_out, c);
    push(&g_out, j);
    return ((struct conn *)g_out.arg)->fd;
}
