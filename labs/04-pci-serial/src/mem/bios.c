/*
 * bios.c - the VMM's side of the BIOS (book §2.2.3-2.2.4).
 *
 * A real BIOS starts at the reset vector, finds out how much memory the
 * machine has, builds the interrupt vector table and then waits for
 * INT calls. Ours is split between the ROM (src/mem/bios/bios.asm, real-mode
 * handlers) and the VMM, which already knows the memory map: before the
 * guest runs, bios_setup() copies the ROM into its read-only memslot,
 * points every IVT entry at the ROM's handler for that vector and fills
 * in the BIOS data area. At run time the ROM's INT 15h handler writes to
 * the hypercall port; bios_hcall() then reads the vCPU's registers,
 * answers the call, and writes the registers back before KVM_RUN
 * completes the OUT.
 *
 * Lab 04: Linux scans the BIOS area for firmware tables in 16-byte steps
 * (the ACPI RSDP in 0xE0000-0xFFFFF, twice; the iBFT in 0xC0000-0xFFFFF,
 * two signatures at each step). Over a hole every one of those reads is
 * an MMIO exit, some 32 800 in a boot. bios_area_init() fills
 * 0xC0000-0xEFFFF with an empty ROM instead, as on a PC: the scans read
 * memory and find nothing, without an exit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "core/bus.h"
#include "core/err.h"
#include "core/vm.h"
#include "core/warn.h"
#include "mem/bios.h"
#include "mem/e820.h"

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/*
 * Check the ROM image, copy it to 0xF0000, build the IVT from its vector
 * table and fill the BIOS data area: the EBDA's segment and the size of
 * conventional memory below it, which INT 12h returns.
 */
int bios_setup(struct memmap *mm, const uint8_t *image, size_t len)
{
	uint8_t *rom = memmap_hva(mm, MEMMAP_BIOS, MEMMAP_BIOS_SIZE);
	uint8_t *ivt = memmap_hva(mm, BIOS_IVT, 256 * 4);
	uint8_t *bda = memmap_hva(mm, BIOS_BDA, 0x100);
	uint8_t *ebda = memmap_hva(mm, MEMMAP_EBDA, 1);
	uint16_t vectors, off;
	unsigned int v;

	if (!rom || !ivt || !bda || !ebda)
		return err_set(-EINVAL, "the memory map has no room for the BIOS");
	if (len != MEMMAP_BIOS_SIZE || memcmp(image, BIOS_MAGIC, sizeof(BIOS_MAGIC)))
		return err_set(-EINVAL, "the BIOS image is not a %llu-byte vmmlab BIOS",
			       (unsigned long long)MEMMAP_BIOS_SIZE);
	memcpy(&vectors, image + BIOS_VECTORS_OFF, 2);
	if (vectors > len - 256 * 2)
		return err_set(-EINVAL, "the BIOS image's vector table is outside it");
	memcpy(rom, image, len);

	for (v = 0; v < 256; v++) {
		memcpy(&off, image + vectors + 2 * v, 2);
		put16(ivt + 4 * v, off);
		put16(ivt + 4 * v + 2, BIOS_SEG);
	}
	memset(bda, 0, 0x100);
	put16(bda + BDA_EBDA_SEG, (uint16_t)(MEMMAP_EBDA >> 4));
	put16(bda + BDA_BASE_MEM_KB, (uint16_t)(MEMMAP_EBDA >> 10));
	memset(ebda, 0, MEMMAP_EBDA_SIZE);
	ebda[0] = MEMMAP_EBDA_SIZE >> 10;	/* the EBDA's size in KiB */
	return 0;
}

/*
 * INT 15h, with the caller's registers. E820h goes to e820_call(); any
 * other function is unsupported: CF set, AH = 86h, as a PC BIOS does.
 * Returns what e820_call() returns, or -ENOSYS.
 */
int bios_int15(struct bios *b, const struct memmap *mm,
	       struct kvm_regs *regs, const struct kvm_sregs *sregs)
{
	b->calls++;
	if ((regs->rax & 0xffff) == E820_FUNC)
		return e820_call(mm, regs, sregs);
	return e820_fail(regs, -ENOSYS);
}

/* The ROM's OUT to the hypercall port: answer INT 15h for it. */
static void bios_hcall(struct vcpu *vcpu, void *opaque, uint64_t offset,
		       unsigned int size, uint64_t value)
{
	struct bios *b = opaque;
	struct vm *vm = b->vm;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	int ret;

	(void)offset;
	(void)size;
	(void)value;
	if (!vcpu) {
		warn_once(&b->warned_call, "bios", "a hypercall without a vCPU ignored");
		return;
	}
	ret = vcpu_get_regs(vcpu, &regs);
	if (!ret)
		ret = vcpu_get_sregs(vcpu, &sregs);
	if (ret) {
		fprintf(stderr, "vmm: bios: cannot read the vCPU's registers: %s\n",
			err_msg());
		vm_stop(vm, VMM_EXIT_HOST);
		return;
	}
	ret = bios_int15(b, &vm->mem, &regs, &sregs);
	if (ret == -EFAULT)
		warn_once(&b->warned_call, "bios",
			  "E820 buffer at %04x:%04x is not in writable RAM; CF set",
			  sregs.es.selector, (unsigned int)(regs.rdi & 0xffff));
	/* RIP is untouched: KVM still completes the OUT on the next KVM_RUN. */
	if (vcpu_set_regs(vcpu, &regs)) {
		fprintf(stderr, "vmm: bios: cannot write the vCPU's registers: %s\n",
			err_msg());
		vm_stop(vm, VMM_EXIT_HOST);
	}
}

