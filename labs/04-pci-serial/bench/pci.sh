#!/bin/sh
# pci.sh - lab 04's measurement (`make bench`, after lab 01's): what a
# byte on COM1 costs, and how long Linux takes to boot on our devices.
#
# 1. bench-uart sends 64 KiB to COM1 by polling LSR before each byte;
#    bench-uart-irq fills the 16-byte FIFO on each THR-empty interrupt.
#    Our VMM's --stats counts the exits of each run: exits per byte.
# 2. The Linux guest (build/linux, `make linux`) boots to /init's ready
#    line on our VMM (--irqchip=kernel, every controller in KVM, as in
#    QEMU's -machine pc with -accel kvm)
#    and on QEMU with -accel kvm -kernel, with the same kernel, initrd,
#    command line, memory and one CPU, RUNS times each
#    (default 3), taking turns; guests/out/vmmtest --timing says when the
#    line came. Then our VMM's --stats of the last boot: where it spent
#    its time.
#
# Without a usable /dev/kvm everything runs inside the QEMU lab machine,
# on its nested KVM (machine.sh), QEMU included.
set -eu

lab=$(cd "$(dirname "$0")/.." && pwd)
top=$(cd "$lab/../.." && pwd)
out=$top/guests/out
linux=$top/build/linux
vmm=$lab/build/vmm
append="console=ttyS0 reboot=t quiet no_timer_check"

for f in "$out/bench-uart.elf" "$out/bench-uart-irq.elf" "$out/vmmtest" "$vmm"; do
	[ -e "$f" ] || { echo "bench: $f is missing; run make first" >&2; exit 2; }
done

. "$lab/bench/machine.sh"
if want_lab_machine; then
	with=""
	[ -e "$linux/bzImage" ] && with="build/linux/bzImage build/linux/initramfs.cpio"
	# shellcheck disable=SC2086
	in_lab_machine "$lab/bench/pci.sh" 5 "${lab#"$top"/}/build/vmm" \
		guests/out/bench-uart.elf guests/out/bench-uart-irq.elf \
		guests/out/vmmtest $with
fi
runs=${RUNS:-3}

echo "Lab 04: COM1's cost per byte, and Linux's boot to /init"
echo "KVM: $kind"
echo "CPU: $cpu"
echo

# The exits and the bytes COM1 sent, from one run's --stats.
uart_row() {
	st=0
	s=$("$vmm" --stats "$2" 2>&1 >/dev/null </dev/null) || st=$?
	[ "$st" = 1 ] || { echo "bench: $2 ended with status $st" >&2; exit 1; }
	echo "$s" | awk -v name="$1" '
		/stats: [0-9]+ exits/ { exits = $3 }
		/COM1: [0-9]+ bytes out/ { bytes = $3 }
		END { if (bytes > 0)
			printf "%-40s %9d %9d %9.3f\n", name, bytes, exits, exits / bytes }'
}

printf '%-40s %9s %9s %9s\n' "64 KiB to COM1" "bytes" "exits" "per byte"
uart_row "polled THR (bench-uart)" "$out/bench-uart.elf"
uart_row "FIFO + THRE interrupt (bench-uart-irq)" "$out/bench-uart-irq.elf"
echo

if ! [ -e "$linux/bzImage" ]; then
	echo "Linux: not measured (no build/linux: make linux)"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# boot NAME CMD...: one boot to the ready line, its seconds appended to
# $tmp/NAME; the machine is then told to exit (a triple fault ends it).
boot() {
	name=$1
	shift
	"$out/vmmtest" --quiet --timing --limit 600 \
		--wait 'vmmlab-linux: ready' --send 'exit\n' -- "$@" \
		>/dev/null 2>"$tmp/log" </dev/null || true
	sed -n 's/^vmmtest: "vmmlab-linux: ready" after \([0-9.]*\) s$/\1/p' \
		"$tmp/log" >>"$tmp/$name"
	grep -q "ready\" after" "$tmp/log" || {
		echo "bench: $name did not reach the ready line:" >&2
		tail -n 3 "$tmp/log" >&2
		return 1
	}
}

qemu=$(command -v qemu-system-x86_64 || true)
have_qemu=0
[ -n "$qemu" ] && have_qemu=1
i=0
while [ "$i" -lt "$runs" ]; do
	boot vmm "$vmm" --stats --irqchip=kernel --mem 256M --serial stdio \
		--kernel "$linux/bzImage" --initrd "$linux/initramfs.cpio" \
		--append "$append" || exit 1
	cp "$tmp/log" "$tmp/vmm-stats"
	if [ "$have_qemu" = 1 ]; then
		boot qemu "$qemu" -accel kvm -machine pc -m 256M -smp 1 \
			-nodefaults -display none -no-reboot -device edu \
			-device pci-testdev,membar=2G -serial stdio \
			-kernel "$linux/bzImage" -initrd "$linux/initramfs.cpio" \
			-append "$append" || have_qemu=0
	fi
	i=$((i + 1))
done

# median, lowest and highest of a file of numbers
stats() {
	sort -n "$1" | awk '{ a[NR] = $1 }
		END { print a[int((NR + 1) / 2)], a[1], a[NR] }'
}

set -- $(stats "$tmp/vmm")
ours=$1
echo "Linux to /init's ready line (256 MiB, 1 CPU, \"$append\"), $runs boots each"
printf '%-40s %9s %9s %15s\n' "VMM" "seconds" "vs QEMU" "lowest-highest"
if [ "$have_qemu" = 1 ] && [ -s "$tmp/qemu" ]; then
	set -- $(stats "$tmp/qemu")
	theirs=$1
	echo "$ours $theirs" | awk '{ printf "%-40s %9.2f %9.2f", "vmm --irqchip=kernel (lab 04)", $1, $1 / $2 }'
	printf ' %15s\n' "$(stats "$tmp/vmm" | awk '{ print $2 "-" $3 }')"
	printf '%-40s %9.2f %9.2f %15s\n' "qemu-system-x86_64 -accel kvm -kernel" \
		"$theirs" 1 "$2-$3"
else
	printf '%-40s %9.2f\n' "vmm --irqchip=kernel (lab 04)" "$ours"
	printf '%-40s %9s\n' "qemu-system-x86_64 -accel kvm -kernel" "did not run"
fi
echo
echo "Our VMM's last boot (--stats, to the triple fault that ends it):"
sed -n '/^vmm: stats:/,$p' "$tmp/vmm-stats" | sed 's/^vmm: //'
