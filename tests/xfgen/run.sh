#!/bin/sh
# run.sh - xfgen's tests; CTest runs one case per call:
#   run.sh diag CASE [RULES]  build src/CASE.c as version 1 and 2 (-DVERSION=N), run
#                             kitc on both and xfgen with src/RULES.xf; stderr must be
#                             exactly expected/NAME.txt (NAME = RULES or CASE), exit 1
#   run.sh dropped            state dropped without a rule, renames, `-> (dropped)`
#   run.sh stubs              --stubs output is exactly expected/stubs.xf and parses
#   run.sh inputs             malformed and unreadable inputs, usage errors
#   run.sh mutate             mutated summaries never crash xfgen (exit 0 or 1 only)
#   run.sh layout CC          a rule-heavy .xf: the generated C compiles with -Wall
#                             -Wextra -Werror, its _Static_asserts hold, its bitfields
#                             sit on the real bits and the rule functions work
#   run.sh generic            generic hash table, bool, assert, $xform of a generic typedef
#   run.sh long_names         a struct, a member and a variable named with 500 characters:
#                             the diagnostic and its stub name them whole, and an INIT
#                             rule naming them matches and compiles
#   run.sh locals             locals of an E_NOTELOCALS function: their diagnostics
#                             (expected/locals.txt), and rules naming them that work
#   run.sh noop               identical versions, no rules: a valid empty rule table
#   run.sh line               a compiler error in rule code points at the .xf file
#   run.sh make               cmake/kitsune.mk builds two versions of a scenario with
#                             rules, and the update from one to the other commits;
#                             rules that warn or use an undefined symbol fail the build
# Environment: XFGEN, KITC (binaries), CC, SRC (tests/xfgen/src), EXPECTED
# (tests/xfgen/expected), INC (include/), WORK (scratch directory for this case);
# for `make`: TOP (source tree), BUILD (build tree), KITSUNE_CLI.
# With UPDATE_EXPECTED=1 the expected files are rewritten instead of compared.
set -u
what=$1
shift
fails=0
CC=${CC:-cc}

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1

# summary CASE VERSION [CC]: CASE.vN.so and CASE.vN.ktt from src/CASE.c
summary() {
    cc=${3:-$CC}
    "$cc" -g -fPIC -shared -DVERSION="$2" -I"$INC" "$SRC/$1.c" -o "$1.v$2.so" ||
        { echo "FAIL: cannot build $1 v$2" >&2; exit 1; }
    "$KITC" -o "$1.v$2.ktt" --root "$SRC" -I"$INC" -DVERSION="$2" "$1.v$2.so" 2>kitc.err ||
        { echo "FAIL: kitc $1 v$2" >&2; cat kitc.err >&2; exit 1; }
}

# same FILE EXPECTED-NAME: FILE equals expected/NAME exactly
same() {
    if [ "${UPDATE_EXPECTED:-0}" = 1 ]; then
        cp "$1" "$EXPECTED/$2"
        return
    fi
    cmp -s "$1" "$EXPECTED/$2" || {
        fail "$2 differs (expected, then got):"
        diff "$EXPECTED/$2" "$1" >&2
    }
}

# expect STATUS xfgen-args...: the exit status; stderr is left in err.txt
expect() {
    want=$1
    shift
    "$XFGEN" "$@" >out.txt 2>err.txt
    got=$?
    [ "$got" = "$want" ] || { fail "xfgen $*: exit $got, want $want"; cat err.txt >&2; }
}

case_diag() {
    name=${2:-$1}
    summary "$1" 1
    summary "$1" 2
    rules=""
    if [ -n "${2:-}" ]; then
        cp "$SRC/$2.xf" . && rules="$2.xf"
    fi
    expect 1 "$1.v1.ktt" "$1.v2.ktt" $rules -o out.c
    same err.txt "$name.txt"
    [ -e out.c ] && fail "out.c written despite diagnostics"
}