static uint64_t bios_hcall_read(struct vcpu *vcpu, void *opaque,
				uint64_t offset, unsigned int size)
{
	(void)vcpu;
	(void)opaque;
	(void)offset;
	return bus_all_ones(size);
}

/* Lab 03: vCPUs on several threads: one BIOS call at a time. */
static pthread_mutex_t bios_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct bus_ops bios_hcall_ops = {
	.read = bios_hcall_read,
	.write = bios_hcall,
	.lock = &bios_lock,
};

/* A guest write to the ROM exits as MMIO: ignore it, say so once. */
static void bios_rom_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
			   unsigned int size, uint64_t value)
{
	struct bios *b = opaque;

	(void)vcpu;
	(void)value;
	warn_once(&b->warned_rom, "bios",
		  "%u-byte write to the read-only BIOS ROM at 0x%llx ignored",
		  size, (unsigned long long)(MEMMAP_BIOS + offset));
}

static uint64_t bios_rom_read(struct vcpu *vcpu, void *opaque, uint64_t offset,
			      unsigned int size)
{
	struct bios *b = opaque;
	uint64_t v = 0;
	const uint8_t *rom = memmap_hva(&b->vm->mem, MEMMAP_BIOS + offset, size);

	(void)vcpu;
	if (rom)
		memcpy(&v, rom, size);
	return v;
}

static const struct bus_ops bios_rom_ops = {
	.read = bios_rom_read,
	.write = bios_rom_write,
	.lock = &bios_lock,
};

/* A write to the empty BIOS area exits as MMIO: ignore it, say so once. */
static void bios_area_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
			    unsigned int size, uint64_t value)
{
	struct bios *b = opaque;

	(void)vcpu;
	(void)value;
	warn_once(&b->warned_area, "bios",
		  "%u-byte write to the read-only BIOS area at 0x%llx ignored",
		  size, (unsigned long long)(BIOS_AREA + offset));
}

/* KVM reads the memslot; this answers only a VMM-side bus read. */
static uint64_t bios_area_read(struct vcpu *vcpu, void *opaque,
			       uint64_t offset, unsigned int size)
{
	(void)vcpu;
	(void)opaque;
	(void)offset;
	return bus_all_ones(size);
}

static const struct bus_ops bios_area_ops = {
	.read = bios_area_read,
	.write = bios_area_write,
	.lock = &bios_lock,
};

/*
 * The empty ROM at 0xC0000-0xEFFFF: all ones, not in the E820 map
 * (SeaBIOS lists only its own 64 KiB at 0xF0000 either). On the MMIO
 * bus for the writes, and so that, like the ROM, it takes precedence
 * over a BAR placed on it; its memslot comes in bios_kvm().
 */
static int bios_area_init(struct bios *b)
{
	void *p = mmap(NULL, BIOS_AREA_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return err_set(-errno, "no memory for the BIOS area: %s",
			       strerror(errno));
	memset(p, 0xff, BIOS_AREA_SIZE);
	b->area = p;
	return bus_register(&b->vm->mmio, BIOS_AREA, BIOS_AREA_SIZE,
			    "BIOS area", &bios_area_ops, b);
}

/* After KVM_CREATE_VM: the area's read-only memslot, reads without exits. */
int bios_kvm(void *state, struct vm *vm)
{
	struct bios *b = state;
	struct kvm_userspace_memory_region region = {
		.slot = BIOS_AREA_SLOT,
		.flags = KVM_MEM_READONLY,
		.guest_phys_addr = BIOS_AREA,
		.memory_size = BIOS_AREA_SIZE,
		.userspace_addr = (uintptr_t)b->area,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return err_set(-errno,
			       "KVM_SET_USER_MEMORY_REGION (slot %u, BIOS area at 0x%llx): %s",
			       BIOS_AREA_SLOT, BIOS_AREA, strerror(errno));
	return 0;
}

/* The device's state, the empty area's memory with it. */
void bios_exit(void *state, struct vm *vm)
{
	struct bios *b = state;

	(void)vm;
	if (!b)
		return;
	if (b->area)
		munmap(b->area, BIOS_AREA_SIZE);
	free(b);
}

int bios_init(struct vm *vm, void **state)
{
	struct bios *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return err_set(-ENOMEM, "no memory for the BIOS");
	*state = b;
	b->vm = vm;
	ret = bios_setup(&vm->mem, bios_image, (size_t)(bios_image_end - bios_image));
	if (ret)
		return ret;
	ret = bus_register(&vm->pio, BIOS_HCALL_PORT, 1, "bios", &bios_hcall_ops, b);
	if (ret)
		return ret;
	ret = bios_area_init(b);
	if (ret)
		return ret;
	return bus_register(&vm->mmio, MEMMAP_BIOS, MEMMAP_BIOS_SIZE, "BIOS ROM",
			    &bios_rom_ops, b);
}
