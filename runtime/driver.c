/* driver.c - starts a program under kitsune: loads its first version, opens the control
 * channel and runs its main on the process's main thread. */
#include <stdio.h>
#include <stdlib.h>

#include "kitsune.h"
#include "driver.h"
#include "common.h"
#include "log.h"
#include "version.h"
#include "update.h"
#include "threads.h"
#include "crash.h"
#include "signals.h"
#include "stale.h"
#include "control.h"
#include "history.h"
#include "notify.h"


int kitsune_run_program(const char *path, int argc, char **argv)
{
    char err[KT_ERRLEN];
    struct kt_version *v;
    kt_log_open();
    kt_threads_signal_setup();
    kt_stale_install();
    kt_crash_install();
    kt_signal_catch_exits();
    kt_threads_register_main();
    if (kt_version_prepare(path, -1, &v, err, sizeof err) || kt_version_load(v, err, sizeof err)) {
        fprintf(stderr, "kitsune: cannot start %s: %s\n", path, err);
        return 127;
    }
    kt_rt.cur = v;
    kt_rt.argc = argc;
    kt_rt.argv = argv;
    kt_rt.main_thread = pthread_self();
    kitsune_logging_init(path);
    kt_history_reset();
    kt_control_start();
    kt_notify_ready();
    kt_update_setup_fork();
    kt_log("running %s as version %u", v->path, v->number);
    return v->main(argc, argv);
}