# Dropped state: without rules every loss is an error with a stub (renames suggested
# where a variable or field of the same type appears); with rules that rename or say
# `-> (dropped)` xfgen succeeds and the drops are in the rule table for the runtime.
case_dropped() {
    summary dropped 1
    summary dropped 2
    cp "$SRC/dropped.xf" "$SRC/dropped_ok.xf" .
    expect 1 dropped.v1.ktt dropped.v2.ktt -o out.c --stubs stubs.xf
    cp err.txt log.txt
    # The stubs are the renames and drops themselves: fed back, they are complete.
    expect 0 dropped.v1.ktt dropped.v2.ktt stubs.xf -o out.c
    [ -s err.txt ] && { fail "stubs fed back"; cat err.txt >&2; }
    grep -q '^struct entry.val -> struct entry.value$' stubs.xf || fail "no rename stub"
    rm -f out.c
    expect 1 dropped.v1.ktt dropped.v2.ktt dropped.xf -o out.c
    cat err.txt >>log.txt
    same log.txt dropped.txt
    [ -e out.c ] && fail "out.c written despite diagnostics"
    expect 0 dropped.v1.ktt dropped.v2.ktt dropped_ok.xf -o out.c
    [ -s err.txt ] && { fail "messages for dropped_ok.xf"; cat err.txt >&2; }
    grep '^    "R ' out.c >table.txt
    same table.txt dropped_table.txt
}

case_stubs() {
    summary stubs 1
    summary stubs 2
    expect 1 stubs.v1.ktt stubs.v2.ktt -o out.c --stubs stubs.xf
    same err.txt stubs.txt
    same stubs.xf stubs.xf
    # The stubs file is valid xf: fed back, only its placeholder type is reported.
    expect 1 stubs.v1.ktt stubs.v2.ktt stubs.xf -o out.c
    grep -q 'expected' err.txt && { fail "stubs do not parse"; cat err.txt >&2; }
    grep -q 'no type struct T$' err.txt || { fail "stubs fed back"; cat err.txt >&2; }
}

case_inputs() {
    summary new_field 1
    good=new_field.v1.ktt
    printf 'kitsune-ktt 2\n' >version.ktt
    printf 'kitsune-ktt 1\nobject a.so\nroot /x\nT 1 struct 8 s\nF a zz 1\n' >field.ktt
    printf 'kitsune-ktt 1\nobject a.so\nroot /x\nT 1 base 4 signed int\nT 2 ptr 9\n' >dangling.ktt
    : >empty.ktt
    printf 'INIT x: { $out = 1; \n' >open.xf
    printf 'x -> struct y\n' >shape.xf
    : >log.txt
    for f in version field dangling empty; do
        expect 1 $f.ktt $good -o out.c
        cat err.txt >>log.txt
        expect 1 $good $f.ktt -o out.c
        cat err.txt >>log.txt
    done
    expect 1 missing.ktt $good -o out.c
    cat err.txt >>log.txt
    expect 1 $good $good missing.xf -o out.c
    cat err.txt >>log.txt
    for f in open shape; do
        expect 1 $good $good $f.xf -o out.c
        cat err.txt >>log.txt
    done
    expect 1 $good $good -o no/such/dir/out.c
    cat err.txt >>log.txt
    for args in "$good" "$good $good" "$good $good a.xf b.xf -o x.c" "--bogus"; do
        expect 2 $args
        head -1 err.txt >>log.txt
    done
    expect 0 --help
    grep -q '^usage: xfgen' out.txt || fail "--help"
    same log.txt inputs.txt
}

# Each line of a good summary damaged in turn (a field dropped, a number changed, an
# id pointing elsewhere): xfgen must answer with exit 0 or 1, never crash.
case_mutate() {
    summary layout 1
    summary layout 2
    cp "$SRC/layout.xf" .
    n=$(wc -l <layout.v2.ktt)
    i=4
    while [ "$i" -le "$n" ]; do
        for how in drop num id; do
            awk -v n="$i" -v how="$how" 'NR != n { print; next }
                how == "drop" { $NF = ""; print; next }
                how == "num" { for (k = 2; k <= NF; k++) if ($k ~ /^[0-9]+$/) { $k = $k * 7 + 3; break } print; next }
                { for (k = NF; k >= 2; k--) if ($k ~ /^[0-9]+$/) { $k = 1; break } print }' \
                layout.v2.ktt >m.ktt
            for order in "layout.v1.ktt m.ktt" "m.ktt layout.v1.ktt"; do
                "$XFGEN" $order layout.xf -o m.c >/dev/null 2>&1
                st=$?
                [ "$st" -le 1 ] || fail "line $i ($how), $order: exit $st"
            done
        done
        i=$((i + 1))
    done
}

