/* config.c - the configuration file, in the spirit of snort.conf:
 *
 *   config interface: veth1            (or config pcap_file: capture.pcap)
 *   config stats_file: /tmp/stats      config plugin_dir: /usr/lib/inspector
 *   config max_flows: 4096
 *   preprocessor http: ports 80 8080, methods GET POST HEAD, max_chunk_length 1000
 *   preprocessor sip: ports 5060
 *   output alert_file: /var/log/inspector/alerts
 *   output alert_syslog: LOG_AUTH
 *   include inspector.rules            (relative to this file)
 *   alert tcp any any -> any 80 (...)  (a rule, rules.c)
 *
 * Which preprocessors and outputs exist, and so which functions and data structures
 * are live, is decided here.  Errors name the file and line. */
#include <stdlib.h>
#include <string.h>

#include "inspector.h"

const char *config_arg(const char *args, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    for (const char *s = args; s && *s;) {
        while (*s == ' ' || *s == ',')
            s++;
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (len > klen && !strncmp(s, key, klen) && s[klen] == ' ') {
            size_t n = len - klen - 1;
            if (n >= size)
                n = size - 1;
            memcpy(out, s + klen + 1, n);
            out[n] = 0;
            return out;
        }
        s = end;
    }
    return NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

/* Splits "NAME: ARGS" (or "NAME") into its two parts. */
static char *split_colon(char *s, char **args)
{
    char *colon = strchr(s, ':');
    *args = colon ? trim(colon + 1) : s + strlen(s);
    if (colon)
        *colon = 0;
    return trim(s);
}

static int set_value(struct config *c, const char *name, const char *v, char *err,
                     size_t errlen)
{
    static const struct { const char *name; size_t off, size; } strings[] = {
        {"interface", offsetof(struct config, interface), sizeof c->interface},
        {"pcap_file", offsetof(struct config, pcap_file), sizeof c->pcap_file},
        {"stats_file", offsetof(struct config, stats_file), sizeof c->stats_file},
        {"plugin_dir", offsetof(struct config, plugin_dir), sizeof c->plugin_dir}};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (!strcmp(name, strings[i].name)) {
            if (strlen(v) >= strings[i].size) {
                snprintf(err, errlen, "config %s: value too long", name);
                return -1;
            }
            strcpy((char *)c + strings[i].off, v);
            return 0;
        }
    if (!strcmp(name, "max_flows") && atoi(v) > 0) {
        c->max_flows = (unsigned)atoi(v);
        return 0;
    }
    snprintf(err, errlen, "unknown setting 'config %s' (or a bad value)", name);
    return -1;
}

static int add_preprocessor(struct config *c, const char *name, const char *args, char *err,
                            size_t errlen)
{
    const struct pp_ops *ops = plugins_find(name);
    if (!ops) {
        snprintf(err, errlen, "unknown preprocessor '%s'", name);
        return -1;
    }
    struct pp_node *n = calloc(1, sizeof *n);
    if (!n)
        return -1;
    n->ops = ops;
    n->kind = ops->kind;
    char ports[128];
    if (config_arg(args, "ports", ports, sizeof ports))
        for (char *tok = strtok(ports, " "); tok && n->nports < MAX_PORTS; tok = strtok(NULL, " "))
            n->ports[n->nports++] = (uint16_t)atoi(tok);
    if (!(n->config = ops->parse_config(args, err, errlen))) {
        free(n);
        return -1;
    }
    struct pp_node **tail = &c->preprocessors;
    while (*tail)
        tail = &(*tail)->next;
    *tail = n;
    return 0;
}

static int read_file(struct config *c, const char *path, int depth, char *err, size_t errlen);

static int parse_line(struct config *c, const char *path, char *line, int depth, char *err,
                      size_t errlen)
{
    char *s = trim(line), *args;
    if (!*s || *s == '#')
        return 0;
    if (!strncmp(s, "alert ", 6))
        return rules_parse_line(c, s, err, errlen);
    if (!strncmp(s, "include ", 8)) {
        char inc[512];
        const char *slash = strrchr(path, '/');
        const char *file = trim(s + 8);
        if (file[0] == '/' || !slash)
            snprintf(inc, sizeof inc, "%s", file);
        else
            snprintf(inc, sizeof inc, "%.*s/%s", (int)(slash - path), path, file);
        return read_file(c, inc, depth + 1, err, errlen) < 0 ? -2 : 0; /* err is complete */
    }
    if (!strncmp(s, "config ", 7)) {
        char *name = split_colon(s + 7, &args);
        return set_value(c, name, args, err, errlen);
    }
    if (!strncmp(s, "preprocessor ", 13)) {
        char *name = split_colon(s + 13, &args);
        if (!strcmp(name, "stream")) { /* built in */
            char v[16];
            if (config_arg(args, "max_flows", v, sizeof v))
                c->max_flows = (unsigned)atoi(v);
            return 0;
        }
        return add_preprocessor(c, name, args, err, errlen);
    }
    if (!strncmp(s, "output ", 7)) {
        char *kind = split_colon(s + 7, &args);
        return output_add(&c->outputs, kind, args, err, errlen);
    }
    snprintf(err, errlen, "expected config, preprocessor, output, include or alert");
    return -1;
}

static int read_file(struct config *c, const char *path, int depth, char *err, size_t errlen)
{
    if (depth > 4) {
        snprintf(err, errlen, "%s: includes nested too deeply", path);
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    char line[1024], msg[256];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        msg[0] = 0;
        rc = parse_line(c, path, line, depth, msg, sizeof msg);
        if (rc == -2) { /* an included file's error names its own file and line */
            snprintf(err, errlen, "%s", msg);
            break;
        }
        if (rc < 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, msg[0] ? msg : "out of memory");
            break;
        }
    }
    fclose(f);
    return rc < 0 ? -1 : 0;
}

struct config *config_load(const char *path, char *err, size_t errlen)
{
    struct config *c = calloc(1, sizeof *c);
    if (!c || !(c->rules = calloc(MAX_RULES, sizeof *c->rules))) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(c->path, sizeof c->path, "%s", path);
    if (read_file(c, path, 0, err, errlen) < 0) {
        config_free(c);
        return NULL;
    }
    if (!c->outputs)
        output_add(&c->outputs, "alert_file", "/dev/stdout", err, errlen);
    return c;
}

void config_free(struct config *c)
{
    if (!c)
        return;
    for (struct pp_node *n = c->preprocessors, *next; n; n = next) {
        next = n->next;
        n->ops->free_config(n->config);
        free(n);
    }
    output_free(c->outputs);
    rules_free(c->rules, c->nrules);
    free(c->rules);
    free(c);
}
