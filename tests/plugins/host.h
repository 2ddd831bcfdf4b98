/* host.h - what the main program of the plugins test hands its modules (each version
 * builds its own copy, -DVERSION=N): a table of functions and data of the main
 * program; the modules register callbacks and pointers to their own data with it. */
#ifndef PLUGINS_HOST_H
#define PLUGINS_HOST_H

struct host_api {
    int version;                                           /* of the main program */
    void (*register_cb)(const char *name, int (*cb)(int), int *counter);
    int (*host_value)(void);                               /* VERSION * 1000 + total */
    int *total;                                            /* main's data, written by modules */
};

/* Every module defines: int plugin_init(const struct host_api *);
 *                       int plugin_version(void);
 *                       int plugin_calls(void);
 *                       const void *plugin_host(void);   (the table it was handed) */
typedef int plugin_init_fn(const struct host_api *);
typedef int plugin_int_fn(void);
typedef const void *plugin_host_fn(void);

#endif
