/* inspector.h - the types every part of the packet inspector shares: a decoded packet,
 * a flow with its reassembly buffers, a rule, the output list, the preprocessor
 * interface and the counters.
 *
 * One source tree builds all four releases: INSPECTOR_VERSION (1..4) selects what each
 * release adds, mirroring Snort 2.9.2 -> 2.9.2.1 -> 2.9.2.2 -> 2.9.2.3 (README.md).
 * Preprocessors (pp_*.c) see the main program only through struct inspector_api, the
 * function table it hands them, whether they are compiled in or loaded with dlopen. */
#ifndef INSPECTOR_H
#define INSPECTOR_H

#include <kitsune.h> /* DSU */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef INSPECTOR_VERSION
#define INSPECTOR_VERSION 1
#endif

#define MAX_RULES 64
#define MAX_PORTS 8
#define STREAM_BUF_MAX 8192 /* bytes kept per direction for matching */

/* ---- packets ------------------------------------------------------------------- */

struct packet {
    uint64_t ordinal; /* 1 for the first packet captured */
    const uint8_t *data;
    uint32_t caplen;
    uint32_t saddr, daddr; /* host order */
    uint16_t sport, dport;
    uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP */
    uint8_t tcp_flags;
    uint32_t seq;
    const uint8_t *payload;
    uint32_t plen;
    struct flow *flow; /* TCP only */
    int dir;           /* 0: client to server, 1: server to client */
};

/* Fills p from an Ethernet frame; 0 if it is IPv4 TCP or UDP, -1 otherwise. */
int decode_packet(const uint8_t *frame, uint32_t caplen, struct packet *p);

/* ---- flows and reassembly ------------------------------------------------------ */

struct stream_buf {
    uint32_t next_seq; /* the next byte expected */
    int have_seq;
    int fin; /* this direction has ended */
    uint32_t len;
    uint8_t *data; /* STREAM_BUF_MAX bytes, the latest ones */
};

enum pp_kind { PP_NONE, PP_HTTP, PP_SIP, PP_DNS };

struct flow {
    uint32_t caddr, saddr; /* client, server */
    uint16_t cport, sport;
    uint8_t proto;
    uint64_t fired;  /* rules that already alerted on this flow (bit = rule index) */
    uint64_t last_ordinal;
    struct stream_buf dir[2];
    /* The session state of the preprocessor that owns the flow: a struct
     * http_session or struct sip_session, depending on pp_kind (see the xf rules). */
    enum pp_kind pp_kind;
    void *pp_state;
    struct flow *next;
};

struct flow_table {
    unsigned nbuckets;
    struct flow **buckets;
    unsigned nflows, max_flows;
};

/* The flow of a TCP packet (created on its first packet); NULL when the table is full. */
struct flow *stream_flow(struct packet *p);
/* Appends the packet's in-order payload to its direction's buffer; returns the bytes
 * added (0 for a retransmission or a gap). */
uint32_t stream_add(struct packet *p);
void stream_close_if_done(struct packet *p);
void stream_init(unsigned max_flows);

/* ---- rules --------------------------------------------------------------------- */

enum rule_buffer { RB_PAYLOAD, RB_HTTP_URI, RB_DNS_QUERY };

struct rule {
    unsigned gid, sid;
    uint8_t proto;
    uint16_t dport; /* 0: any */
    char msg[96];
    char content[64];
    unsigned content_len;
    enum rule_buffer buffer;
    pcre2_code *re; /* libpcre2's, NULL without pcre: */
    pcre2_match_data *md;
};

/* ---- alerts and outputs -------------------------------------------------------- */

struct alert {
    unsigned gid, sid;
    const char *msg;
    const struct packet *p;
};

typedef void (*output_fn)(const struct alert *a, void *arg);

/* One output, as Snort keeps them: the function in a union with a void * (the list is
 * walked calling u.fptr), and the output's own argument behind a void * whose type
 * depends on the output (struct alert_file or struct alert_syslog). */
struct output_node {
    void *arg;
    union {
        output_fn fptr;
        void * E_OPAQUE vptr;
    } u;
    struct output_node *next;
};

struct alert_file {
    FILE *fp;
    char path[256];
};

