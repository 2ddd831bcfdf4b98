#!/bin/bash
# run_cc_matrix.sh NAME CC OPT
#
# Builds versions 1 and 2 of tests/scenarios/NAME.c with compiler CC at -OPT through
# cmake/kitsune.mk (the Make flow of a user's build; NAME.v2.xf is used when it exists)
# and runs tests/lib/run_scenario.sh on them: the scenarios whose outcome depends on the
# compiler's DWARF run with gcc and clang at -O0 and -O2, not only the CMake compiler.
# Environment: TOP (source tree), BUILD (build tree), KITC, XFGEN, KITSUNE_CLI,
# WORK (a scratch directory for this case); CC_MATRIX_CFLAGS, more compiler flags.
set -u
name=$1 cc=$2 opt=$3
# Exit status 77: skipped (CTest's SKIP_RETURN_CODE), not passed.
command -v make >/dev/null 2>&1 || { echo "make not installed: skipped"; exit 77; }
command -v "$cc" >/dev/null 2>&1 || { echo "$cc not installed: skipped"; exit 77; }
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
S=$TOP/tests/scenarios
xf=
[ -e "$S/$name.v2.xf" ] && xf=$S/$name.v2.xf
cat >Makefile <<MK
KITSUNE_DIR := $BUILD
include $TOP/cmake/kitsune.mk
KITSUNE_ROOT := $S
CFLAGS := -$opt ${CC_MATRIX_CFLAGS:-} -Wall -Wextra -Werror -std=c17 -D_GNU_SOURCE \$(KITSUNE_CFLAGS) \$(KITSUNE_INCLUDE) -I$TOP/tests/lib

all: app-2.so
v1/%.o: $S/%.c ; @mkdir -p v1 && \$(CC) \$(CFLAGS) -DVERSION=1 -c \$< -o \$@
v2/%.o: $S/%.c ; @mkdir -p v2 && \$(CC) \$(CFLAGS) -DVERSION=2 -c \$< -o \$@
app-1.so: v1/$name.o
	\$(call kitsune-version,-DVERSION=1)
app-2.so: v2/$name.o app-1.so $xf
	\$(call kitsune-update,app-1.so,$xf,-DVERSION=2)
MK
if ! make -s CC="$cc" KITC="$KITC" XFGEN="$XFGEN" >make.txt 2>&1; then
    echo "FAILED: building $name with $cc -$opt"
    cat make.txt
    exit 1
fi
exec "$TOP/tests/lib/run_scenario.sh" "$KITSUNE_CLI" "$S/$name.c" "$PWD/app-1.so" "$PWD/app-2.so"
