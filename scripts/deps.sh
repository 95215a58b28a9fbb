#!/bin/sh
# deps.sh - install the Debian/Ubuntu packages vmmlab needs, if missing.
#
#   scripts/deps.sh          what `make run` needs: compiler, nasm, Check
#   scripts/deps.sh --all    also what `make check` needs: QEMU, pandoc,
#                            Graphviz, the lab machine's tools, clang
#                            with libFuzzer and llvm-cov for the fuzz
#                            targets, and what the book's checks need
#
# "a|b" takes the first of a and b that the package lists know (Debian
# 12 has chromium-headless-shell; elsewhere the full chromium does).
#
# As root it runs apt-get itself, otherwise through sudo; when neither is
# possible it prints the exact command to run and stops.
set -eu

base="gcc make libc6-dev binutils nasm check pkg-config python3"
# The book (make book, make -C book check): epubcheck checks the EPUB;
# fonts-wqy-microhei is the Chinese font whose subset the pages carry
# (1.5 MB to download, against 55 MB for fonts-noto-cjk), cut with
# hb-subset from libharfbuzz-bin; fonts-dejavu-core draws the figures;
# a Chromium without a desktop draws the pages for the render test.
book="epubcheck fonts-wqy-microhei fonts-dejavu-core libharfbuzz-bin chromium-headless-shell|chromium"
full="$base qemu-system-x86 pandoc graphviz cpio xz-utils clang libclang-rt-dev llvm $book"

pkgs=$base
[ "${1:-}" = "--all" ] && pkgs=$full

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian or Ubuntu system; install these packages yourself: $pkgs" >&2
	exit 1
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

# $cmd is split into words on purpose: it is a command line.
if [ "$(id -u)" = 0 ]; then
	apt-get update -qq
	missing=$(chosen)
	echo "deps: installing:$missing"
	cmd="apt-get install -y --no-install-recommends$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $cmd
elif command -v sudo >/dev/null 2>&1 && sudo -v; then
	sudo apt-get update -qq
	missing=$(chosen)
	echo "deps: installing:$missing"
	cmd="apt-get install -y --no-install-recommends$missing"
	# shellcheck disable=SC2086
	sudo DEBIAN_FRONTEND=noninteractive $cmd
else
	missing=$(chosen)
	cmd="apt-get install -y --no-install-recommends$missing"
	echo "deps: cannot install as $(id -un): run this as root, then try again:" >&2
	echo "  apt-get update && $cmd" >&2
	exit 1
fi
