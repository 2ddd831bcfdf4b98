#!/bin/bash
# dsu_counts.sh - counts, for each kvstore release, what dynamic updating cost in the
# source: the lines that exist only for kitsune, the annotations, and the rules.
# Prints the Markdown tables of README.md ("What updating cost").
#
# A line counts as DSU-specific when it calls the kitsune API (update points,
# kitsune_do_automigrate, kitsune_is_updating[_from], kitsune_pthread_create,
# kitsune_epoll_add, kitsune_wakeup_fd), carries an annotation (E_*) or includes
# kitsune.h.
set -eu
cd "$(dirname "$0")"
annot='\bE_(OPAQUE|PTRARRAY|ARRAY|SZ|PTR|MANUAL_MIGRATE|AUTO_MIGRATE|GENERIC|T|G)\b'

# The release's sources without comments.
code() { cat "$1"/*.c "$1"/*.h | perl -0pe 's{/\*.*?\*/}{}gs; s{//[^\n]*}{}g'; }

dsu_lines() { # DIR
    code "$1" | perl -ne '
        $n++ if /kitsune_(update|do_automigrate|is_updating|is_updating_from|pthread_create|epoll_add|wakeup_fd)\(/
             || /\bE_[A-Z_]+\b/ || /#include "kitsune.h"/;
        END { print $n + 0, "\n" }'
}
count() { code "$1" | grep -Ec "$2" || true; }

echo "| release | lines (.c, .h) | changed since previous (+/-) | DSU-specific lines | update points | kitsune_is_updating(_from) | annotations |"
echo "|---|---|---|---|---|---|---|"
prev=""
for v in 1 2 3 4; do
    d=v$v
    total=$(cat $d/*.c $d/*.h | wc -l)
    if [ -n "$prev" ]; then
        changed="+$(diff -r "$prev" "$d" -x '*.xf' | grep -c '^>' || true)/-$(diff -r "$prev" "$d" -x '*.xf' | grep -c '^<' || true)"
    else
        changed="(first)"
    fi
    ups=$(count $d 'kitsune_update\("')
    guards=$(code $d | grep -Eo 'kitsune_is_updating(_from)?\(' | wc -l)
    ann=$(code $d | grep -Eo "$annot" | wc -l)
    kinds=$(code $d | grep -Eo "$annot" | sort | uniq -c | awk '{ printf "%s%d %s", s, $1, $2; s = ", " }')
    echo "| ${v} | $total | $changed | $(dsu_lines $d) | $ups | $guards | $ann ($kinds) |"
    prev=$d
done
echo
echo "| update | kvstore.xf lines | without comments and blank lines | rules (labels) |"
echo "|---|---|---|---|"
for v in 2 3 4; do
    f=v$v/kvstore.xf
    body=$(perl -0pe 's{/\*.*?\*/}{}gs; s{//[^\n]*}{}g' "$f" | grep -c '[^[:space:]]')
    labels=$(perl -0pe 's{//[^\n]*}{}g; 1 while s/\{[^{}]*\}//gs' "$f" | grep -Eo '(^|,)[[:space:]]*(INIT[[:space:]]|[^,:]*->)' | wc -l)
    echo "| $((v - 1)) -> $v | $(wc -l <"$f") | $body | $labels |"
done
