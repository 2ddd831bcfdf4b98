#!/bin/sh
# run.sh - kitc's tests; CTest runs one case per call:
#   run.sh shapes CC OPT   types, variables, functions and annotations of src/main.c +
#                          src/other.c built with CC at -OPT; deterministic output
#   run.sh errors CC       bad annotations, clang parse failure and --allow-unparsed,
#                          a missing source, no debug info, not ELF
#   run.sh embed CC        --embed/--extract roundtrip; no segment or symbol moves
#   run.sh compdb CC       -p with compile_commands.json, and --root
#   run.sh heaplist CC OPT kitsune.h from -isystem: its heap lists stay generic
#   run.sh buildtree CC OPT -p with a database of a build directory apart from the
#                          sources: -include, relative -I/-iquote/-isystem/-idirafter,
#                          "arguments", shell-quoted "command", a relative "directory";
#                          unparsable -> exit 1
#   run.sh cmake CC OPT    the same with the database CMake writes
#   run.sh defines CC      -D options reach the parser; an empty "-I" is ignored
#   run.sh arrays CC OPT   array lengths of every DWARF form width (src/arrays.h)
#   run.sh opaque CC OPT   types no variable reaches, a struct defined in another unit
#   run.sh sizes CC OPT    a variable whose size the DWARF does not give is sized from
#                          the symbol table or refused, never listed with size 0
#   run.sh inferlen CC OPT pointers to structs or pointers get the length their
#                          allocations agree on (a constant, a field of the same object)
#                          as E_PTRARRAY; differing, local or unreadable counts and an
#                          annotation leave them; --explain prints the allocations
#   run.sh locals CC OPT   locals of E_NOTELOCALS functions are listed (func#name, type,
#                          where the compiler keeps them, inside the function's code);
#                          other functions' are not
#   run.sh infer CC OPT    void * fields and variables get the type the source shows
#                          (assignment, cast, sizeof allocation, initialiser) with its
#                          evidence; two candidates warn and stay void *; an annotation
#                          wins; --explain prints the evidence
#   run.sh infercb CC OPT  a void * passed to a function, with a callback or to a
#                          thread's start routine gets what that function's void *
#                          parameter is converted to, one assigned from such a parameter
#                          what the callers pass; the evidence names both places;
#                          a void * seen only with char types is a char * (bytes)
# Environment: KITC, KTTCHECK (binaries), SRC (tests/kitc/src), EXPECTED (tests/kitc/
# expected), INC (include/), WORK (a scratch directory for this case).
set -u
case_name=$1
CC=$2
OPT=${3:-O0}
fails=0

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1

build() { # build OUT.so FLAGS... SOURCES...
    out=$1
    shift
    "$CC" -fPIC -shared -I"$INC" "$@" -o "$out" || { echo "FAIL: cannot build $out" >&2; exit 1; }
}

# expect_error STATUS MESSAGE kitc-args...: exact stderr line and exit status
expect_error() {
    want_status=$1
    want=$2
    shift 2
    "$KITC" "$@" >out.txt 2>err.txt
    status=$?
    [ "$status" = "$want_status" ] || fail "kitc $*: exit $status, want $want_status"
    grep -Fxq -- "$want" err.txt || { fail "kitc $*: missing message: $want"; cat err.txt >&2; }
}

case_shapes() {
    build prog.so -"$OPT" -g "$SRC/main.c" "$SRC/other.c"
    "$KITC" -o prog.ktt prog.so 2>err.txt || { fail "kitc failed"; cat err.txt >&2; return; }
    [ -s err.txt ] && { fail "unexpected diagnostics"; cat err.txt >&2; }
    "$KTTCHECK" prog.ktt "$EXPECTED/shapes.txt" || fail "rendering differs"
    head -3 prog.ktt >head.txt
    printf "kitsune-ktt 1\nobject prog.so\nroot %s\n" "$SRC" >want-head.txt
    cmp -s head.txt want-head.txt || fail "header: $(cat head.txt)"
    [ "$(grep -c '^T [0-9]* struct 16 conn ' prog.ktt)" = 1 ] || fail "struct conn not listed once"
    "$KITC" -o again.ktt prog.so && cmp -s prog.ktt again.ktt || fail "output not deterministic"
    # addresses: every non-TLS variable and every function is where nm says
    nm prog.so | awk '$2 ~ /^[BbDdRrTt]$/ { print $1, $3 }' >syms.txt
    for v in g_int g_node other_tick counter_a; do
        addr=$(awk -v k="$v" '($1 == "V" || $1 == "X") && $2 == k { print ($1 == "V") ? $4 : $3 }' prog.ktt)
        want=$(awk -v n="$v" '$2 == n { print $1 }' syms.txt | sed 's/^0*//')
        [ "$addr" = "0x$want" ] || fail "$v at $addr, nm says 0x$want"
    done
}

