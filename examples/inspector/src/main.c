/* main.c - the inspector's start-up, capture loop and reload thread.
 *
 *   inspector CONFIG [-i INTERFACE | -r CAPTURE.pcap]
 *
 * Packets come from libpcap (a live interface, or a capture file read to its end); each
 * is decoded, TCP goes through the stream preprocessor, then the protocol
 * preprocessors of its port and the rules run.  SIGHUP reloads the configuration (in
 * the reload thread), SIGUSR1 writes the counters to the stats file, SIGTERM and
 * SIGINT write them and stop.
 *
 * DSU: after an update the new version's main runs with the state migrated (the flow
 * table, the configuration, the pcap handle with the packets the kernel queued during
 * the pause), skips start-up and returns to the capture loop.  The first packet it
 * processes is marked in the alert files ("# version N from pkt K"). */
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "inspector.h"

struct config *conf;
struct counters counters;
static pcap_t *capture; /* DSU: libpcap's */
static int offline;
static int announce; /* mark the next packet with this version */
/* the capture's settings (open_capture) */
#define CAPTURE_TIMEOUT_MS 10
#define CAPTURE_BUFFER_MB 128
static pthread_mutex_t conf_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t stop_requested, stats_requested, reload_requested;

void alert_raise(struct packet *p, unsigned gid, unsigned sid, const char *msg)
{
    struct alert a = {.gid = gid, .sid = sid, .msg = msg, .p = p};
    counters.alerts++;
    output_alert(&a);
}

static struct pp_node *pp_for_port(uint16_t sport, uint16_t dport, uint8_t proto)
{
    for (struct pp_node *n = conf->preprocessors; n; n = n->next) {
        if (proto == 6 ? !n->ops->on_stream : !n->ops->on_datagram)
            continue;
        for (int i = 0; i < n->nports; i++)
            if (n->ports[i] == dport || n->ports[i] == sport)
                return n;
    }
    return NULL;
}

void pp_dispatch(struct packet *p)
{
    if (p->proto == 6) {
        struct flow *f = p->flow;
        uint32_t added = stream_add(p);
        if (!added)
            return;
        struct stream_buf *b = &f->dir[p->dir];
        struct pp_node *n = pp_for_port(f->cport, f->sport, 6);
        if (n)
            n->ops->on_stream(p, b->data + b->len - added, added, n->config);
        if (p->dir == 0)
            rules_match(p, RB_PAYLOAD, b->data, b->len);
        return;
    }
    struct pp_node *n = pp_for_port(p->sport, p->dport, 17);
    if (n)
        n->ops->on_datagram(p, n->config);
    rules_match(p, RB_PAYLOAD, p->payload, p->plen);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    (void)user;
    struct packet p = {.ordinal = ++counters.packets};
    counters.bytes += h->caplen; /* conf_lock is held by capture_batch */
    if (announce) {
        char line[64];
        snprintf(line, sizeof line, "# version %d from pkt %llu", INSPECTOR_VERSION,
                 (unsigned long long)p.ordinal);
        output_note(line);
        announce = 0;
    }
    if (decode_packet(bytes, h->caplen, &p) < 0) {
        counters.undecoded++;
    } else if (p.proto == 6) {
        counters.tcp++;
        if (stream_flow(&p)) {
            pp_dispatch(&p);
            stream_close_if_done(&p);
        }
    } else {
        counters.udp++;
        pp_dispatch(&p);
    }
}

/* Up to 256 packets with the configuration locked once: a reload swaps it in between
 * two batches (a lock per packet was 6 % of the time at full speed). */
static int capture_batch(void)
{
    pthread_mutex_lock(&conf_lock);
    int n = pcap_dispatch(capture, 256, on_packet, NULL);
    if (n > 0)
        output_flush();
    pthread_mutex_unlock(&conf_lock);
    return n;
}

