#!/bin/bash
# run_tutorial.sh BUILD_DIR USER_GUIDE.md
#
# Runs docs/user-guide.md §9 ("From a plain server to a live update in 15 minutes") as
# written: each <!-- file: PATH --> block is written to PATH, each ```sh block is run,
# in order, and a command followed by `#=> TEXT` must print TEXT (a shell pattern).
# The only substitutions: `make install PREFIX=P` installs this build
# (cmake --install BUILD_DIR --prefix P), HOME is a temporary directory, port 7070 is
# a port of this test's own, and curl retries while the server starts.
set -u
build=$(cd "$1" && pwd)
doc=$2
slow=${KITSUNE_TEST_SLOW:-1}
tmp=$(mktemp -d)
trap 'while read -r p; do kill -9 "$p" 2>/dev/null; done <"$tmp/bgpids"; rm -rf "$tmp"' EXIT
: >"$tmp/bgpids"
port=$((20000 + $$ % 20000))

awk '/^## 9\. From a plain server/ { on = 1; next } on && /^## / { exit } on' "$doc" >"$tmp/section"
[ -s "$tmp/section" ] || { echo "FAILED: no section 9 in $doc"; exit 1; }

# The section as a script.
awk -v q="'" '
    /^<!-- file: .* -->$/ { file = $3; next }
    /^```/ && !inblock {
        inblock = 1
        kind = (file != "") ? "file" : ($0 == "```sh" ? "sh" : "skip")
        if (kind == "file")
            printf "mkdir -p \"$(dirname %s)\" && cat >%s <<%sTUTORIAL_EOF%s\n", file, file, q, q
        next
    }
    /^```$/ && inblock {
        if (kind == "file")
            print "TUTORIAL_EOF"
        inblock = 0; file = ""
        next
    }
    inblock && kind == "file" { print; next }
    inblock && kind == "sh" {
        line = $0
        if (match(line, /[ ]+#=> /)) {
            want = substr(line, RSTART + RLENGTH); cmd = substr(line, 1, RSTART - 1)
            gsub(q, q "\\" q q, cmd); gsub(q, q "\\" q q, want)
            printf "expect_output %s%s%s %s%s%s\n", q, want, q, q, cmd, q
        } else {
            print line
            if (line ~ /&[ ]*$/)
                print "echo $! >>\"$TUTORIAL_TMP/bgpids\""
        }
    }
' "$tmp/section" | sed "s/7070/$port/g" >"$tmp/body.sh"

cat >"$tmp/tutorial.sh" <<EOF
set -e
export HOME=$tmp/home TUTORIAL_TMP=$tmp KITSUNE_DIR=$tmp/run KITSUNE_QUIET=1
mkdir -p "\$HOME" && mkdir -m 700 "\$KITSUNE_DIR" && cd "\$HOME"
make() {
    if [ "\$1" = install ] && [ "\${2%%=*}" = PREFIX ]; then
        cmake --install "$build" --prefix "\${2#PREFIX=}" >/dev/null
    else
        command make "\$@"
    fi
}
curl() {
    local i
    for i in \$(seq 1 $((100 * slow))); do
        command curl --max-time 5 "\$@" && return 0
        sleep 0.05
    done
    return 1
}
expect_output() {
    local out
    out=\$(eval "\$2")
    if [[ \$out != \$1 ]]; then
        echo "FAILED: \$2"
        echo "  printed:  \$out"
        echo "  expected: \$1"
        exit 1
    fi
    echo "ok: \$2  =>  \$out"
}
EOF
cat "$tmp/body.sh" >>"$tmp/tutorial.sh"
bash "$tmp/tutorial.sh" 2>&1
rc=$?
[ $rc = 0 ] || { echo "FAILED: the tutorial stopped (exit $rc); the script was:"; cat -n "$tmp/tutorial.sh"; exit 1; }
echo "tutorial: every command ran as documented"
