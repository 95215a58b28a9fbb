#!/bin/sh
# deps.sh - install the Debian/Ubuntu packages vmmlab needs, if missing.
#
#   scripts/deps.sh          what `make run` needs: compiler, nasm, Check,
#                            and QEMU too when /dev/kvm cannot be opened
#                            (the guests then run in the QEMU lab machine)
#   scripts/deps.sh --all    also what `make check` needs: QEMU, pandoc,
#                            Graphviz, the lab machine's tools, clang
#                            with libFuzzer and llvm-cov for the fuzz
#                            targets, and what the book's checks need
#   --best-effort            when the packages cannot be installed (not a
#                            Debian system, no root and no sudo, apt-get
#                            failing), list them and exit 3 rather than 1,
#                            so that the caller can go on with what the
#                            machine has (make run, make check)
#
# "a|b" takes the first of a and b that the package lists know (Debian
# 12 has chromium-headless-shell; elsewhere the full chromium does).
#
# As root it runs apt-get itself, otherwise through sudo; when neither is
# possible it prints the exact command to run and stops (exit status 1).
set -eu

base="gcc make libc6-dev binutils nasm check pkg-config python3"
# The book (make book, make -C book check): epubcheck checks the EPUB;
# fonts-wqy-microhei is the Chinese font whose subset the pages carry
# (1.5 MB to download, against 55 MB for fonts-noto-cjk), cut with
# hb-subset from libharfbuzz-bin; fonts-dejavu-core draws the figures;
# a Chromium without a desktop draws the pages for the render test.
book="epubcheck fonts-wqy-microhei fonts-dejavu-core libharfbuzz-bin chromium-headless-shell|chromium"
full="$base qemu-system-x86 pandoc graphviz cpio xz-utils clang libclang-rt-dev llvm $book"

all=0
best=0
for arg in "$@"; do
	case "$arg" in
	--all) all=1 ;;
	--best-effort) best=1 ;;
	*) echo "deps: unknown option $arg (--all, --best-effort)" >&2; exit 2 ;;
	esac
done

pkgs=$base
if [ "$all" = 1 ]; then
	pkgs=$full
elif [ "${RUNNER:-auto}" = qemu ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	pkgs="$base qemu-system-x86"
fi

# give_up LINE...: say why the packages cannot be installed; stop, or go
# on with what this machine has under --best-effort.
give_up() {
	for line in "$@"; do
		echo "$line" >&2
	done
	[ "$best" = 1 ] && exit 3
	exit 1
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	give_up "deps: not a Debian or Ubuntu system (no dpkg-query or apt-get): these packages could not be checked or installed; install them, or your system's equivalents, yourself:" \
		"  $pkgs"
fi

installed() {
	case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
	*" installed") return 0 ;;
	esac
	return 1
}

missing=""
for p in $pkgs; do
	have=""
	for a in $(echo "$p" | tr '|' ' '); do
		installed "$a" && have=1
	done
	[ -z "$have" ] && missing="$missing $p"
done
[ -z "$missing" ] && exit 0

# The first alternative the package lists know (they are fresh by now).
pick() {
	for a in $(echo "$1" | tr '|' ' '); do
		if apt-cache show "$a" >/dev/null 2>&1; then
			echo "$a"
			return
		fi
	done
	echo "${1%%|*}"
}

chosen() {
	list=""
	for p in $missing; do
		list="$list $(pick "$p")"
	done
	echo "$list"
}

if [ "$(id -u)" = 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -v; then
	sudo="sudo"
else
	missing=$(chosen)
	give_up "deps: cannot install as $(id -un); these packages are missing:$missing" \
		"deps: run this as root, then try again:" \
		"  apt-get update && apt-get install -y --no-install-recommends$missing"
fi
if ! $sudo apt-get update -qq; then
	give_up "deps: apt-get update failed; these packages are missing:$missing"
fi
missing=$(chosen)
echo "deps: installing:$missing"
# $cmd is split into words on purpose: it is a command line.
cmd="apt-get install -y --no-install-recommends$missing"
# shellcheck disable=SC2086
if ! $sudo env DEBIAN_FRONTEND=noninteractive $cmd; then
	give_up "deps: apt-get could not install:$missing"
fi
