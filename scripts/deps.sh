#!/bin/sh
# deps.sh - install the Debian/Ubuntu packages vmmlab needs, if missing.
#
#   scripts/deps.sh          what `make run` needs: compiler, nasm, Check
#   scripts/deps.sh --all    also what `make check` needs: QEMU, pandoc,
#                            Graphviz, the lab machine's tools, and clang
#                            with libFuzzer and llvm-cov for the fuzz targets
#
# As root it runs apt-get itself, otherwise through sudo; when neither is
# possible it prints the exact command to run and stops.
set -eu

base="gcc make libc6-dev binutils nasm check pkg-config python3"
full="$base qemu-system-x86 pandoc graphviz cpio xz-utils clang libclang-rt-dev llvm"

pkgs=$base
[ "${1:-}" = "--all" ] && pkgs=$full

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian or Ubuntu system; install these packages yourself: $pkgs" >&2
	exit 1
fi

missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
# $cmd is split into words on purpose: it is a command line.
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ]; then
	apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $cmd
elif command -v sudo >/dev/null 2>&1 && sudo -v; then
	sudo apt-get update -qq
	# shellcheck disable=SC2086
	sudo DEBIAN_FRONTEND=noninteractive $cmd
else
	echo "deps: cannot install as $(id -un): run this as root, then try again:" >&2
	echo "  apt-get update && $cmd" >&2
	exit 1
fi
