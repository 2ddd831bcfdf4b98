/* json.c - the runtime's JSON text (json.h): string literals and outcome names, for the
 * control socket's replies, `kitsune status` and the logs.  A leaf. */
#include "json.h"

#include <stdio.h>

size_t kt_json_str(char *out, size_t len, const char *s)
{
    size_t n = 0;
    if (n < len)
        out[n++] = '"';
    for (; *s && n + 7 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            n += (size_t)snprintf(out + n, len - n, "\\%c", c);
        else if (c < 0x20)
            n += (size_t)snprintf(out + n, len - n, "\\u%04x", c);
        else
            out[n++] = (char)c;
    }
    if (n < len)
        out[n++] = '"';
    out[n < len ? n : len - 1] = 0;
    return n;
}

const char *kt_outcome_name(enum kt_outcome o)
{
    return o == KT_COMMITTED ? "committed" : o == KT_REFUSED ? "refused" : "rolled back";
}
