#!/bin/sh
# Installs the Debian packages kitsune needs to build, test and benchmark.
# Idempotent: installs only what is missing, so every make target can call it.
set -eu
PKGS="build-essential cmake pkg-config clang libclang-dev libclang-rt-dev libdw-dev libelf-dev \
      libevent-dev redis-tools binutils hyperfine gnuplot-nox valgrind \
      man-db groff-base bsdextrautils curl autoconf automake \
      libpcap-dev libpcre2-dev tcpreplay iproute2 python3"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq $missing >/dev/null
