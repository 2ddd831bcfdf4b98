/* app.c - built from a build directory that is not the source directory, as CMake,
 * autotools and bear produce it: kitsune.h arrives by `-include kitsune.h` (found
 * through -I like #include "kitsune.h"), config.h by `-include config.h` from the
 * build directory (the compiler's working directory, searched first), and the
 * headers through relative -I, -iquote, -isystem and -idirafter.  kitc must resolve
 * every one as the compiler did, or it cannot parse the file. */
#include "types.h"
#include "quoted.h"
#include <sysdefs.h>
#include "after.h"

#ifndef CONFIG_FROM_BUILD_DIR
#error "config.h of the build directory not included"
#endif

static const char label[] = LABEL; /* -DLABEL="two words": needs the shell quoting */
struct cache cache;
struct quoted_entry qe;
sys_word_t word;
struct after_rec rec;
int size_label(void)
{
    return (int)sizeof label;
}