struct alert_syslog {
    int facility;
};

int output_add(struct output_node **list, const char *kind, const char *args, char *err,
               size_t errlen);
void output_free(struct output_node *list);
void output_alert(const struct alert *a);
/* Writes a line (a version marker) to every alert file. */
void output_note(const char *line);
/* Writes out what the alert files buffered: called after each batch of packets, so an
 * alert reaches its file one batch after its packet, at a write per batch and not per
 * alert. */
void output_flush(void);

/* ---- preprocessors ------------------------------------------------------------- */

struct inspector_api;

/* What a preprocessor registers.  The main program keeps a pointer to it. */
struct pp_ops {
    const char *name;
    enum pp_kind kind;
    /* Parses the arguments of `preprocessor NAME: ARGS`; the result is the node's config. */
    void *(*parse_config)(const char *args, char *err, size_t errlen);
    void (*free_config)(void *config);
    /* TCP: called with the bytes each in-order segment adds to its direction. */
    void (*on_stream)(struct packet *p, const uint8_t *data, size_t len, void *config);
    /* UDP: called with each datagram. */
    void (*on_datagram)(struct packet *p, void *config);
    void (*free_session)(void *state);
};

/* A configured preprocessor: its ports and its configuration, behind a void * whose
 * type is the one its ops parse (struct http_config, struct sip_config, ...). */
struct pp_node {
    const struct pp_ops *ops;
    enum pp_kind kind;
    uint16_t ports[MAX_PORTS];
    int nports;
    void *config;
    struct pp_node *next;
};

/* The function table handed to preprocessors. */
struct inspector_api {
    int version;
    int (*register_preprocessor)(const struct pp_ops *ops);
    void (*alert)(struct packet *p, unsigned gid, unsigned sid, const char *msg);
    /* Runs the rules of buffer kind b over data; alerts once per flow for TCP. */
    void (*match_rules)(struct packet *p, enum rule_buffer b, const uint8_t *data,
                        size_t len);
    void (*count)(const char *counter);
    /* The words after `key` in a preprocessor's arguments ("ports 80 8080, methods GET
     * POST"), copied into out; NULL when the item is absent. */
    const char *(*arg)(const char *args, const char *key, char *out, size_t size);
};

extern const struct inspector_api inspector_api;

/* The entry point of a preprocessor: registers its ops with the main program.  A
 * module loaded with dlopen exports it as inspector_module_setup; compiled in, each
 * has its own name (PP_SETUP). */
typedef int (*pp_setup_fn)(const struct inspector_api *api);
#ifdef INSPECTOR_BUILTIN
#define PP_SETUP(name) pp_##name##_setup
#else
#define PP_SETUP(name) inspector_module_setup
#endif

/* Makes the preprocessors known: compiled in, or loaded from dir with dlopen. */
int plugins_load(const char *dir, char *err, size_t errlen);
const struct pp_ops *plugins_find(const char *name);

/* ---- configuration ------------------------------------------------------------- */

struct config {
    char path[256];
    char interface[32];
    char pcap_file[256];
    char stats_file[256];
    char plugin_dir[256];
    unsigned max_flows;
    struct pp_node *preprocessors;
    struct output_node *outputs;
    struct rule *rules;
    int nrules;
};

extern struct config *conf;

/* Reads a configuration file; NULL with "FILE:LINE: what was expected" in err. */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *c);
int rules_parse_line(struct config *c, const char *line, char *err, size_t errlen);
void rules_match(struct packet *p, enum rule_buffer b, const uint8_t *data, size_t len);
void rules_free(struct rule *r, int n);

/* ---- counters ------------------------------------------------------------------ */

struct counters {
    uint64_t packets, bytes, ipv4, tcp, udp, undecoded;
    uint64_t flows, flows_full, stream_bytes;
    uint64_t http_requests, sip_messages, dns_queries;
    uint64_t alerts;
    uint64_t reloads;
};

extern struct counters counters;

const char *config_arg(const char *args, const char *key, char *out, size_t size);
void pp_dispatch(struct packet *p);
void alert_raise(struct packet *p, unsigned gid, unsigned sid, const char *msg);

#endif