case_errors() {
    build bad1.so -g "$SRC/bad_ptrarray.c"
    expect_error 1 "$SRC/bad_ptrarray.c:3:5: kitc: pointer annotation on a type that is not a pointer" bad1.so
    build bad2.so -g "$SRC/bad_generic.c"
    expect_error 1 "$SRC/bad_generic.c:3:10: kitc: expected generic variable to begin with @, got 't'" bad2.so
    [ -s out.txt ] && fail "output written despite errors"
    if [ "$CC" = gcc ]; then
        # a source clang cannot parse: an error naming it and clang's message, unless
        # --allow-unparsed makes it a warning
        build gcconly.so -g "$SRC/gcc_only.c"
        expect_error 1 "kitc: $SRC/gcc_only.c: clang cannot parse it, so its annotations would be lost; give kitc the build's flags (-p BUILD_DIR, or -I/-D/-U) or pass --allow-unparsed to go on without them" \
            -o gcconly.ktt gcconly.so
        grep -Fxq "$SRC/gcc_only.c:10:22: error: function definition is not allowed here" err.txt ||
            { fail "clang's error not shown"; cat err.txt >&2; }
        [ -e gcconly.ktt ] && fail "output written for an unparsable source"
        "$KITC" --allow-unparsed -o gcconly.ktt gcconly.so 2>err.txt ||
            fail "kitc --allow-unparsed failed on a file clang cannot parse"
        grep -Fxq "kitc: warning: $SRC/gcc_only.c: clang cannot parse it; its annotations are ignored (--allow-unparsed)" err.txt ||
            { fail "no parse warning"; cat err.txt >&2; }
        grep -q '^V h ' gcconly.ktt || fail "DWARF variables missing after a parse failure"
    fi
    # a compile unit whose source is gone cannot be parsed either
    cp "$SRC/nodebug.c" gone.c && build gone.so -g gone.c && rm gone.c
    expect_error 1 "kitc: $(pwd -P)/gone.c: cannot read this compile unit's source (No such file or directory), so its annotations would be lost; pass --allow-unparsed to go on without them" \
        -o gone.ktt gone.so
    "$KITC" --allow-unparsed -o gone.ktt gone.so 2>err.txt || fail "kitc --allow-unparsed failed on a missing source"
    build nodebug.so "$SRC/nodebug.c"
    expect_error 1 "kitc: nodebug.so: no DWARF debug info; build with -g" -o x.ktt nodebug.so
    [ -e x.ktt ] && fail "output written without debug info"
    echo "not an object" >notelf.so
    expect_error 1 "kitc: notelf.so: not an ELF file" notelf.so
    expect_error 1 "kitc: missing.so: No such file or directory" missing.so
    build full.so -g "$SRC/nodebug.c"
    head -c 200 full.so >truncated.so
    "$KITC" truncated.so >/dev/null 2>err.txt
    [ $? = 1 ] && grep -q '^kitc: truncated.so: ' err.txt || fail "truncated ELF not reported"
    expect_error 1 "kitc: notelf.so: not an ELF file" --extract notelf.so
    expect_error 1 "kitc: full.so: no .kitsune_ktt section (run kitc --embed)" --extract full.so
}

load_layout() { # the program headers and the symbol table of $1
    readelf -lW "$1" | sed -n '/Program Headers/,/Section to Segment/p'
    nm "$1"
}