case_layout() {
    cc=$1
    command -v "$cc" >/dev/null 2>&1 || { echo "$cc not installed: skipped"; exit 0; }
    summary layout 1 "$cc"
    summary layout 2 "$cc"
    cp "$SRC/layout.xf" .
    expect 0 layout.v1.ktt layout.v2.ktt layout.xf -o layout.xf.c
    [ -s err.txt ] && { fail "messages for layout.xf"; cat err.txt >&2; }
    for c in gcc clang; do
        command -v "$c" >/dev/null 2>&1 || continue
        "$c" -std=c17 -Wall -Wextra -Werror -fPIC -I"$INC" -c layout.xf.c -o "xf-$c.o" ||
            fail "$c: generated code does not compile cleanly"
        "$c" -std=c17 -Wall -Wextra -Werror -DVERSION=2 -I"$INC" -I"$SRC" -I. \
            -DXF_C='"layout.xf.c"' "$SRC/layout_check.c" -o "check-$c" ||
            { fail "$c: layout_check does not compile"; continue; }
        "./check-$c" || fail "$c: layout_check"
    done
    grep -q '^    "R type struct:wire struct:wire code\\n"$' layout.xf.c || fail "rule table text"
}

# A generic hash table (a `void * E_T(@k) key` member, a generic typedef) and rules that
# use bool, assert and $xform(typedef dict, typedef dict): xfgen accepts them, the
# generated C compiles with -Werror, and the $xform pair is in the rule table.
case_generic() {
    summary generic 1
    summary generic 2
    cp "$SRC/generic.xf" .
    expect 0 generic.v1.ktt generic.v2.ktt generic.xf -o generic.xf.c
    [ -s err.txt ] && { fail "messages for generic.xf"; cat err.txt >&2; }
    "$CC" -std=c17 -Wall -Wextra -Werror -fPIC -I"$INC" -c generic.xf.c -o generic.xf.o ||
        fail "generated code does not compile cleanly"
    grep -q '"R xform dict dict nocode\\n"' generic.xf.c || fail "no R xform dict dict"
}

# Names of 500 characters, generated here (no source file holds such lines): the
# planner once cut them at 200-400 characters, so the rule matched nothing.
case_long_names() {
    t=$(awk 'BEGIN { s = "t"; for (i = 1; i < 500; i++) s = s sprintf("%c", 97 + i % 26); print s }')
    f="f${t#t}" g="g${t#t}" v="v${t#t}"
    printf '%s\n' "struct $t {" "    int $f;" "#if VERSION == 2" "    int $g;" "#endif" "};" \
        "struct $t $v;" "struct $t *p = &$v;" >long_names.c
    for n in 1 2; do
        "$CC" -g -fPIC -shared -DVERSION=$n -I"$INC" long_names.c -o ln.v$n.so ||
            { fail "cannot build v$n"; return; }
        "$KITC" -o ln.v$n.ktt --root "$PWD" -I"$INC" -DVERSION=$n ln.v$n.so 2>kitc.err ||
            { fail "kitc v$n"; cat kitc.err >&2; return; }
    done
    expect 1 ln.v1.ktt ln.v2.ktt -o out.c
    grep -qxF "long_names.c:4: struct $t.$g: new field needs an INIT rule" err.txt ||
        { fail "the diagnostic does not name the member whole"; cut -c1-200 err.txt >&2; }
    grep -qxF "    suggestion: INIT struct $t.$g: { \$out = 0; }" err.txt ||
        { fail "the stub does not name the member whole"; cut -c1-200 err.txt >&2; }
    printf 'INIT struct %s.%s: { $out = 7; }\n' "$t" "$g" >ln.xf
    expect 0 ln.v1.ktt ln.v2.ktt ln.xf -o ln.xf.c
    [ -s err.txt ] && { fail "messages for the INIT rule"; cut -c1-200 err.txt >&2; }
    grep -qF "struct:$t $g code" ln.xf.c || fail "the rule table does not name the member whole"
    "$CC" -std=c17 -Wall -Wextra -Werror -fPIC -I"$INC" -c ln.xf.c -o ln.xf.o ||
        fail "generated code does not compile cleanly"
}

