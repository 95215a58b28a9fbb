#!/bin/sh
# irq.sh - what one timer interrupt costs, with the interrupt controllers
# in our VMM, split, and in KVM, and the same under QEMU (lab 03's
# "measure it"; book §3.2.8, §3.5).
#
# The guest bench-irq takes BENCH_IRQ_N local APIC timer interrupts one
# at a time and prints how late each handler started after its timer
# expired (the median, in TSC cycles: guests/bench-irq/bench-irq.c);
# bench-irq-0 is the same set-up with none. Six VMMs run them, one after
# the other in each of RUNS rounds (default 3): ours with --irqchip=user,
# split and kernel, and QEMU with -machine kernel-irqchip=off, split and
# on. KVM counts its exits (debugfs, /sys/kernel/debug/kvm: this needs
# root, as in the lab machine); per interrupt, for a run of each guest:
#
#   VM exits            (exits(bench-irq) - exits(bench-irq-0)) / N
#   exits to user space the same for the exits KVM leaves to the VMM:
#                       io_exits + mmio_exits + request_irq_exits (the
#                       window) + signal_exits (kicks), and halt_exits
#                       when HLT goes to the VMM (user, off)
#
# Without a usable /dev/kvm it all runs inside the QEMU lab machine, on
# its nested KVM (machine.sh), so that our VMM and QEMU meet the same KVM.
set -eu

lab=$(cd "$(dirname "$0")/.." && pwd)
top=$(cd "$lab/../.." && pwd)
out=$top/guests/out
vmm=$lab/build/vmm
n=$(sed -n 's/^#define BENCH_IRQ_N \([0-9][0-9]*\).*/\1/p' "$top/guests/bench-irq/bench.h")

for f in "$out/bench-irq.elf" "$out/bench-irq-0.elf" "$vmm"; do
	[ -e "$f" ] || { echo "bench: $f is missing; run make first" >&2; exit 2; }
done
[ -n "$n" ] || { echo "bench: cannot read BENCH_IRQ_N from guests/bench-irq/bench.h" >&2; exit 2; }

. "$lab/bench/machine.sh"
if want_lab_machine; then
	in_lab_machine "$lab/bench/irq.sh" 4 "${lab#"$top"/}/build/vmm" \
		guests/out/bench-irq.elf guests/out/bench-irq-0.elf \
		guests/bench-irq/bench.h
fi
runs=${RUNS:-3}

# KVM's counters, summed over every VM and vCPU (one VM runs at a time).
kvm=/sys/kernel/debug/kvm
if ! [ -r "$kvm/exits" ] && [ "$(id -u)" = 0 ]; then
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true
fi
have_stats=0
[ -r "$kvm/exits" ] && have_stats=1

counters() {
	if [ "$have_stats" = 0 ]; then
		echo "0 0 0 0 0 0"
		return
	fi
	for c in exits io_exits mmio_exits request_irq_exits signal_exits halt_exits; do
		cat "$kvm/$c" 2>/dev/null || echo 0
	done | tr '\n' ' '
	echo
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run HALT_TO_VMM CMD...: one run of the command (its guest last);
# prints "latency exits user_exits", or fails unless the guest exited
# with status 1.
run() {
	halt=$1
	shift
	set -- "$@"
	before=$(counters)
	st=0
	"$@" >"$tmp/out" 2>/dev/null </dev/null || st=$?
	after=$(counters)
	[ "$st" = 1 ] || return 1
	lat=$(sed -n 's/.*median \([0-9]*\),.*/\1/p' "$tmp/out")
	echo "$before $after" | awk -v lat="${lat:-0}" -v halt="$halt" '{
		e = $7 - $1
		u = ($8 - $2) + ($9 - $3) + ($10 - $4) + ($11 - $5)
		if (halt) u += $12 - $6
		print lat, e, u }'
}

# round NAME HALT_TO_VMM CMD...: one round of bench-irq and bench-irq-0,
# appended to $tmp/NAME as "latency exits/irq user-exits/irq".
round() {
	name=$1
	halt=$2
	shift 2
	a=$(run "$halt" "$@" "$out/bench-irq.elf") || return 1
	b=$(run "$halt" "$@" "$out/bench-irq-0.elf") || return 1
	echo "$a $b" | awk -v n="$n" '{
		printf "%d %.2f %.2f\n", $1, ($2 - $5) / n, ($3 - $6) / n }' >>"$tmp/$name"
}

qemu_cmd="qemu-system-x86_64 -accel kvm -m 64 -display none -nodefaults \
-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -debugcon stdio"
have_qemu=0
command -v qemu-system-x86_64 >/dev/null 2>&1 && have_qemu=1

echo "cost of one timer interrupt: $n local APIC timer interrupts of bench-irq, less bench-irq-0; median of $runs rounds"
echo "KVM: $kind"
echo "CPU: $cpu"
[ "$have_stats" = 1 ] || echo "(KVM's counters are not readable here: no exit counts; root and debugfs give them)"
echo

i=0
while [ "$i" -lt "$runs" ]; do
	for mode in user split kernel; do
		halt=0
		[ "$mode" = user ] && halt=1
		round "vmm-$mode" "$halt" "$vmm" --irqchip=$mode ||
			{ echo "bench: the VMM did not run (--irqchip=$mode)" >&2; exit 1; }
	done
	if [ "$have_qemu" = 1 ]; then
		for mode in off split on; do
			halt=0
			[ "$mode" = off ] && halt=1
			# shellcheck disable=SC2086
			round "qemu-$mode" "$halt" $qemu_cmd -machine kernel-irqchip=$mode \
				-kernel || { have_qemu=0; break; }
		done
	fi
	i=$((i + 1))
done

# The median of each column of a file of rounds.
median() {
	for col in 1 2 3; do
		cut -d' ' -f"$col" "$1" | sort -n |
			awk '{ a[NR] = $1 } END { printf "%s ", a[int((NR + 1) / 2)] }'
	done
	echo
}

# row LABEL NAME QEMU_NAME: the medians, and the latency against QEMU's
# in the same mode.
row() {
	set -- "$1" "$(median "$tmp/$2")" "$3"
	q=0
	[ -s "$tmp/$3" ] && q=$(median "$tmp/$3" | cut -d' ' -f1)
	echo "$2" | awk -v name="$1" -v q="$q" -v stats="$have_stats" '{
		if (stats)
			printf "%-30s %12.2f %10.2f %12d", name, $3, $2, $1
		else
			printf "%-30s %12s %10s %12d", name, "-", "-", $1
		if (q > 0)
			printf " %10.2f\n", $1 / q
		else
			printf " %10s\n", "-" }'
}

printf '%-30s %12s %10s %12s %10s\n' "VMM, mode" "to user/irq" "exits/irq" \
	"latency" "vs QEMU"
row "ours, --irqchip=user" vmm-user qemu-off
row "ours, --irqchip=split" vmm-split qemu-split
row "ours, --irqchip=kernel" vmm-kernel qemu-on
if [ "$have_qemu" = 1 ] && [ -s "$tmp/qemu-on" ]; then
	row "qemu, kernel-irqchip=off" qemu-off qemu-off
	row "qemu, kernel-irqchip=split" qemu-split qemu-split
	row "qemu, kernel-irqchip=on" qemu-on qemu-on
else
	echo "qemu-system-x86_64 -accel kvm: did not run"
fi
echo
echo "to user/irq: exits to user space per interrupt; exits/irq: all VM exits per"
echo "interrupt; latency: the median delay, timer expiry to handler, TSC cycles."
