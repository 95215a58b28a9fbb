#!/bin/sh
# needs.sh - run a test's VMM only where the test can run: the machine the
# job runs on (this one, or the lab machine) has what its `needs` line
# asks for (grading/README.md, "A lab's test list").
#
#	sh grading/needs.sh NEED... -- PROGRAM ARG...
#
# NEED is one of
#	userfaultfd	a userfaultfd that sees faults taken in the kernel
#			(KVM's own accesses to guest memory, as --demand-above
#			needs): the sysctl vm.unprivileged_userfaultfd = 1,
#			CAP_SYS_PTRACE (root has it), or read-write access to
#			/dev/userfaultfd (Linux 6.1)
#	mem:SIZE	room for SIZE bytes of guest RAM (K, M or G): the VMM
#			refuses more than the machine's RAM unless the machine
#			always overcommits (vm.overcommit_memory = 1)
#
# When every need is met, PROGRAM replaces this shell. Otherwise the first
# unmet one is said as the first line on stderr,
#	vmmlab-needs: skipped: WHY
# and the exit status is 77: the grader reports the test as skipped.
# VMMLAB_NEEDS_PROC and VMMLAB_NEEDS_DEV stand for /proc and /dev (the
# grader's own tests use them).

P=${VMMLAB_NEEDS_PROC:-/proc}
D=${VMMLAB_NEEDS_DEV:-/dev}

skip() {
	echo "vmmlab-needs: skipped: $*" >&2
	exit 77
}

userfaultfd_ok() {
	[ -e "$P/sys/vm/unprivileged_userfaultfd" ] || return 1
	[ "$(cat "$P/sys/vm/unprivileged_userfaultfd")" = 1 ] && return 0
	[ -r "$D/userfaultfd" ] && [ -w "$D/userfaultfd" ] && return 0
	cap=
	while read -r key value rest; do
		[ "$key" = CapEff: ] && cap=$value
	done < "$P/self/status"
	[ -n "$cap" ] && [ $(( (0x$cap >> 19) & 1 )) = 1 ]	# CAP_SYS_PTRACE
}

# Bytes of a SIZE such as 5G; empty if it is not one.
bytes() {
	case $1 in
	*[!0-9KMG]* | [!0-9]* | *[KMG]?*) ;;
	*K) echo $(( ${1%K} << 10 )) ;;
	*M) echo $(( ${1%M} << 20 )) ;;
	*G) echo $(( ${1%G} << 30 )) ;;
	*) echo "$1" ;;
	esac
}

mem_ok() {
	[ "$(cat "$P/sys/vm/overcommit_memory" 2>/dev/null)" = 1 ] && return 0
	kb=
	while read -r key value rest; do
		[ "$key" = MemTotal: ] && kb=$value
	done < "$P/meminfo"
	[ -n "$kb" ] && [ $(( kb * 1024 )) -ge "$1" ]
}

while [ $# -gt 0 ] && [ "$1" != -- ]; do
	case $1 in
	userfaultfd)
		userfaultfd_ok || skip "needs a userfaultfd that sees KVM's faults: root or CAP_SYS_PTRACE, sysctl vm.unprivileged_userfaultfd=1, or read-write /dev/userfaultfd"
		;;
	mem:*)
		size=$(bytes "${1#mem:}")
		[ -n "$size" ] || { echo "needs.sh: bad need '$1'" >&2; exit 2; }
		mem_ok "$size" || skip "needs room for ${1#mem:} of guest RAM: this machine has less, and vm.overcommit_memory is not 1"
		;;
	*)
		echo "needs.sh: unknown need '$1'" >&2
		exit 2
		;;
	esac
	shift
done
[ "$1" = -- ] && [ $# -gt 1 ] || { echo "usage: needs.sh NEED... -- PROGRAM ARG..." >&2; exit 2; }
shift
exec "$@"
