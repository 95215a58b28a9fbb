#!/bin/sh
# shadow.sh - shadow paging against the hardware's paging (lab 02's
# "measure it"; book §2.3-2.5).
#
# The workload is guests/shadow built with -DSHADOW_BENCH: 32 address
# spaces of 64 pages each, every page read then written (first touches),
# all of them read back twice (cached shadows), then every page remapped
# and read again (a re-sync). bench-shadow.elf asks for paravirtual
# shadow paging (our VMM's shadow tables, every page fault a hypercall);
# bench-shadow-native.elf is the same code on the hardware's paging (it
# loads its own tables into CR3). Each runs RUNS times (default 3) and the
# median is taken; the time is the VMM's run loop (--stats: in KVM_RUN
# plus in the VMM), so start-up is not counted.
#
# Then the same two guests run inside the QEMU lab machine, on its nested
# KVM with nested paging on and off (kvm_amd npt=1/0 or kvm_intel ept=1/0),
# when it is built (make labvm); LABVM=0 skips that. Without a usable
# /dev/kvm here (or with RUNNER=qemu) only the lab machine runs them, and
# it is built first if need be.
set -eu

lab=$(cd "$(dirname "$0")/.." && pwd)
top=$(cd "$lab/../.." && pwd)
out=$top/guests/out
vmm=$lab/build/vmm
runs=${RUNS:-3}
pv=$out/bench-shadow.elf
native=$out/bench-shadow-native.elf

for f in "$pv" "$native" "$vmm"; do
	[ -e "$f" ] || { echo "bench: $f is missing; run make first" >&2; exit 2; }
done

. "$lab/bench/machine.sh"

# Runs are printed as "== NAME" and the VMM's --stats after it. Reduce
# each to "NAME ms exits faults flushes" (faults 0 and flushes - when the
# VMM printed none), then keep the median run (by time) of each NAME.
summarize() {
	awk '
		function done() {
			if (name != "" && exits != "")
				printf "%s %.0f %s %s %s\n", name, ms, exits,
					faults == "" ? "0" : faults,
					flushes == "" ? "-" : flushes
			exits = faults = flushes = ""
			ms = 0
		}
		/^== / { done(); name = $2; next }
		/vmm: stats: [0-9]+ exits/ { exits = $3 }
		/in KVM_RUN/ { ms += $(NF - 2) }
		/in the VMM / { ms += $(NF - 2) }
		/shadow faults filled/ { faults = $5 }
		/KVM flushes/ { flushes = $4 }
		END { done() }' |
	sort -k1,1 -k2,2n |
	awk '{ n[$1]++; r[$1, n[$1]] = $0 }
	     END { for (k in n) print r[k, int((n[k] + 1) / 2)] }'
}

# The line of `summarize` output for NAME, without the name.
pick() {
	echo "$1" | awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print }'
}

row() {
	# a label, then "ms exits faults flushes"
	[ -n "$2" ] || { printf '%-48s %s\n' "$1" "did not run"; return; }
	set -- "$1" $2
	printf '%-48s %9s %8s %9s %8s\n' "$1" "$2" "$3" "$4" "$5"
}

# RUNS runs of both guests, each a "== NAME" block; fails on a bad status.
host_runs() {
	i=0
	while [ "$i" -lt "$runs" ]; do
		for g in pv native; do
			[ "$g" = pv ] && f=$pv || f=$native
			echo "== $g"
			st=0
			"$vmm" --stats "$f" 2>&1 >/dev/null </dev/null || st=$?
			[ "$st" = 1 ] || { echo "bench: $f ended with status $st" >&2; return 1; }
		done
		i=$((i + 1))
	done
}

header() {
	printf '%-48s %9s %8s %9s %8s\n' "paging" "time (ms)" "exits" "shadow PF" "flushes"
}

echo "Shadow paging vs the hardware's paging: 32 address spaces x 64 pages"
echo "(first touches, two cached rounds, a remap), median of $runs runs"
echo "CPU: $cpu"
echo
if want_lab_machine; then
	here=0
	if [ "${RUNNER:-auto}" = qemu ]; then
		echo "On this machine: not run (RUNNER=qemu)"
	else
		echo "On this machine: not run (KVM: $kind)"
	fi
	[ "${LABVM:-1}" = 0 ] && { echo "bench: LABVM=0 leaves nothing to run" >&2; exit 1; }
else
	here=1
	echo "On this machine, KVM: $kind"
	header
	host=$(host_runs) || exit 1
	host=$(echo "$host" | summarize)
	row "PV shadow paging (bench-shadow.elf)" "$(pick "$host" pv)"
	row "hardware paging (bench-shadow-native.elf)" "$(pick "$host" native)"
	[ "${LABVM:-1}" = 0 ] && exit 0
fi

# The lab machine: built first when this machine could not run the
# guests, used only if built otherwise. Prints "VENDOR KVM-NAME" or "no WHY".
labinfo=$(cd "$top" && python3 -c '
import sys
sys.path.insert(0, ".")
from grading.runners import where
mod, why = where.lab_machine(".", "shadow.sh runs the guests in the lab "
                             "machine", may_build=sys.argv[1] == "0")
print("%s %s" % (mod.lab_vendor(), mod.kvm_name()) if mod else "no " + why)
' "$here") || labinfo="no the lab machine runner did not start"
vendor=${labinfo%% *}
if [ "$vendor" = no ]; then
	echo
	echo "In the lab machine: not run (${labinfo#no })"
	[ "$here" = 1 ] && exit 0
	exit 1
fi
if [ "$vendor" = intel ]; then
	mod=kvm_intel
	param=ept
else
	mod=kvm_amd
	param=npt
fi
echo
echo "In the lab machine, KVM: ${labinfo#* }"
header
# One batch of RUNS runs of both guests in the lab machine, as "== NAME"
# blocks; 300 s is far more than it needs, even under TCG.
lab_batch() {
	cd "$top" && python3 grading/runners/qemu.py -m "$mod $param=$1" -t 300 -- \
		sh -c 'i=0; while [ $i -lt $4 ]; do
			echo "== pv"; "$1" --stats "$2" 2>&1 >/dev/null
			echo "== native"; "$1" --stats "$3" 2>&1 >/dev/null
			i=$((i + 1)); done; exit 0' \
		x "${vmm#"$top"/}" guests/out/bench-shadow.elf \
		guests/out/bench-shadow-native.elf "$runs" 2>&1
}

for v in 0 1; do
	# (The runner gives a batch that froze the lab machine a second try.)
	res=$(lab_batch "$v") || {
		echo "lab machine ($param=$v): $(echo "$res" | tail -n 1)" >&2
		res=""
	}
	res=$(echo "$res" | summarize)
	if [ "$v" = 0 ]; then
		what="KVM shadows the tables"
	else
		what="nested paging"
	fi
	row "PV shadow paging, $param=$v ($what)" "$(pick "$res" pv)"
	row "hardware paging, $param=$v ($what)" "$(pick "$res" native)"
done
exit 0
