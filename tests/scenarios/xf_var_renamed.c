/* Variables renamed with rules without code: a global, a struct global and a file
 * static that became a global; pointers to the old variables (also into them) are
 * redirected to the renamed ones. */
#include "scenario.h"

struct conf {
    int port;
    char host[16];
};

#if VERSION == 1
int counter;
struct conf cfg;
static long hits;
#else
int requests;
struct conf config;
long total_hits;
#endif
int *count_ptr;
int *port_ptr;
long *hits_ptr;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
#if VERSION == 1
        counter = 41;
        cfg.port = 8080;
        strcpy(cfg.host, "localhost");
        hits = 99;
        count_ptr = &counter;
        port_ptr = &cfg.port;
        hits_ptr = &hits;
#endif
    } else {
#if VERSION == 2
        CHECK_INT(requests, 41);
        CHECK_INT(config.port, 8080);
        CHECK_STR(config.host, "localhost");
        CHECK_INT(total_hits, 99);
        CHECK(count_ptr == &requests);
        CHECK(port_ptr == &config.port);
        CHECK(hits_ptr == &total_hits);
#endif
        scenario_report();
    }
    scenario_loop("loop");
}