static void write_stats(void)
{
    struct pcap_stat ps = {0};
    if (!offline)
        pcap_stats(capture, &ps);
    FILE *f = conf->stats_file[0] ? fopen(conf->stats_file, "w") : NULL;
    if (!f)
        f = stderr;
    fprintf(f,
            "version=%d\npackets=%llu\nbytes=%llu\nipv4=%llu\ntcp=%llu\nudp=%llu\n"
            "undecoded=%llu\nflows=%llu\nflows_full=%llu\nstream_bytes=%llu\n"
            "http_requests=%llu\nsip_messages=%llu\ndns_queries=%llu\nalerts=%llu\n"
            "reloads=%llu\npcap_recv=%u\npcap_drop=%u\npcap_ifdrop=%u\n",
            INSPECTOR_VERSION, (unsigned long long)counters.packets,
            (unsigned long long)counters.bytes, (unsigned long long)counters.ipv4,
            (unsigned long long)counters.tcp, (unsigned long long)counters.udp,
            (unsigned long long)counters.undecoded, (unsigned long long)counters.flows,
            (unsigned long long)counters.flows_full, (unsigned long long)counters.stream_bytes,
            (unsigned long long)counters.http_requests,
            (unsigned long long)counters.sip_messages, (unsigned long long)counters.dns_queries,
            (unsigned long long)counters.alerts, (unsigned long long)counters.reloads,
            ps.ps_recv, ps.ps_drop, ps.ps_ifdrop);
    if (f != stderr)
        fclose(f);
    else
        fflush(f);
}

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1;
    else if (sig == SIGUSR1)
        stats_requested = 1;
    else
        stop_requested = 1;
}

static void install_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* Reads the configuration again and swaps it in between two batches of packets; a
 * configuration with an error is reported and the running one kept. */
static void reload(void)
{
    char err[512];
    struct config *next = config_load(conf->path, err, sizeof err);
    if (!next) {
        fprintf(stderr, "inspector: reload refused: %s\n", err);
        return;
    }
    pthread_mutex_lock(&conf_lock);
    struct config *old = conf;
    next->max_flows = old->max_flows; /* the flow table is not resized */
    conf = next;
    counters.reloads++;
    pthread_mutex_unlock(&conf_lock);
    config_free(old);
    fprintf(stderr, "inspector: configuration reloaded\n");
}

static void *reload_thread(void *arg)
{
    (void)arg;
    for (;;) {
        kitsune_update("reload"); /* DSU */
        if (reload_requested) {
            reload_requested = 0;
            reload();
        }
        usleep(20000);
    }
    return NULL;
}

static pcap_t *open_capture(const char *iface, const char *file, char *err)
{
    if (file[0]) {
        offline = 1;
        return pcap_open_offline(file, err);
    }
    pcap_t *pc = pcap_create(iface, err);
    if (!pc)
        return NULL;
    /* Not immediate mode: libpcap then uses TPACKET_V3, whose ring packs packets
     * into 256 KiB blocks, where immediate mode's TPACKET_V2 gives every packet a
     * frame of the snaplen (64 MiB held 1,023 packets, 2 ms at full speed; 128 MiB
     * of blocks hold ~648,000 of the tests' packets), and the kernel wakes us once
     * per block, not once per packet (at full speed that was 30 times the context
     * switches).  A block is handed over when full or CAPTURE_TIMEOUT_MS after it
     * began, which bounds the latency of a packet, and of its alerts, when traffic
     * is light.  The ring holds what arrives while an update pauses us. */
    pcap_set_snaplen(pc, 65535);
    pcap_set_promisc(pc, 1);
    pcap_set_immediate_mode(pc, 0);
    pcap_set_timeout(pc, CAPTURE_TIMEOUT_MS);
    pcap_set_buffer_size(pc, CAPTURE_BUFFER_MB << 20);
    if (pcap_activate(pc) < 0) {
        snprintf(err, PCAP_ERRBUF_SIZE, "%s: %s", iface, pcap_geterr(pc));
        pcap_close(pc);
        return NULL;
    }
    struct bpf_program prog;
    if (pcap_compile(pc, &prog, "ip", 1, PCAP_NETMASK_UNKNOWN) == 0) {
        pcap_setfilter(pc, &prog);
        pcap_freecode(&prog);
    }
    pcap_setnonblock(pc, 1, err);
    return pc;
}

