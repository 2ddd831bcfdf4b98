#!/bin/bash
# run_compilers.sh KITSUNE KITC LIBDIR WORK CC OPT SOURCE.c STEP...
#
# kitsune_scenario builds a scenario with the CMake compiler at the build type's -O
# level only; what the compiler decides (where a static lives, what it keeps) differs
# between gcc and clang and between -O0 and -O2.  This builds the versions of a
# scenario without rules (one source file, -DVERSION=N) with CC at -OPT the way
# cmake/kitsune.mk does (link, kitc, kitc --embed) into WORK, then runs
# run_scenario.sh on them in the order of the STEPs.  OPT may list a level per version
# ("O0,O2": version 1 at -O0, the later ones at -O2).
set -u
kit=$1 kitc=$2 libdir=$3 work=$4 cc=$5 opt=$6 src=$7
shift 7
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$(dirname "$src")" && pwd)
name=$(basename "$src" .c)
IFS=, read -r -a opts <<<"$opt"
rm -rf "$work" && mkdir -p "$work" || exit 1
built=" "
sos=()
for v in "$@"; do
    so=$work/${name}_v$v.so
    sos+=("$so")
    case $built in *" $v "*) continue ;; esac
    built="$built$v "
    level=${opts[$((v - 1))]:-${opts[-1]}}
    "$cc" -fPIC -shared -g "-$level" "-DVERSION=$v" -I"$here/../../include" -I"$here" \
        "$root/$name.c" -o "$so" -L"$libdir" -Wl,-rpath,"$libdir" -lkitsune ||
        { echo "FAILED: cannot build $so with $cc -$level"; exit 1; }
    "$kitc" -o "$so.ktt" --root "$root" "-DVERSION=$v" -I"$here/../../include" -I"$here" \
        "$so" && "$kitc" --embed "$so.ktt" "$so" ||
        { echo "FAILED: kitc on $so"; exit 1; }
done
echo "built with $cc -$opt"
exec "$here/run_scenario.sh" "$kit" "$src" "${sos[@]}"
