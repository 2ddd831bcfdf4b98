/* rules.h - reading the rule table xfgen embeds in a version (see rules.c). */
#ifndef KITSUNE_RULES_H
#define KITSUNE_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct kt_rules {
    uint64_t old_fingerprint;
    char *old_object;      /* the object the old summary describes, or NULL */
    struct plan_rule *v;
    int n;
};

int kt_rules_parse(const char *text, struct kt_rules *r, char *err, size_t errlen);
void kt_rules_free(struct kt_rules *r);

#endif
