#!/bin/bash
# run.sh BUILD_DIR make|autotools
#
# kitsune-cc on projects whose build files know nothing of kitsune, generated here:
#   make       a plain Makefile (CC ?= cc): `make CC=kitsune-cc`
#   autotools  autoconf + automake, two libraries and a program:
#              `./configure CC=kitsune-cc && make`
# Version 1 is built and started through its launcher (the program's own name); the
# source then changes (a struct gains a field, initialised by a rule), version 2 is
# built by the same command with KITSUNE_PREVIOUS (make) or kitsune-cc.conf
# (autotools) naming version 1, and the running program is updated to it.
set -u
build=$(cd "$1" && pwd)
way=$2
. "$(dirname "$0")/../lib/common.sh"

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; die "cmake --install"; }
[ -x "$prefix/bin/kitsune-cc" ] || die "kitsune-cc is not installed"
export PATH=$prefix/bin:$PATH
kitsune-cc --help | grep -q 'configure CC=kitsune-cc' || die "kitsune-cc --help"

# sources VERSION DIR: the program's code; version 2 adds stats.average.
sources() {
    mkdir -p "$2"
    cat >"$2/count.c" <<EOF
#include "count.h"
struct stats stats;
void count(long bytes) { stats.served++; stats.bytes += bytes; }
EOF
    cat >"$2/count.h" <<EOF
struct stats {
    long served;
    long bytes;
$([ "$1" = 2 ] && echo '    long average;')
};
extern struct stats stats;
void count(long bytes);
EOF
    cat >"$2/greet.c" <<EOF
#include <stdio.h>
#include "greet.h"
void greet(long n) { printf("v$1 served %ld\n", n); fflush(stdout); }
EOF
    echo 'void greet(long n);' >"$2/greet.h"
    cat >"$2/main.c" <<EOF
#include <kitsune.h>
#include <stdio.h>
#include <unistd.h>
#include "count.h"
#include "greet.h"
int main(void)
{
    kitsune_do_automigrate();
$([ "$1" = 2 ] && echo '    if (kitsune_is_updating()) printf("v2 average %ld\n", stats.average);')
    for (;;) {
        kitsune_update("loop");
        count(10);
        greet(stats.served);
        usleep(5000);
    }
}
EOF
}

wait_out() { wait_lines "$out" "$1"; }

# run_v1 DIR PROG: starts the launcher; update DIR PROG: v2 must take over.
run_v1() {
    [ -x "$1/$2" ] && [ -f "$1/$2.so" ] || die "no launcher $2 and version $2.so in $1"
    head -1 "$1/$2" | grep -q '^#!/bin/sh' || die "$2 is not the launcher"
    start_program "$1/$2"
    wait_out '^v1 served'
    cp "$1/$2.so" "$tmp/$2-1.so"
}
update() {
    kitsune update "$pid" "$1/$2.so" >"$tmp/update" 2>&1 || die "update: $(cat "$tmp/update")"
    wait_out '^v2 served'
    grep -q '^v2 average 10$' "$tmp/out" || die "field not initialised: $(grep v2 "$tmp/out" | head -3)"
    echo "$way: $(head -1 "$tmp/update")"
}

rule='INIT struct stats.average: { $out = $base.bytes / $base.served; }'

if [ "$way" = make ]; then
    d=$tmp/plain
    sources 1 "$d"
    cat >"$d/Makefile" <<'EOF'
CC ?= cc
CFLAGS ?= -O2 -Wall
prog: main.o count.o greet.o
	$(CC) $(LDFLAGS) -o $@ main.o count.o greet.o
%.o: %.c
	$(CC) $(CFLAGS) -c $< -o $@
clean:
	rm -f prog *.o
EOF
    make -C "$d" CC=kitsune-cc >"$tmp/log" 2>&1 || { cat "$tmp/log"; die "make v1"; }
    run_v1 "$d" prog
    sources 2 "$d"
    # Without the rule, the link stops with xfgen's suggestion, and nothing is updated.
    KITSUNE_PREVIOUS=$tmp/prog-1.so make -C "$d" CC=kitsune-cc >"$tmp/log" 2>&1 &&
        die "v2 without its rule must not build"
    grep -q 'INIT struct stats.average' "$tmp/log" || die "no suggested rule: $(tail "$tmp/log")"
    grep -q 'kitsune-cc: xfgen needs rules' "$tmp/log" || die "no message: $(tail "$tmp/log")"
    echo "$rule" >"$tmp/prog.xf"
    KITSUNE_PREVIOUS=$tmp/prog-1.so KITSUNE_RULES=$tmp/prog.xf make -C "$d" CC=kitsune-cc \
        >"$tmp/log" 2>&1 || { cat "$tmp/log"; die "make v2"; }
    update "$d" prog
else
    d=$tmp/auto
    sources 1 "$d/src"
    cat >"$d/configure.ac" <<'EOF'
AC_INIT([counter], [1.0])
AM_INIT_AUTOMAKE([foreign subdir-objects])
AC_PROG_CC
AC_PROG_RANLIB
AM_PROG_AR
AC_CONFIG_FILES([Makefile])
AC_OUTPUT
EOF
    cat >"$d/Makefile.am" <<'EOF'
noinst_LIBRARIES = libcount.a libgreet.a
libcount_a_SOURCES = src/count.c src/count.h
libgreet_a_SOURCES = src/greet.c src/greet.h
bin_PROGRAMS = counter
counter_SOURCES = src/main.c
counter_LDADD = libcount.a libgreet.a
EOF
    (cd "$d" && autoreconf -i >"$tmp/log" 2>&1 && ./configure CC=kitsune-cc >>"$tmp/log" 2>&1 &&
        make >>"$tmp/log" 2>&1) || { tail -30 "$tmp/log"; die "autotools v1"; }
    run_v1 "$d" counter
    sources 2 "$d/src"
    echo "$rule" >"$d/counter.xf"
    printf 'previous=%s\nrules=counter.xf\n' "$tmp/counter-1.so" >"$d/kitsune-cc.conf"
    (cd "$d" && make >"$tmp/log" 2>&1) || { tail -30 "$tmp/log"; die "autotools v2"; }
    update "$d" counter
fi
kill "$pid"
wait "$pid" 2>/dev/null
pid=""
echo "kitsune-cc $way: passed"
