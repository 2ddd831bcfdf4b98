/* report.h - the outcome of one update request, as the control socket reports it,
 * `kitsune status` lists it and systemd is told (filled by update.c). */
#ifndef KITSUNE_REPORT_H
#define KITSUNE_REPORT_H

#include "common.h"

enum kt_outcome { KT_COMMITTED, KT_REFUSED, KT_ROLLED_BACK };
struct kt_report {
    enum kt_outcome outcome;
    char reason[KT_ERRLEN];
    unsigned from_version, to_version;
    double t_request, t_quiesce, t_load, t_migrate, t_resume, t_retire; /* ms */
    double t_audit;       /* ms, part of t_resume */
    double pause_ms;
    long vars_migrated, objects_transformed, pointers_fixed;
};

#endif