case_locals() {
    summary locals 1
    summary locals 2
    expect 1 locals.v1.ktt locals.v2.ktt -o out.c
    same err.txt locals.txt
    cp "$SRC/locals.xf" .
    expect 0 locals.v1.ktt locals.v2.ktt locals.xf -o locals.c
    [ -s err.txt ] && { fail "rules on locals"; cat err.txt >&2; }
    "$CC" -std=c17 -Wall -Wextra -Werror -fPIC -I"$INC" -c locals.c -o locals.o ||
        fail "the rules on locals do not compile"
}

case_noop() {
    summary layout 1
    # -o to a pipe (or a device: /dev/null) writes into it, never replaces it.
    rm -f out.fifo && mkfifo out.fifo || { fail "mkfifo"; return; }
    cat out.fifo >fifo.c &
    reader=$!
    expect 0 layout.v1.ktt layout.v1.ktt -o out.fifo
    [ -p out.fifo ] || { fail "xfgen -o replaced the pipe with a file"; kill "$reader"; }
    wait "$reader"
    grep -q 'kitsune_xf_rules' fifo.c || fail "the rules did not come through the pipe"
    expect 0 layout.v1.ktt layout.v1.ktt -o noop.c
    [ -s err.txt ] && { fail "messages for identical versions"; cat err.txt >&2; }
    "$CC" -std=c17 -Wall -Wextra -Werror -fPIC -I"$INC" -c noop.c -o noop.o ||
        fail "empty transformer set does not compile"
    grep -q '^kitsune_rule_fn const kitsune_xf_rules\[\] = {$' noop.c || fail "no rule table"
    grep -q '"R ' noop.c && fail "rules in an empty rule table"
    want=$(printf 'old %s' "$(python3 - layout.v1.ktt <<'EOF' 2>/dev/null || echo skip
import sys
h = 0xcbf29ce484222325
for b in open(sys.argv[1], 'rb').read():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print('%016x' % h)
EOF
)")
    case "$want" in
    *skip*) ;;
    *) want="$want $(sed -n 's/^object //p' layout.v1.ktt)"  # and the object it describes
       grep -q "\"$want\\\\n\"" noop.c || fail "fingerprint: want $want" ;;
    esac
    # The section holds exactly the table text.
    objcopy -O binary --only-section=.kitsune_xf noop.o section.bin 2>/dev/null &&
        { head -c 13 section.bin | grep -q '^kitsune-xf 1$' || fail ".kitsune_xf section"; }
}

case_line() {
    summary rules_bad 1
    summary rules_bad 2
    printf '// line 1\nINIT struct point.z: {\n    $out = no_such_name;\n}\n' >bad_code.xf
    expect 0 rules_bad.v1.ktt rules_bad.v2.ktt bad_code.xf -o bad.c
    "$CC" -std=c17 -Wall -Wextra -Werror -I"$INC" -c bad.c -o bad.o 2>cc.txt &&
        fail "bad code compiled"
    grep -q 'bad_code.xf:3:' cc.txt || { fail "error not at bad_code.xf:3"; cat cc.txt >&2; }
}

