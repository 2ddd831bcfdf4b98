#!/bin/bash
# run_man.sh MAN_DIR
#
# Every man page renders with `man -l` without a single troff warning (all warnings
# on), and the pages the manual promises exist.  A page with an undefined macro is
# rendered first, to show that a warning would be caught.
set -u
dir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
die() { echo "FAILED: $*"; exit 1; }

render() {
    MANWIDTH=80 man -l -Tutf8 --warnings=w "$1" 2>"$tmp/err" | col -bx >"$tmp/out"
    [ "${PIPESTATUS[0]}" = 0 ]
}

printf '.TH BAD 1\n.SH NAME\nbad \\- a page with an undefined macro\n.XX oops\n' >"$tmp/bad.1"
render "$tmp/bad.1"
grep -q warning "$tmp/err" || die "man -l does not report troff warnings here"

for page in kitsune.1 kitc.1 xfgen.1 kitsune-cc.1 kitsune.3 kitsune-xf.5; do
    [ -f "$dir/$page" ] || die "missing man page $page"
done
for f in "$dir"/*.[0-9]; do
    render "$f" || die "$f: man -l failed: $(cat "$tmp/err")"
    [ -s "$tmp/err" ] && die "$f: $(cat "$tmp/err")"
    name=$(basename "$f" | sed 's/\.[0-9]$//')
    grep -qi "^$name" "$tmp/out" || die "$f: no header for $name"
    grep -q '^NAME' "$tmp/out" && grep -q '^SEE ALSO' "$tmp/out" || die "$f: NAME or SEE ALSO missing"
    echo "$(basename "$f"): renders without warnings"
done
echo "man: passed"