case_embed() {
    build prog.so -O2 -g "$SRC/main.c" "$SRC/other.c"
    "$KITC" -o prog.ktt prog.so || { fail "kitc failed"; return; }
    load_layout prog.so >before.txt
    "$KITC" --embed prog.ktt prog.so || fail "embed failed"
    load_layout prog.so >after.txt
    cmp -s before.txt after.txt || { fail "embedding moved segments or symbols"; diff before.txt after.txt >&2; }
    "$KITC" --extract prog.so >extracted.ktt && cmp -s prog.ktt extracted.ktt || fail "extract differs"
    readelf -SW prog.so | grep -F '.kitsune_ktt' >sec.txt || fail "no section"
    flags=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9a-f]+$/ && length($i) == 2) f = $(i + 1); print f }' sec.txt)
    case "$flags" in *A*) fail "section is allocated: $(cat sec.txt)" ;; esac
    "$KITC" -o again.ktt prog.so && cmp -s prog.ktt again.ktt || fail "summary changed by embedding"
    # embedding again replaces the section
    printf 'kitsune-ktt 1\nobject prog.so\nroot /\n' >small.ktt
    "$KITC" --embed small.ktt prog.so || fail "second embed failed"
    "$KITC" --extract prog.so >extracted2.ktt && cmp -s small.ktt extracted2.ktt || fail "re-embed did not replace"
    [ "$(readelf -SW prog.so | grep -c 'kitsune_ktt')" = 1 ] || fail "two .kitsune_ktt sections"
    load_layout prog.so >after2.txt
    cmp -s before.txt after2.txt || fail "second embedding moved segments or symbols"
    # -o to a pipe (or a device: /dev/null) writes into it; renaming a temporary file
    # over it replaced it, which as root destroyed /dev/null.
    rm -f out.fifo && mkfifo out.fifo || { fail "mkfifo"; return; }
    cat out.fifo >fifo.ktt &
    reader=$!
    "$KITC" -o out.fifo prog.so || fail "kitc -o FIFO failed"
    [ -p out.fifo ] || { fail "kitc -o replaced the pipe with a file"; kill "$reader"; }
    wait "$reader"
    cmp -s again.ktt fifo.ktt || fail "the summary did not come through the pipe"
}

case_compdb() {
    dir=$(cd "$SRC/compdb" && pwd -P)
    mkdir -p build
    printf '[{"directory": "%s", "arguments": ["%s", "-Iinc", "-I%s", "-c", "app.c", "-o", "%s/app.o"], "file": "app.c"}]\n' \
        "$dir" "$CC" "$INC" "$WORK" >build/compile_commands.json
    (cd "$dir" && "$CC" -fPIC -shared -g -"$OPT" -Iinc -I"$INC" app.c -o "$WORK/app.so") || { fail "build"; return; }
    "$KITC" -p build -o app.ktt app.so 2>err.txt || { fail "kitc -p failed"; cat err.txt >&2; return; }
    "$KTTCHECK" app.ktt "$SRC/compdb/expected.txt" || fail "rendering differs"
    grep -Fxq "root $dir" app.ktt || fail "root is not the sources' directory: $(grep ^root app.ktt)"
    "$KITC" -p build --root "$SRC" -o app2.ktt app.so || fail "kitc --root failed"
    grep -q '^V compdb/app.c/hits ' app2.ktt || fail "--root not used for keys"
}

# kitsune.h from a system directory: its heap lists keep their generic annotations, so a
# list declared E_G(struct conn) reaches the planner with its element type.
case_heaplist() {
    dir=$(cd "$SRC/heaplist" && pwd -P)
    mkdir -p build
    printf '[{"directory": "%s", "arguments": ["%s", "-isystem", "%s", "-c", "app.c"], "file": "app.c"}]\n' \
        "$dir" "$CC" "$INC" >build/compile_commands.json
    (cd "$dir" && "$CC" -fPIC -shared -g -"$OPT" -isystem "$INC" app.c -o "$WORK/app.so") || { fail "build"; return; }
    "$KITC" -p build -o app.ktt app.so 2>err.txt || { fail "kitc -p failed"; cat err.txt >&2; return; }
    grep -q '^T [0-9]* typedef [0-9]* kitsune_heaplist generic=@t gargs=struct_conn @' app.ktt ||
        fail "no E_G(struct conn) instance of kitsune_heaplist: $(grep kitsune_heaplist app.ktt)"
    grep -q '^T [0-9]* struct 16 kitsune_heaplist_node generic=@t @' app.ktt ||
        fail "kitsune_heaplist_node is not generic: $(grep kitsune_heaplist_node app.ktt)"
}