/* The preprocessors must be known before the configuration names them: their
 * directory is the configuration's plugin_dir, read first on its own, or plugins/
 * beside the first release (argv[0] under kitsune run). */
static void plugin_dir_of(const char *config_path, const char *argv0, char *dir, size_t size)
{
    char line[512], value[256];
    FILE *f = fopen(config_path, "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "config plugin_dir: %255s", value) == 1) {
            snprintf(dir, size, "%s", value);
            fclose(f);
            return;
        }
    if (f)
        fclose(f);
    const char *slash = strrchr(argv0, '/');
    snprintf(dir, size, "%.*s/plugins", slash ? (int)(slash - argv0) : 1, slash ? argv0 : ".");
}

static int startup(int argc, char **argv)
{
    char err[512];
    if (argc < 2) {
        fprintf(stderr, "usage: inspector CONFIG [-i INTERFACE | -r CAPTURE]\n");
        return -1;
    }
    char plugin_dir[256];
    plugin_dir_of(argv[1], argv[0], plugin_dir, sizeof plugin_dir);
    if (plugins_load(plugin_dir, err, sizeof err) < 0 ||
        !(conf = config_load(argv[1], err, sizeof err))) {
        fprintf(stderr, "inspector: %s\n", err);
        return -1;
    }
    for (int i = 2; i + 1 < argc; i += 2)
        if (!strcmp(argv[i], "-i"))
            snprintf(conf->interface, sizeof conf->interface, "%s", argv[i + 1]);
        else if (!strcmp(argv[i], "-r"))
            snprintf(conf->pcap_file, sizeof conf->pcap_file, "%s", argv[i + 1]);
    stream_init(conf->max_flows);
    char perr[PCAP_ERRBUF_SIZE];
    if (!(capture = open_capture(conf->interface, conf->pcap_file, perr))) {
        fprintf(stderr, "inspector: %s\n", perr);
        return -1;
    }
    pthread_t t;
    if (kitsune_pthread_create(&t, NULL, reload_thread, NULL) != 0) { /* DSU */
        fprintf(stderr, "inspector: cannot start the reload thread\n");
        return -1;
    }
    printf("inspector %d capturing on %s (pid %d)\n", INSPECTOR_VERSION,
           offline ? conf->pcap_file : conf->interface, (int)getpid());
    fflush(stdout);
    return 0;
}

static void capture_loop(void)
{
    while (!stop_requested) {
        kitsune_update("capture"); /* DSU */
        if (stats_requested) {
            stats_requested = 0;
            write_stats();
        }
        int n = capture_batch();
        if (n == PCAP_ERROR) {
            fprintf(stderr, "inspector: %s\n", pcap_geterr(capture));
            break;
        }
        if (n == 0 && offline)
            break;
        if (n == 0) {
            struct pollfd pfd = {.fd = pcap_get_selectable_fd(capture), .events = POLLIN};
            poll(&pfd, 1, 100); /* EINTR: an update or a signal, back to the loop */
        }
    }
    write_stats();
}

int main(int argc, char **argv)
{
    kitsune_do_automigrate(); /* DSU: the flow table, configuration, counters */
    if (!kitsune_is_updating()) { /* DSU: start-up runs once */
        if (startup(argc, argv) < 0)
            return 1;
    }
    install_signals(); /* DSU: this release's handler, also after an update */
    announce = 1;      /* the tests' marker of the first packet of this release */
    capture_loop();
    return 0;
}
