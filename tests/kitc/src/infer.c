/* infer.c - void * fields and variables whose target type kitc infers from the
 * program: assignment from a typed pointer, a cast at a use, an allocation of
 * sizeof(T), an initialisation; a field with two candidates; annotated ones. */
#include <kitsune.h>
#include <stdlib.h>

typedef struct {
    int n;
    char **items;
} StringVector;

struct conn {
    int fd;
};

struct blob {
    long a, b;
};

struct other {
    char c;
};

struct ctx {
    void *daq_vars;                 /* assigned from a StringVector * */
    void *cookie;                   /* cast to struct conn * where used */
    void *payload;                  /* malloc(sizeof(struct blob)) */
    void *mixed;                    /* a conn and an other: two candidates */
    void * E_OPAQUE hidden;         /* annotated: the evidence is not used */
    void *unknown;                  /* no evidence */
};

struct ctx g_ctx;
void *g_state;                      /* assigned &g_conn */
static struct conn g_conn;
static struct blob g_blob;
void *g_init = &g_blob;             /* initialised from a struct blob * */

void setup(StringVector *sv, struct conn *c)
{
    g_ctx.daq_vars = sv;
    g_ctx.cookie = c;
    g_ctx.payload = malloc(sizeof(struct blob));
    g_ctx.mixed = c;
    g_ctx.hidden = sv;
    g_state = &g_conn;
}

int use(void)
{
    struct ctx *sc = &g_ctx;
    struct other *o = sc->mixed;
    StringVector *sv = sc->daq_vars;
    return ((struct conn *)sc->cookie)->fd + sv->n + o->c;
}

/* A generic list used with E_G: its own void * aux is inferred in the instance too. */
struct list E_GENERIC(@t) {
    void E_T(@t) *data;
    void *aux;
    struct list E_G(@t) *next;
};

struct list E_G(struct conn) *g_list;

void link_aux(void)
{
    g_list->aux = &g_blob;
}
