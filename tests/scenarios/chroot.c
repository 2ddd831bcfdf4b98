/* A process that chroots into an empty directory (as an FTP server's session does):
 * the new version's path means nothing there, and there is no /proc.  `kitsune update`
 * passes the opened file over the control socket, and the runtime loads it through
 * the /proc it kept open from the start.  chroot needs root: skipped otherwise.
 * kitsune-test: needs-root
 */
#include <errno.h>
#include <sys/stat.h>

#include "scenario.h"

int chrooted;

int main(void)
{
    kitsune_do_automigrate();
    if (!kitsune_is_updating()) {
        char jail[4096];
        snprintf(jail, sizeof jail, "%s/jail", getenv("KITSUNE_DIR"));
        if (mkdir(jail, 0700) < 0 || chroot(jail) < 0 || chdir("/") < 0) {
            printf("FAIL: chroot %s: %s\n", jail, strerror(errno));
            fflush(stdout);
        }
        chrooted = 1;
        /* What makes this test: neither the new version nor /proc is here. */
        CHECK(access(getenv("KITSUNE_TEST_NEXT"), F_OK) < 0);
        CHECK(access("/proc/self", F_OK) < 0);
    } else {
        CHECK_INT(chrooted, 1);
        CHECK(access("/proc/self", F_OK) < 0); /* still inside */
        scenario_report();
    }
    scenario_loop("loop");
}
