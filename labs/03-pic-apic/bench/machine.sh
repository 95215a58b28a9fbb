# machine.sh - sourced by the benchmarks: what kind of KVM this is and on
# which CPU, for the line every measurement starts with. Sets $kind and
# $cpu.
if grep -qw vmx /proc/cpuinfo; then
	kind="hardware (Intel VT-x)"
elif grep -qw svm /proc/cpuinfo; then
	kind="hardware (AMD-V)"
else
	kind="software (no vmx or svm flag in /proc/cpuinfo)"
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