# compile_commands.json for src/app.c compiled in build/ (DIR) with the flags given as
# one JSON string (for "command") or a JSON list body (for "arguments")
compdb_entry() { # compdb_entry DIR KEY VALUE
    printf '[{"directory": "%s", "%s": %s, "file": "../src/app.c"}]\n' "$1" "$2" "$3"
}

case_buildtree() {
    cp -R "$SRC/buildtree" src && mkdir build args cmd bad elsewhere || { fail "setup"; return; }
    top=$(pwd -P)
    printf '/* generated */\n#define CONFIG_FROM_BUILD_DIR 1\n' >build/config.h
    # the build, run in build/ as make or ninja would: separate spellings
    (cd build && "$CC" -fPIC -shared -g -"$OPT" -include kitsune.h -I "$INC" -include config.h \
        -I ../src/hdr -iquote ../src/quote -isystem ../src/sys -idirafter ../src/after \
        '-DLABEL="two words"' ../src/app.c -o app.so) || { fail "build"; return; }
    compdb_entry "$top/build" arguments "[\"$CC\", \"-fPIC\", \"-g\", \"-include\", \"kitsune.h\",
        \"-I\", \"$INC\", \"-include\", \"config.h\", \"-I\", \"../src/hdr\", \"-iquote\",
        \"../src/quote\", \"-isystem\", \"../src/sys\", \"-idirafter\", \"../src/after\",
        \"-DLABEL=\\\"two words\\\"\", \"-c\", \"../src/app.c\", \"-o\", \"app.o\"]" \
        >args/compile_commands.json
    # the same flags joined and shell-quoted, as CMake writes "command"
    compdb_entry "$top/build" command "\"$CC -fPIC -g -includekitsune.h -I$INC --include=config.h \
-I../src/hdr -iquote../src/quote -isystem../src/sys -idirafter../src/after \
'-DLABEL=\\\"two words\\\"' -c ../src/app.c -o app.o\"" >cmd/compile_commands.json
    # a relative "directory" is relative to the database's directory
    mkdir rel && sed "s|\"$top/build\"|\"../build\"|" args/compile_commands.json >rel/compile_commands.json
    grep -q '"directory": "../build"' rel/compile_commands.json || fail "setup rel"
    for db in args cmd rel; do
        (cd elsewhere && "$KITC" -p ../$db -o ../$db.ktt ../build/app.so) 2>err.txt ||
            { fail "kitc -p $db failed"; cat err.txt >&2; continue; }
        [ -s err.txt ] && { fail "kitc -p $db: unexpected diagnostics"; cat err.txt >&2; }
        "$KTTCHECK" $db.ktt src/expected.txt || fail "rendering differs with $db"
        grep -Fxq "root $top/src" $db.ktt || fail "$db: root $(grep ^root $db.ktt)"
    done
    # a -include the compiler could not have found: kitc must not go on without the
    # file's annotations unless told to
    compdb_entry "$top/build" arguments "[\"$CC\", \"-include\", \"missing.h\", \"-c\", \"../src/app.c\"]" \
        >bad/compile_commands.json
    (cd elsewhere && "$KITC" -p ../bad -o ../bad.ktt ../build/app.so) 2>err.txt
    [ $? = 1 ] || fail "unparsable source: exit status not 1"
    [ -e bad.ktt ] && fail "unparsable source: output written"
    grep -Fq "kitc: $top/src/app.c: clang cannot parse it" err.txt &&
        grep -q "fatal error: 'missing.h' file not found" err.txt ||
        { fail "unparsable source: no error naming the file and clang's message"; cat err.txt >&2; }
    (cd elsewhere && "$KITC" --allow-unparsed -p ../bad -o ../bad.ktt ../build/app.so) 2>err.txt ||
        fail "--allow-unparsed: kitc failed"
    grep -Fq "kitc: warning: $top/src/app.c: clang cannot parse it" err.txt ||
        { fail "--allow-unparsed: no warning"; cat err.txt >&2; }
    grep -q '^V cache ' bad.ktt || fail "--allow-unparsed: DWARF variables missing"
    # the object's source has no entry in the database
    printf '[{"directory": "%s", "arguments": ["%s", "-c", "other.c"], "file": "other.c"}]\n' \
        "$top/build" "$CC" >bad/compile_commands.json
    (cd elsewhere && "$KITC" -p ../bad -o ../bad.ktt ../build/app.so) 2>err.txt
    [ $? = 1 ] && grep -Fxq "kitc: $top/src/app.c: compile unit without an entry in ../bad/compile_commands.json, so its annotations would be lost; pass --allow-unparsed to go on without them" err.txt ||
        { fail "source without a database entry not reported"; cat err.txt >&2; }
}

