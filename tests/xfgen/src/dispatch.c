/* Field rules whose code only dispatches on a tag (dispatch.xf): xfgen describes each
 * in the rule table (a D line) and leaves the others as code; both versions are the
 * same, as in an update that changes no stored type. */
#include "kitsune.h"

enum kind { KIND_PLAIN, KIND_LIST = 4 };

struct pair {
    long a, b;
};

struct list {
    struct list *next;
    void (*drop)(void *);
};

struct obj {
    void * E_OPAQUE ptr;
    void * E_OPAQUE aux;
    void * E_OPAQUE more;
    void * E_OPAQUE called;
    void * E_OPAQUE twice;
    void * E_OPAQUE mixed;
    enum kind kind;
    unsigned char type;
    int flags;
};

struct obj *objs;
struct pair *no_pair;
struct list *no_list;
