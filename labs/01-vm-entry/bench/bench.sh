#!/bin/sh
# bench.sh - nanoseconds per port-I/O exit round trip (`make bench`).
#
# The guest bench-io makes N OUTs to port 0x80 and exits; bench-io-0 is
# the same guest with N = 0. The difference of their run times, divided
# by N, is the cost of one exit with start-up and teardown cancelled out.
# Each is run RUNS times (default 5) and the median taken. Three VMMs run
# the same guest: the floor (bench/floor.c, a bare KVM_RUN loop), this
# lab's VMM, and QEMU with -accel kvm when it is installed and runs.
set -eu

lab=$(cd "$(dirname "$0")/.." && pwd)
top=$(cd "$lab/../.." && pwd)
out=$top/guests/out
runs=${RUNS:-5}
n=$(sed -n 's/^#define BENCH_IO_N \([0-9][0-9]*\).*/\1/p' "$top/guests/bench-io/bench.h")

for f in "$out/bench-io.elf" "$out/bench-io-0.elf" "$lab/build/vmm" "$lab/build/floor"; do
	[ -e "$f" ] || { echo "bench: $f is missing; run make first" >&2; exit 2; }
done
[ -n "$n" ] || { echo "bench: cannot read BENCH_IO_N from guests/bench-io/bench.h" >&2; exit 2; }

. "$lab/bench/machine.sh"

# One run's wall time in ns; fails unless the guest exited with status 1.
one() {
	t0=$(date +%s%N)
	st=0
	"$@" >/dev/null 2>&1 </dev/null || st=$?
	t1=$(date +%s%N)
	[ "$st" = 1 ] || return 1
	echo $((t1 - t0))
}

median() {
	sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# ns per exit for a command line that takes the guest as its last word.
per_exit() {
	full=""
	empty=""
	i=0
	while [ "$i" -lt "$runs" ]; do
		t=$(one "$@" "$out/bench-io.elf") || return 1
		full="$full $t"
		t=$(one "$@" "$out/bench-io-0.elf") || return 1
		empty="$empty $t"
		i=$((i + 1))
	done
	a=$(echo "$full" | tr ' ' '\n' | grep . | median)
	b=$(echo "$empty" | tr ' ' '\n' | grep . | median)
	echo $(((a - b) / n))
}

echo "ns per port-I/O exit round trip: $n OUTs to port 0x80, median of $runs runs"
echo "KVM: $kind"
echo "CPU: $cpu"
echo

floor=$(per_exit "$lab/build/floor") || { echo "bench: the floor did not run" >&2; exit 1; }
vmm=$(per_exit "$lab/build/vmm") || { echo "bench: the VMM did not run" >&2; exit 1; }
qemu=""
if command -v qemu-system-x86_64 >/dev/null 2>&1; then
	qemu=$(per_exit qemu-system-x86_64 -accel kvm -m 32 -display none \
		-nodefaults -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel) || qemu=""
fi

row() {
	awk -v name="$1" -v ns="$2" -v floor="$floor" \
		'BEGIN { printf "%-34s %10d %10.2f\n", name, ns, ns / floor }'
}
printf '%-34s %10s %10s\n' "VMM" "ns/exit" "vs floor"
row "floor (bench/floor.c)" "$floor"
row "vmm (lab 01)" "$vmm"
if [ -n "$qemu" ]; then
	row "qemu-system-x86_64 -accel kvm" "$qemu"
else
	printf '%-34s %10s\n' "qemu-system-x86_64 -accel kvm" "did not run"
fi
