/* pp_dns.c - the DNS preprocessor: decodes the first question of each query on its
 * ports into a dotted name and hands it to the dns_query rules.  Alerts (gid 131):
 *
 *   131:1  a label that runs past the end of the packet (release 2 on: the bounds
 *          check; release 1 cut the label at the end of the packet)
 *
 *   preprocessor dns: ports 53 */
#include <stdlib.h>
#include <string.h>

#include "inspector.h"

struct dns_config {
    unsigned max_name; /* longest name decoded */
};

static const struct inspector_api *api;

static void *dns_parse_config(const char *args, char *err, size_t errlen)
{
    struct dns_config *c = calloc(1, sizeof *c);
    char v[16];
    (void)err;
    (void)errlen;
    if (!c)
        return NULL;
    c->max_name = 255;
    if (api->arg(args, "max_name", v, sizeof v))
        c->max_name = (unsigned)atoi(v);
    return c;
}

static void dns_free_config(void *config) { free(config); }

static void dns_on_datagram(struct packet *p, void *config)
{
    struct dns_config *c = config;
    const uint8_t *q = p->payload, *end = p->payload + p->plen;
    if (p->plen < 12 || (q[2] & 0x80)) /* too short, or a response */
        return;
    api->count("dns_queries");
    char name[256];
    size_t n = 0, max = c->max_name < sizeof name ? c->max_name : sizeof name - 1;
    for (q += 12; q < end && *q; ) {
        size_t label = *q++;
        if (label > (size_t)(end - q)) {
#if INSPECTOR_VERSION >= 2
            api->alert(p, 131, 1, "(spp_dns) label runs past the end of the packet");
            return;
#else
            label = (size_t)(end - q);
#endif
        }
        if (n && n < max)
            name[n++] = '.';
        for (size_t i = 0; i < label && n < max; i++)
            name[n++] = (char)q[i];
        q += label;
    }
    name[n] = 0;
    api->match_rules(p, RB_DNS_QUERY, (const uint8_t *)name, n);
}

static const struct pp_ops dns_ops = {
    .name = "dns",
    .kind = PP_DNS,
    .parse_config = dns_parse_config,
    .free_config = dns_free_config,
    .on_datagram = dns_on_datagram,
};

int PP_SETUP(dns)(const struct inspector_api *a)
{
    api = a;
    return api->register_preprocessor(&dns_ops);
}