# the database CMake writes for src/CMakeLists.txt, configured in build/
case_cmake() {
    cp -R "$SRC/buildtree" src && mkdir elsewhere || { fail "setup"; return; }
    type=Debug
    [ "$OPT" = O2 ] && type=RelWithDebInfo
    cmake -S src -B build -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=$type \
        -DKITSUNE_INCLUDE="$INC" >cmake.log 2>&1 && cmake --build build >>cmake.log 2>&1 ||
        { fail "cmake build"; cat cmake.log >&2; return; }
    (cd elsewhere && "$KITC" -p ../build -o ../app.ktt ../build/libapp.so) 2>err.txt ||
        { fail "kitc -p failed"; cat err.txt build/compile_commands.json >&2; return; }
    [ -s err.txt ] && { fail "unexpected diagnostics"; cat err.txt >&2; }
    "$KTTCHECK" app.ktt src/expected.txt || fail "rendering differs"
}

case_defines() {
    build v2.so -g -DVERSION=2 "$SRC/versioned.c"
    "$KITC" -DVERSION=2 -I -o v2.ktt v2.so || { fail "kitc -D failed"; return; }
    grep -q '^T [0-9]* ptr [0-9]* opaque$' v2.ktt || fail "-DVERSION=2 not used by the parser"
    "$KITC" -D VERSION=1 -o v1.ktt v2.so || { fail "kitc -D failed"; return; }
    grep -q '^T [0-9]* ptr [0-9]* opaque$' v1.ktt && fail "annotation of an inactive #if branch attached"
}

case_arrays() {
    build arrays.so -"$OPT" -g "$SRC/arrays.c"
    "$KITC" -o arrays.ktt arrays.so 2>err.txt || { fail "kitc failed"; cat err.txt >&2; return; }
    [ -s err.txt ] && { fail "unexpected diagnostics"; cat err.txt >&2; }
    "$KTTCHECK" arrays.ktt "$EXPECTED/arrays.txt" || fail "rendering differs"
}

