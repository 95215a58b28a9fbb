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
# on. KVM's own tracepoints count the exits (tracefs: this needs root, as
# in the lab machine), only those of this script's children: kvm_exit
# for every VM exit, kvm_userspace_exit for every return from KVM_RUN to
# the VMM, whatever its reason (I/O, MMIO, the interrupt window, HLT, a
# kick), between the guest's write of ':' to the debug console and its
# next write there, which bracket its interrupts (the set-up before, the
# PIT polled to measure the TSC, exits as often as the host's load
# makes it). Per interrupt, for a run of each guest:
#
#   VM exits            (kvm_exit(bench-irq) - kvm_exit(bench-irq-0)) / N
#   exits to user space the same with kvm_userspace_exit
#
# (KVM's debugfs counters cannot do it: their sums cover the VMs alive
# when they are read, and the VMM's VM is gone once it has ended.)
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

# KVM's tracepoints, for this shell and what it starts (event-fork).
tr=/sys/kernel/tracing
if ! [ -e "$tr/trace" ] && [ "$(id -u)" = 0 ]; then
	mount -t tracefs nodev "$tr" 2>/dev/null || true
fi
have_stats=0
if [ -w "$tr/events/kvm/kvm_exit/enable" ] &&
	[ -w "$tr/events/kvm/kvm_userspace_exit/enable" ] &&
	[ -w "$tr/events/kvm/kvm_pio/enable" ]; then
	have_stats=1
fi

trace_off() {
	[ "$have_stats" = 1 ] || return 0
	echo 0 >"$tr/tracing_on"
	echo 0 >"$tr/events/kvm/kvm_exit/enable"
	echo 0 >"$tr/events/kvm/kvm_userspace_exit/enable"
	echo 0 >"$tr/events/kvm/kvm_pio/enable"
	echo >"$tr/set_event_pid"
	echo >"$tr/trace"
}

tmp=$(mktemp -d)
trap 'trace_off; rm -rf "$tmp"' EXIT

if [ "$have_stats" = 1 ]; then
	echo 0 >"$tr/tracing_on"
	echo 16384 >"$tr/buffer_size_kb"
	echo 1 >"$tr/options/event-fork"
	echo $$ >"$tr/set_event_pid"
	echo 1 >"$tr/events/kvm/kvm_exit/enable"
	echo 1 >"$tr/events/kvm/kvm_userspace_exit/enable"
	echo 1 >"$tr/events/kvm/kvm_pio/enable"
fi

# counted CMD...: runs the command (its stdout to $tmp/out) with the two
# tracepoints on; prints "exits user_exits" (0 0 without tracefs), then
# its status on a line of its own. Lost events fail it: the buffer
# overflowed.
counted() {
	st=0
	if [ "$have_stats" = 0 ]; then
		"$@" >"$tmp/out" 2>/dev/null </dev/null || st=$?
		echo "0 0"
		echo "$st"
		return
	fi
	echo >"$tr/trace"
	echo 1 >"$tr/tracing_on"
	"$@" >"$tmp/out" 2>/dev/null </dev/null || st=$?
	echo 0 >"$tr/tracing_on"
	awk '/^# entries-in-buffer/ {
			for (i = 1; i <= NF; i++)
				if ($i ~ /^[0-9]+\/[0-9]+$/ && split($i, a, "/") == 2 && a[1] != a[2])
					lost = 1 }
		/ kvm_pio: pio_write at 0xe9 / {
			if (on) { on = 0; done = 1 }
			else if (!done && $0 ~ /val 0x3a( |$)/) on = 1 }
		on && / kvm_exit: / { e++ }
		on && / kvm_userspace_exit: / { u++ }
		END { if (lost) { print "bench: the trace buffer overflowed" > "/dev/stderr"; exit 1 }
			printf "%d %d\n", e, u }' "$tr/trace" || st=255
	echo "$st"
}

# run CMD...: one run of the command (its guest last); prints "latency
# exits user_exits", or fails unless the guest exited with status 1.
run() {
	counted "$@" >"$tmp/counts"
	st=$(sed -n 2p "$tmp/counts")
	[ "$st" = 1 ] || return 1
	lat=$(sed -n 's/.*median *\([0-9]*\),.*/\1/p' "$tmp/out")
	sed -n 1p "$tmp/counts" | awk -v lat="${lat:-0}" '{ print lat, $1, $2 }'
}

# round NAME CMD...: one round of bench-irq and bench-irq-0,
# appended to $tmp/NAME as "latency exits/irq user-exits/irq".
round() {
	name=$1
	shift
	a=$(run "$@" "$out/bench-irq.elf") || return 1
	b=$(run "$@" "$out/bench-irq-0.elf") || return 1
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
[ "$have_stats" = 1 ] || echo "(KVM's tracepoints are not writable here: no exit counts; root and tracefs give them)"
echo

i=0
while [ "$i" -lt "$runs" ]; do
	for mode in user split kernel; do
		round "vmm-$mode" "$vmm" --irqchip=$mode ||
			{ echo "bench: the VMM did not run (--irqchip=$mode)" >&2; exit 1; }
	done
	if [ "$have_qemu" = 1 ]; then
		for mode in off split on; do
			# shellcheck disable=SC2086
			round "qemu-$mode" $qemu_cmd -machine kernel-irqchip=$mode \
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
