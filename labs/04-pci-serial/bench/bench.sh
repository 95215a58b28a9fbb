#!/bin/sh
# bench.sh - nanoseconds per port-I/O exit round trip (`make bench`).
#
# The guest bench-io makes N OUTs to port 0x80 and exits; bench-io-0 is
# the same guest with N = 0. The difference of their run times, divided
# by N, is the cost of one exit with start-up and teardown cancelled out.
# Three VMMs run the same guests: the floor (bench/floor.c, a bare
# KVM_RUN loop), this lab's VMM, and QEMU with -accel kvm when it is
# installed and runs, in RUNS rounds (default 9; 3 in the lab machine,
# where an exit costs several times more). Without a usable /dev/kvm all
# three run inside the QEMU lab machine, on the same nested KVM
# (machine.sh).
set -eu

lab=$(cd "$(dirname "$0")/.." && pwd)
top=$(cd "$lab/../.." && pwd)
out=$top/guests/out
n=$(sed -n 's/^#define BENCH_IO_N \([0-9][0-9]*\).*/\1/p' "$top/guests/bench-io/bench.h")
case $(basename "$lab") in
[0-9][0-9]-*) stage="lab $(basename "$lab" | cut -c1-2)" ;;
*) stage=$(basename "$lab") ;;
esac

for f in "$out/bench-io.elf" "$out/bench-io-0.elf" "$lab/build/vmm" "$lab/build/floor"; do
	[ -e "$f" ] || { echo "bench: $f is missing; run make first" >&2; exit 2; }
done
[ -n "$n" ] || { echo "bench: cannot read BENCH_IO_N from guests/bench-io/bench.h" >&2; exit 2; }

. "$lab/bench/machine.sh"
if want_lab_machine; then
	in_lab_machine "$lab/bench/bench.sh" 3 "${lab#"$top"/}/build/vmm" \
		"${lab#"$top"/}/build/floor" guests/out/bench-io.elf \
		guests/out/bench-io-0.elf guests/bench-io/bench.h
fi
if [ -n "${VMMLAB_KVM:-}" ]; then
	runs=${RUNS:-3}
else
	runs=${RUNS:-9}
fi

# The time in ns. Busybox's date (in the lab machine) has no %N: there the
# uptime's 10 ms steps do, which is far finer than a run of bench-io.
now() {
	t=$(date +%s%N)
	case $t in
	*N) awk '{ printf "%.0f\n", $1 * 1000000000 }' /proc/uptime ;;
	*) echo "$t" ;;
	esac
}

# One run's wall time in ns; fails unless the guest exited with status 1.
one() {
	t0=$(now)
	st=0
	"$@" >/dev/null 2>&1 </dev/null || st=$?
	t1=$(now)
	[ "$st" = 1 ] || return 1
	echo $((t1 - t0))
}

# The VMMs take turns, one run of each guest per round, so that a machine
# that drifts (a software KVM does, by several per cent over a minute)
# drifts under all of them alike. One round's figure is
# (T(bench-io) - T(bench-io-0)) / N; the table shows the median round,
# and the lowest and highest.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# round NAME CMD...: one round of the command line (the guest is its
# last word), appended to $tmp/NAME; fails if the guest did not run.
round() {
	name=$1
	shift
	a=$(one "$@" "$out/bench-io.elf") || return 1
	b=$(one "$@" "$out/bench-io-0.elf") || return 1
	echo $(((a - b) / n)) >>"$tmp/$name"
}

qemu_cmd="qemu-system-x86_64 -accel kvm -m 32 -display none -nodefaults \
-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel"
have_qemu=0
command -v qemu-system-x86_64 >/dev/null 2>&1 && have_qemu=1

echo "ns per port-I/O exit round trip: $n OUTs to port 0x80, $runs rounds"
echo "KVM: $kind"
echo "CPU: $cpu"
echo

i=0
while [ "$i" -lt "$runs" ]; do
	round floor "$lab/build/floor" ||
		{ echo "bench: the floor did not run" >&2; exit 1; }
	round vmm "$lab/build/vmm" ||
		{ echo "bench: the VMM did not run" >&2; exit 1; }
	if [ "$have_qemu" = 1 ]; then
		# shellcheck disable=SC2086
		round qemu $qemu_cmd || { have_qemu=0; rm -f "$tmp/qemu"; }
	fi
	i=$((i + 1))
done

# median, lowest and highest of a file of numbers
stats() {
	sort -n "$1" | awk '{ a[NR] = $1 }
		END { print a[int((NR + 1) / 2)], a[1], a[NR] }'
}

set -- $(stats "$tmp/floor")
floor=$1
# row LABEL NAME: the median, its ratio to the floor's, and the range.
row() {
	stats "$tmp/$2" | awk -v name="$1" -v floor="$floor" \
		'{ printf "%-34s %10d %10.2f %8d-%d\n", name, $1, $1 / floor, $2, $3 }'
}
printf '%-34s %10s %10s %14s\n' "VMM" "ns/exit" "vs floor" "lowest-highest"
row "floor (bench/floor.c)" floor
row "vmm ($stage)" vmm
if [ "$have_qemu" = 1 ]; then
	row "qemu-system-x86_64 -accel kvm" qemu
else
	printf '%-34s %10s\n' "qemu-system-x86_64 -accel kvm" "did not run"
fi