case_opaque() {
    build opaque.so -"$OPT" -g "$SRC/opaque_main.c" "$SRC/opaque_hash.c" "$SRC/opaque_util.c" \
        "$SRC/opaque_lib/lib.c" "$SRC/opaque_lib/user.c"
    "$KITC" -o opaque.ktt opaque.so 2>err.txt || { fail "kitc failed"; cat err.txt >&2; return; }
    [ -s err.txt ] && { fail "unexpected diagnostics"; cat err.txt >&2; }
    "$KTTCHECK" opaque.ktt "$EXPECTED/opaque.txt" || fail "rendering differs"
    for tag in hash session; do
        [ "$(grep -c "^T [0-9]* struct [0-9]* $tag " opaque.ktt)" = 1 ] || fail "struct $tag not listed once"
    done
    # Two struct entry: each declaration means the one nearest to its users.
    for want in "main_cursor 8" "lib_cursor 16"; do
        set -- $want
        got=$(awk -v k="$1" '$1 == "T" { t[$2] = $0 } $1 == "V" && $2 == k { v = $3 }
            END { split(t[v], p, " "); split(t[p[4]], s, " "); print s[3] == "struct" ? s[4] : "?" }' opaque.ktt)
        [ "$got" = "$2" ] || fail "$1 points to a struct entry of $got bytes, want $2"
    done
    "$KITC" -o again.ktt opaque.so && cmp -s opaque.ktt again.ktt || fail "output not deterministic"
}

case_sizes() {
    build tent.so -"$OPT" -g -w "$SRC/tentative.c"
    "$KITC" -o tent.ktt tent.so 2>err.txt || { fail "kitc failed"; cat err.txt >&2; return; }
    printf '%s\n' "V tentative [1]int 4 @ tentative.c:4" \
        "V tentative.c/tentative_static [1]int 4 @ tentative.c:5" >want.txt
    "$KTTCHECK" tent.ktt want.txt || fail "tentative arrays not sized from the symbol table"
    # Without its symbol, gcc's int[] leaves no way to know the size (clang wrote int[1]).
    objcopy --strip-symbol=tentative_static tent.so nosym.so || { fail "objcopy"; return; }
    if [ "$CC" = gcc ]; then
        expect_error 1 "$SRC/tentative.c:5: kitc: variable 'tentative_static': cannot determine its size (an array of unknown length)" -o nosym.ktt nosym.so
        [ -e nosym.ktt ] && fail "output written for a variable of unknown size"
    else
        "$KITC" -o nosym.ktt nosym.so && "$KTTCHECK" nosym.ktt want.txt || fail "clang's int[1]"
    fi
    build flag.so -"$OPT" -g "$SRC/flag.c"
    "$KITC" -o flag.ktt flag.so 2>err.txt || { fail "kitc failed"; cat err.txt >&2; return; }
    # Listed either whole or, where clang -O2 shrank it to a flag, as its storage with
    # the hash of its encoding (the planner pairs it only with the same encoding).
    [ -s err.txt ] && { fail "unexpected diagnostics"; cat err.txt >&2; }
    grep -Eq '^V flag.c/initialised [0-9]+ 0x[0-9a-f]+ (4|1 encoded=[0-9a-f]{16}) @ flag.c:4$' flag.ktt ||
        { fail "encoded variable not listed"; grep '^V' flag.ktt >&2; }
    build flex.so -"$OPT" -g "$SRC/flex_init.c"
    expect_error 1 "$SRC/flex_init.c:12: kitc: variable 'flex_auto': the object is 12 bytes but its type only 4 (an initialised flexible array member?); the rest would not be migrated: mark it E_MANUAL_MIGRATE and migrate it by hand" flex.so
    build manual.so -"$OPT" -g -DONLY_MANUAL "$SRC/flex_init.c"
    "$KITC" -DONLY_MANUAL -o manual.ktt manual.so 2>err.txt || { fail "kitc refused a manual variable"; cat err.txt >&2; return; }
    echo "V flex_manual struct flex 16 manual @ flex_init.c:14" >want.txt
    "$KTTCHECK" manual.ktt want.txt || fail "manual variable not listed with its object's size"
}

# explain_says SO FIELD LINE: `kitc --explain FIELD SO` prints LINE.
explain_says() {
    "$KITC" --explain "$2" "$1" >explain.txt 2>/dev/null
    grep -Fxq "$3" explain.txt || { fail "--explain $2"; cat explain.txt >&2; }
}

case_infer() {
    build infer.so -"$OPT" -g "$SRC/infer.c"
    "$KITC" -o infer.ktt infer.so 2>err.txt || { fail "kitc failed"; cat err.txt >&2; return; }
    "$KTTCHECK" infer.ktt "$EXPECTED/infer.txt" || fail "rendering differs"
    printf '%s\n' "kitc: warning: ctx.mixed (infer.c:28): void * with 2 candidate types; the update tells its objects apart by allocation size if it can (else annotate it, e.g. E_OPAQUE, or write a rule):" \
        "  infer.c:44: assigned from struct conn *" "  infer.c:52: initialises struct other *" \
        "  their allocations cannot be told apart by size; a rule deciding by a tag of the ctx (its value for each type):" \
        "  SWITCH struct ctx.mixed ON self.TAG { 1: struct conn 2: struct other }" >want.txt
    cmp -s want.txt err.txt || { fail "conflict not reported with its evidence"; diff want.txt err.txt >&2; }
    "$KITC" --explain ctx.daq_vars infer.so >explain.txt 2>/dev/null || fail "--explain failed"
    printf '%s\n' "ctx.daq_vars (infer.c:25): void * inferred as StringVector *, from:" \
        "  infer.c:41: assigned from StringVector *" "  infer.c:53: initialises StringVector *" >want.txt
    cmp -s want.txt explain.txt || { fail "--explain ctx.daq_vars"; diff want.txt explain.txt >&2; }
    "$KITC" --explain 'struct ctx.payload' infer.so >explain.txt 2>/dev/null
    printf '%s\n' "ctx.payload (infer.c:27): void * inferred as struct blob *, from:" \
        "  infer.c:43: allocated with sizeof(struct blob)" >want.txt
    cmp -s want.txt explain.txt || { fail "--explain struct ctx.payload"; diff want.txt explain.txt >&2; }
    explain_says infer.so ctx.hidden "ctx.hidden (infer.c:29): annotated in the source; the annotation is used, not this evidence:"
    explain_says infer.so unknown "ctx.unknown (infer.c:30): void *, no evidence in the source of what it points to"
    "$KITC" --explain g_state -o again.ktt infer.so >explain.txt 2>/dev/null && cmp -s infer.ktt again.ktt ||
        fail "--explain with -o changed the summary"
}

case_inferflex() {
    build flex.so -"$OPT" -g "$SRC/infer_flex.c"
    "$KITC" -o flex.ktt flex.so 2>err.txt || { fail "kitc failed"; cat err.txt >&2; return; }
    [ -s err.txt ] && { fail "unexpected diagnostics"; cat err.txt >&2; }
    "$KITC" --explain rec.tail flex.so >explain.txt 2>/dev/null
    printf '%s\n' "rec.tail (infer_flex.c:12): flexible array of void *, inferred as char[] (bytes), from:" \
        "  infer_flex.c:37: address cast to char *" "  infer_flex.c:50: address cast to char *" \
        "  infer_flex.c:50: address cast to char *" >want.txt
    cmp -s want.txt explain.txt || { fail "--explain rec.tail"; diff want.txt explain.txt >&2; }
    grep -Eq '^T [0-9]+ array [0-9]+ - inferred=infer_flex.c:37,infer_flex.c:50$' flex.ktt ||
        { fail "rec.tail not written as an inferred array"; grep array flex.ktt >&2; }
    explain_says flex.so vec.slots "vec.slots (infer_flex.c:17): flexible array of void *, not only used as bytes; left as declared:"
    explain_says flex.so sized.items "sized.items (infer_flex.c:22): flexible array of void *, annotated in the source; the annotation is used"
    explain_says flex.so g_free "g_free (infer_flex.c:30): void * inferred as struct rec *, from:"
    # and g_free's length, from its malloc (case inferlen)
    grep -Eq '^V g_free [0-9]+ ' flex.ktt && [ "$(grep -c ' inferred=' flex.ktt)" = 3 ] &&
        grep -Eq '^T [0-9]+ ptr [0-9]+ ptrarray=2 inferred=infer_flex.c:43$' flex.ktt ||
        { fail "rec.tail, g_free's elements and its length only are inferred"; grep inferred flex.ktt >&2; }
    explain_says flex.so g_pages "g_pages (infer_flex.c:31): void *, no evidence in the source of what it points to"
}

case_inferlen() {
    build len.so -"$OPT" -g "$SRC/infer_len.c"
    "$KITC" -o len.ktt len.so 2>err.txt || { fail "kitc failed"; cat err.txt >&2; return; }
    [ -s err.txt ] && { fail "unexpected diagnostics"; cat err.txt >&2; }
    # exactly the three lengths the allocations agree on, and the annotation's own
    for want in 'ptrarray=self.nbuckets inferred=infer_len.c:34' \
                'ptrarray=self.cap inferred=infer_len.c:27,infer_len.c:36' \
                'ptrarray=4 inferred=infer_len.c:38' 'ptrarray=2'; do
        grep -Eq "^T [0-9]+ ptr [0-9]+ $want\$" len.ktt || fail "no entry with $want"
    done
    [ "$(grep -c ptrarray len.ktt)" = 4 ] || { fail "other lengths inferred"; grep ptrarray len.ktt >&2; }
    explain_says len.so table.buckets "table.buckets (infer_len.c:10): points to self.nbuckets elements (E_PTRARRAY(self.nbuckets) inferred), from:"
    explain_says len.so table.items "  infer_len.c:27: allocated with self.cap elements"
    explain_says len.so recs "recs (infer_len.c:16): points to 4 elements (E_PTRARRAY(4) inferred), from:"
    explain_says len.so mixed "mixed (infer_len.c:17): points to one element: the allocations give no one length (annotate it E_PTRARRAY(n) if it points to an array):"
    explain_says len.so mixed "  infer_len.c:41: allocated with 8 elements"
    explain_says len.so one "one (infer_len.c:18): points to one element, as allocated:"
    explain_says len.so local_n "  infer_len.c:44: allocated with a length that is neither a constant nor a field of the same object"
    explain_says len.so other_base "  infer_len.c:46: allocated with a length that is neither a constant nor a field of the same object"
    explain_says len.so annotated "annotated (infer_len.c:22): annotated in the source; the annotation is used, not these allocations:"
    explain_says len.so bytes "bytes (infer_len.c:21): points to one element: the allocations give no one length (annotate it E_PTRARRAY(n) if it points to an array):"
}

case_locals() {
    build locals.so -"$OPT" -g "$SRC/locals.c"
    "$KITC" -o locals.ktt locals.so 2>err.txt || { fail "kitc failed"; cat err.txt >&2; return; }
    [ -s err.txt ] && { fail "unexpected diagnostics"; cat err.txt >&2; }
    "$KTTCHECK" locals.ktt "$EXPECTED/locals.txt" || fail "rendering differs"
    # Every code range of a local lies inside its function.
    set -- $(awk '$1 == "X" && $2 == "serve" { print $3, $4 }' locals.ktt)
    lo=$(($1)) hi=$(($1 + $2))
    for r in $(grep '^V serve#' locals.ktt | tr ' ' '\n' | grep -E '^(frame|loc)=[0-9a-f]' |
               sed 's/^[a-z]*=//' | tr ',' '\n' | sed 's/:.*//'); do
        a=$((0x${r%-*})) b=$((0x${r#*-}))
        [ "$a" -ge "$lo" ] && [ "$b" -le "$hi" ] || fail "range $r outside serve"
    done
    build bad.so -g "$SRC/bad_notelocals.c"
    expect_error 1 "$SRC/bad_notelocals.c:3:13: kitc: E_NOTELOCALS goes on a function definition, after its parameter list" bad.so
}

case_infercb() {
    build infer_cb.so -"$OPT" -g "$SRC/infer_cb.c"
    "$KITC" -o infer_cb.ktt infer_cb.so 2>err.txt || { fail "kitc failed"; cat err.txt >&2; return; }
    grep -Fxq "kitc: warning: io.mixed (infer_cb.c:72): void * with 2 candidate types; the update tells its objects apart by allocation size if it can (else annotate it, e.g. E_OPAQUE, or write a rule):" err.txt ||
        { fail "io.mixed not reported"; cat err.txt >&2; }
    "$KTTCHECK" infer_cb.ktt "$EXPECTED/infer_cb.txt" || fail "rendering differs"
    "$KITC" --explain server.state infer_cb.so >explain.txt 2>/dev/null || fail "--explain failed"
    printf '%s\n' "server.state (infer_cb.c:20): void * inferred as struct conn *, from:" \
        "  infer_cb.c:51: passed with callback on_event (infer_cb.c:59: cast to struct conn *)" >want.txt
    cmp -s want.txt explain.txt || { fail "--explain server.state"; diff want.txt explain.txt >&2; }
    "$KITC" --explain g_job infer_cb.so >explain.txt 2>/dev/null
    printf '%s\n' "g_job (infer_cb.c:26): void * inferred as struct job *, from:" \
        "  infer_cb.c:53: passed with callback worker (infer_cb.c:36: initialises struct job *)" >want.txt
    cmp -s want.txt explain.txt || { fail "--explain g_job"; diff want.txt explain.txt >&2; }
    explain_says infer_cb.so io.buf "io.buf (infer_cb.c:71): void * inferred as char *, from:"
    explain_says infer_cb.so output.arg "output.arg (infer_cb.c:89): void * with 2 candidate types, left void * (annotate it or write a rule):"
    explain_says infer_cb.so output.arg "  infer_cb.c:96: assigned from the parameter of push (infer_cb.c:102: passed struct job *)"
}

"case_$case_name"
[ "$fails" = 0 ] && echo "PASS: $case_name $CC $OPT"
[ "$fails" = 0 ]
