/* main.c - the kitc test program: variables and types of many shapes. */
#include "shapes.h"

int g_int = 1;
double g_double = 2.5;
char g_str[16] = "hello";
int g_matrix[2][3];
const int g_const = 7;
const char *g_ptr_to_const = "x";
char *const g_const_ptr = 0;
const int g_const_array[3] = {1, 2, 3};
struct flags g_flags;
struct shape g_shape;
enum color g_color = GREEN;
conn_alias g_conn;
struct conn *g_conn_ptr;
struct buf *g_buf;
struct node g_node;
struct list E_G(int) *g_list;
struct sized *g_sized;
int (*g_fptr)(int, char *);
void *g_void;
_Bool g_flag;
__thread int g_tls;
int g_manual[4] E_MANUAL_MIGRATE;
int E_AUTO_MIGRATE g_auto;
int g_uninit;
static int file_static __attribute__((used)) = 3;
static int same_name __attribute__((used)) = 1;

static int __attribute__((noinline)) f1(int step)
{
    static int count;
    count += step;
    return count;
}

static int __attribute__((noinline)) f2(int step)
{
    static int count;
    if (step > 1) {
        static int nested;
        nested += step;
        count += nested;
    }
    count += step;
    return count;
}

/* gcc -O2 makes scaled.constprop.0 of this; kitc must not list the clone */
static int __attribute__((noinline)) scaled(int a, int b)
{
    static int z;
    z += a;
    return a * b + z;
}

int counter_a(void)
{
    return f1(1) + f2(2) + f1(3) + scaled(g_int, 3) + scaled(g_int + 1, 3);
}

int counter_b(void)
{
    return f2(3) + other_tick() + g_flags.mode;
}

/* gcc and clang spell these base types differently in DWARF; kitc does not */
unsigned long g_ulong;
long long g_llong;
short g_short;
