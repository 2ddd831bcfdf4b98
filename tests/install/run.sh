#!/bin/bash
# run.sh BUILD_DIR [cmake|pkgconfig|make ...]
#
# The installed route, as a new user takes it: `cmake --install BUILD_DIR --prefix P`
# into a temporary prefix, then a small server outside kitsune's tree (generated here)
# is built three ways against P alone - find_package(kitsune) with no build type,
# pkg-config with a plain Makefile, the installed Make fragment - each run with
# P/bin/kitsune and updated live to a version whose struct gained a field (an INIT
# rule: generated transformer code that needs debug info).  Nothing from the source
# tree is used after the install.  KEEP_TMP=1 keeps the temporary directory (to look at).
set -u
build=$(cd "$1" && pwd)
shift
ways=${*:-cmake pkgconfig make}
. "$(dirname "$0")/../lib/common.sh"

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; die "cmake --install"; }
for f in lib/libkitsune.so include/kitsune.h include/kitsune_xf.h bin/kitsune bin/kitc \
         bin/xfgen lib/cmake/kitsune/kitsuneConfig.cmake lib/pkgconfig/kitsune.pc \
         share/kitsune/kitsune.mk share/bash-completion/completions/kitsune \
         share/man/man1/kitsune.1 share/man/man1/kitc.1 share/man/man1/xfgen.1 \
         share/man/man1/kitsune-cc.1 bin/kitsune-cc \
         share/man/man3/kitsune.3 share/man/man5/kitsune-xf.5; do
    [ -e "$prefix/$f" ] || die "not installed: $f"
done
# The tools must work with the source tree out of sight: kitc finds kitsune.h next to
# itself, the command finds libkitsune in ../lib.
"$prefix/bin/kitsune" --version >/dev/null || die "installed kitsune does not run"
bash -n "$prefix/share/bash-completion/completions/kitsune" || die "completion: syntax"
export PATH=$prefix/bin:$PATH
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig

# The project: one source for both versions (-DVERSION), and the rule for the field.
project() {
    mkdir -p "$1"
    cat >"$1/server.c" <<'EOF'
/* A server's loop: counts requests; version 2 keeps an average it did not have. */
#include <stdio.h>
#include <unistd.h>
#include <kitsune.h>

struct stats {
    long served;
    long bytes;
#if VERSION >= 2
    long average; /* set from the old counters by server.v2.xf */
#endif
};
static struct stats stats;

int main(void)
{
    kitsune_do_automigrate();
#if VERSION >= 2
    if (kitsune_is_updating())
        printf("v2 average %ld of %ld bytes / %ld\n", stats.average, stats.bytes,
               stats.served);
#endif
    for (;;) {
        kitsune_update("main");
        stats.served++;
        stats.bytes += 10;
        printf("v%d served %ld\n", VERSION, stats.served);
        fflush(stdout);
        usleep(5000);
    }
}
EOF
    cat >"$1/server.v2.xf" <<'EOF'
INIT struct stats.average: { $out = $base.bytes / $base.served; }
EOF
}

# run_and_update DIR V1.so V2.so: runs V1, updates it to V2, checks the new field.
run_and_update() {
    local out=$1/out err=$1/err pid
    start_program kitsune run "$2"
    wait_lines "$out" '^v1 served'
    kitsune update "$pid" "$3" >"$1/update" 2>&1 || { cat "$1/update"; die "$1: update"; }
    wait_lines "$out" '^v2 served'
    grep -q '^v2 average 10 of ' "$out" || die "$1: field not initialised"
    grep -q '^v2 served' "$out" || die "$1: version 2 does not run"
    kill "$pid"
    wait "$pid" 2>/dev/null
    echo "$1: built, run and updated live"
}

way_cmake() {
    local d=$tmp/cmake
    project "$d/src"
    cat >"$d/src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(server C)
find_package(kitsune REQUIRED)
kitsune_add_program(server_v1 SOURCES server.c DEFINES VERSION=1)
kitsune_add_program(server_v2 SOURCES server.c DEFINES VERSION=2 FROM server_v1 XF server.v2.xf)
EOF
    # No CMAKE_BUILD_TYPE: versions still get their debug info.
    cmake -S "$d/src" -B "$d/build" -DCMAKE_PREFIX_PATH="$prefix" >"$d/log" 2>&1 &&
        cmake --build "$d/build" -j2 >>"$d/log" 2>&1 || { cat "$d/log"; die "cmake project"; }
    run_and_update "$d" "$d/build/server_v1.so" "$d/build/server_v2.so"
}

way_pkgconfig() {
    local d=$tmp/pkgconfig
    project "$d"
    cat >"$d/Makefile" <<'EOF'
# Everything from pkg-config: flags, and where kitc and xfgen are.
CFLAGS = -fPIC -g -O2 $(shell pkg-config --cflags kitsune)
LIBS = $(shell pkg-config --libs kitsune)
KITC = $(shell pkg-config --variable=kitc kitsune)
XFGEN = $(shell pkg-config --variable=xfgen kitsune)
all: v2.so
v%.o: server.c ; $(CC) $(CFLAGS) -DVERSION=$* -c $< -o $@
v1.so: v1.o
	$(CC) -shared -o $@ $^ $(LIBS)
	$(KITC) -o $@.ktt --root . -DVERSION=1 $@
	$(KITC) --embed $@.ktt $@
v2.so: v2.o v1.so server.v2.xf
	$(CC) -shared -o v2.types.so v2.o $(LIBS)
	$(KITC) -o v2.types.ktt --root . -DVERSION=2 v2.types.so
	$(XFGEN) v1.so.ktt v2.types.ktt server.v2.xf -o v2.xf.c
	$(CC) $(CFLAGS) -Wall -Wextra -Werror -c v2.xf.c -o v2.xf.o
	$(CC) -shared -o $@ v2.o v2.xf.o $(LIBS)
	$(KITC) -o $@.ktt --root . -DVERSION=2 $@
	$(KITC) --embed $@.ktt $@
EOF
    make -C "$d" >"$d/log" 2>&1 || { cat "$d/log"; die "pkg-config project"; }
    run_and_update "$d" "$d/v1.so" "$d/v2.so"
}

way_make() {
    local d=$tmp/make
    project "$d"
    cat >"$d/Makefile" <<EOF
# The installed fragment finds its own prefix: no KITSUNE_DIR.
include $prefix/share/kitsune/kitsune.mk
CFLAGS += \$(KITSUNE_CFLAGS) \$(KITSUNE_INCLUDE)
all: app-2.so
v%.o: server.c ; \$(CC) \$(CFLAGS) -DVERSION=\$* -c \$< -o \$@
app-1.so: v1.o
	\$(call kitsune-version,-DVERSION=1)
app-2.so: v2.o app-1.so server.v2.xf
	\$(call kitsune-update,app-1.so,server.v2.xf,-DVERSION=2)
EOF
    make -C "$d" >"$d/log" 2>&1 || { cat "$d/log"; die "make fragment project"; }
    run_and_update "$d" "$d/app-1.so" "$d/app-2.so"
}

for w in $ways; do
    "way_$w"
done
echo "install: passed ($ways)"
