# machine.sh - sourced by the benchmarks after they set $lab and $top:
# which KVM produces the figures and on which CPU, for the lines every
# measurement starts with ($kind and $cpu), and where a benchmark runs.
#
# A benchmark runs on this machine's /dev/kvm when it can be opened. When
# it cannot (or RUNNER=qemu), it runs again inside the QEMU lab machine,
# on that machine's nested KVM, through grading/vmrun.py, which builds the
# lab machine first if need be: see in_lab_machine. There vmrun.py sets
# VMMLAB_KVM to the KVM the jobs meet ("nested under TCG (...)") and
# VMMLAB_CPU to this machine's CPU.

kvm_usable() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ]
}

if [ -n "${VMMLAB_KVM:-}" ]; then
	kind=$VMMLAB_KVM
elif ! [ -e /dev/kvm ]; then
	kind="none (/dev/kvm does not exist)"
elif ! kvm_usable; then
	kind="none (/dev/kvm cannot be opened for reading and writing)"
elif grep -qw vmx /proc/cpuinfo; then
	kind="hardware (Intel VT-x)"
elif grep -qw svm /proc/cpuinfo; then
	kind="hardware (AMD-V)"
else
	kind="software (no vmx or svm flag in /proc/cpuinfo)"
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
if [ -n "${VMMLAB_CPU:-}" ]; then
	cpu="$VMMLAB_CPU (the lab machine's vCPU: $cpu)"
fi

# Whether this benchmark should go to the lab machine: not when it is
# already there, and otherwise when RUNNER says so or /dev/kvm is no use.
want_lab_machine() {
	[ -z "${VMMLAB_KVM:-}" ] || return 1
	case "${RUNNER:-auto}" in
	qemu) return 0 ;;
	host) return 1 ;;
	esac
	! kvm_usable
}

# in_lab_machine SCRIPT MINUTES PATH...: run SCRIPT (this benchmark) again
# inside the lab machine with the repository's PATHs (files or folders)
# copied in, and exit with its status. MINUTES is about how long it takes
# there, for the line that says why the table is late.
in_lab_machine() {
	script=$1
	minutes=$2
	shift 2
	echo "bench: $kind here: running in the QEMU lab machine instead;" \
		"the table follows when it is done (about $minutes min)" >&2
	# The list is read before the loop starts, so it may rebuild "$@".
	first=1
	for path in "$script" "$lab/bench" "$@"; do
		[ "$first" = 1 ] && set --
		first=0
		set -- "$@" --with "${path#"$top"/}"
	done
	[ -n "${RUNS:-}" ] && set -- "$@" --env "RUNS=$RUNS"
	exec python3 "$top/grading/vmrun.py" -t 3600 "$@" \
		"sh ${script#"$top"/}"
}
