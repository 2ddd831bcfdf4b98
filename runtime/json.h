/* json.h - writing the JSON the control socket answers with (json.c). */
#ifndef KITSUNE_JSON_H
#define KITSUNE_JSON_H

#include <stddef.h>

#include "report.h"

size_t kt_json_str(char *out, size_t len, const char *s); /* a JSON string literal */
const char *kt_outcome_name(enum kt_outcome o);           /* "committed", ... */

#endif
