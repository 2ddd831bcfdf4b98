#!/bin/sh
# expect_build_failure.sh BUILD-DIR TARGET PATTERN
#
# Builds TARGET (excluded from `all`) and passes only if the build fails with a message
# matching PATTERN: a mistake in a version's rules must stop the build, not the update.
set -u
out=$(cmake --build "$1" --target "$2" 2>&1)
status=$?
if [ "$status" = 0 ]; then
    echo "FAILED: $2 built, but its build should fail with '$3'"
    exit 1
fi
if ! printf '%s\n' "$out" | grep -q -- "$3"; then
    echo "FAILED: the build of $2 failed without '$3':"
    printf '%s\n' "$out" | tail -20
    exit 1
fi
echo "build of $2 failed as it should: $(printf '%s\n' "$out" | grep -m1 -- "$3")"