case_make() {
    command -v make >/dev/null 2>&1 || { echo "make not installed: skipped"; exit 0; }
    cat >Makefile <<EOF
KITSUNE_DIR := $BUILD
include $TOP/cmake/kitsune.mk
S := $TOP/tests/scenarios
KITSUNE_ROOT := \$(S)
CFLAGS := -O2 -Wall -Wextra -Werror -std=c17 -D_GNU_SOURCE \$(KITSUNE_CFLAGS) \$(KITSUNE_INCLUDE) -I$TOP/tests/lib

all: app-2.so
v1/%.o: \$(S)/%.c ; @mkdir -p v1 && \$(CC) \$(CFLAGS) -DVERSION=1 -c \$< -o \$@
v2/%.o: \$(S)/%.c ; @mkdir -p v2 && \$(CC) \$(CFLAGS) -DVERSION=2 -c \$< -o \$@
app-1.so: v1/xf_field_init.o
	\$(call kitsune-version,-DVERSION=1)
app-2.so: v2/xf_field_init.o app-1.so \$(S)/xf_field_init.v2.xf
	\$(call kitsune-update,app-1.so,\$(S)/xf_field_init.v2.xf,-DVERSION=2)
EOF
    make -s CC="$CC" KITC="$KITC" XFGEN="$XFGEN" >make.txt 2>&1 || { fail "make"; cat make.txt >&2; return; }
    grep -q 'R init-field - - struct:item total code' app-2.so.xf.c || fail "no rule table"
    grep -q 'kitsune_xf_rules_self' app-2.so.self.xf.c || fail "no rules for updating from itself"
    "$TOP/tests/lib/run_scenario.sh" "$KITSUNE_CLI" "$TOP/tests/scenarios/xf_field_init.c" \
        "$PWD/app-1.so" "$PWD/app-2.so" "$PWD/app-2.so" ||
        fail "update between the Make-built versions, then to itself"
    # Up to date: a second run has nothing to do.
    make -q CC="$CC" KITC="$KITC" XFGEN="$XFGEN" || fail "make rebuilds an up-to-date tree"
    # Rules whose code warns (an unused variable; the program's own CFLAGS do not ask
    # for -Werror) or uses a symbol nothing defines fail the build, not the update.
    printf 'INIT struct item.total: { int unused; $out = $base.id; }\n' >warns.xf
    printf '{ long kt_no_such_helper(long); }\nINIT struct item.total: { $out = kt_no_such_helper($base.id); }\n' >undef.xf
    cat >>Makefile <<EOF
app-warns.so app-undef.so: CFLAGS := -O2 -std=c17 -D_GNU_SOURCE \$(KITSUNE_CFLAGS) \$(KITSUNE_INCLUDE) -I$TOP/tests/lib
app-warns.so: v2/xf_field_init.o app-1.so warns.xf
	\$(call kitsune-update,app-1.so,warns.xf,-DVERSION=2)
app-undef.so: v2/xf_field_init.o app-1.so undef.xf
	\$(call kitsune-update,app-1.so,undef.xf,-DVERSION=2)
EOF
    for bad in warns undef; do
        make -s CC="$CC" KITC="$KITC" XFGEN="$XFGEN" app-$bad.so >make-$bad.txt 2>&1 &&
            fail "rules $bad.xf: the build succeeded"
        [ -e app-$bad.so ] && fail "rules $bad.xf: app-$bad.so was produced"
    done
    grep -q 'unused variable' make-warns.txt || { fail "no -Werror on the transformers"; cat make-warns.txt >&2; }
    grep -q 'kt_no_such_helper' make-undef.txt || { fail "undefined symbol not reported"; cat make-undef.txt >&2; }
}

# --self keeps of the rules only what v -> v cannot do without: the union's rule, not a
# conversion of a value (applied twice it would corrupt the state) nor an INIT.
case_self() {
    summary union_ptrs 1
    cat >self.xf <<'EOF2'
{ static long kt_twice(long v) { return 2 * v; } }
struct cell.v -> struct cell.v: { if ($base.tag == 1) XF_INVOKE(XF_NTSTR(), &$in.s, &$out.s); else $out.i = $in.i; }
struct cell.tag -> struct cell.tag: { $out = (int)kt_twice($in); }
EOF2
    expect 1 --self union_ptrs.v1.ktt -o none.c
    grep -q 'union value: .*(to update the version from itself)' err.txt ||
        { fail "no self diagnostic"; cat err.txt >&2; }
    expect 0 --self union_ptrs.v1.ktt self.xf -o self.c
    grep -q '"R field struct:cell v struct:cell v code' self.c || fail "the union's rule left out"
    grep -q 'struct:cell tag' self.c && fail "a conversion kept in the self set"
    grep -q 'kitsune_xf_rules_self\[\]' self.c || fail "no kitsune_xf_rules_self"
    grep -q 'section(".kitsune_xf_self")' self.c || fail "no .kitsune_xf_self section"
    "$CC" -std=c17 -Wall -Wextra -Werror -I"$INC" -c self.c -o self.o ||
        fail "the self set does not compile"
    expect 2 --self union_ptrs.v1.ktt union_ptrs.v1.ktt self.xf -o x.c
}

case "$what" in
diag) case_diag "$@" ;;
self) case_self ;;
dropped) case_dropped ;;
make) case_make ;;
stubs) case_stubs ;;
inputs) case_inputs ;;
mutate) case_mutate ;;
layout) case_layout "$@" ;;
noop) case_noop ;;
locals) case_locals ;;
generic) case_generic ;;
long_names) case_long_names ;;
line) case_line ;;
*) echo "run.sh: unknown case $what" >&2; exit 2 ;;
esac
[ "$fails" = 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
echo "xfgen $what ${*:-}: passed"
