/*
 * hello.c - the smallest complete KVM program: one VM with 64 KiB of
 * RAM, one vCPU in real mode, and fifteen bytes of guest code that print
 * a greeting through port 0xE9 and halt (book chapter 1, "A first VMM";
 * book A §1.5). Lab 01 is this program grown up.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define RAM_SIZE	0x10000
#define GUEST_START	0x1000

/* excerpt: guest */
/* 16-bit code, loaded at guest-physical 0x1000: print msg, then halt. */
static const uint8_t guest[] = {
	0xbe, 0x0f, 0x10,	/*       mov si, msg    ; msg is at 0x100f */
	0xba, 0xe9, 0x00,	/*       mov dx, 0xe9                      */
	0xac,			/* next: lodsb          ; al = [si], si++  */
	0x84, 0xc0,		/*       test al, al                       */
	0x74, 0x03,		/*       jz done                           */
	0xee,			/*       out dx, al     ; a VM exit        */
	0xeb, 0xf8,		/*       jmp next                          */
	0xf4,			/* done: hlt            ; a VM exit too    */
	'H', 'e', 'l', 'l', 'o', ',', ' ', 'K', 'V', 'M', '!', '\n', 0,
};
/* end excerpt: guest */

/* An ioctl or open that failed ends the program with a message. */
static int check(int ret, const char *what)
{
	if (ret < 0) {
		perror(what);
		exit(1);
	}
	return ret;
}

int main(void)
{
	struct kvm_userspace_memory_region slot;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, size;
	uint8_t *ram;

	kvm = check(open("/dev/kvm", O_RDWR | O_CLOEXEC), "/dev/kvm");
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		check(-1, "KVM_GET_API_VERSION");
	vm = check(ioctl(kvm, KVM_CREATE_VM, 0), "KVM_CREATE_VM");

	/* Guest RAM is memory of ours, handed to the VM as slot 0. */
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		check(-1, "mmap");
	memcpy(ram + GUEST_START, guest, sizeof(guest));
	slot = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = RAM_SIZE,
		.userspace_addr = (uintptr_t)ram,
	};
	check(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot), "KVM_SET_USER_MEMORY_REGION");

	/* One vCPU, and the kvm_run page it shares with us. */
	vcpu = check(ioctl(vm, KVM_CREATE_VCPU, 0), "KVM_CREATE_VCPU");
	size = check(ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), "KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		check(-1, "mmap(vcpu)");

	/* Real mode at 0000:1000: CS's base is 0; DS is 0 after reset. */
	check(ioctl(vcpu, KVM_GET_SREGS, &sregs), "KVM_GET_SREGS");
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	check(ioctl(vcpu, KVM_SET_SREGS, &sregs), "KVM_SET_SREGS");
	regs = (struct kvm_regs){ .rip = GUEST_START, .rflags = 0x2 };
	check(ioctl(vcpu, KVM_SET_REGS, &regs), "KVM_SET_REGS");

	/* The run loop: enter the guest, and handle why it stopped. */
	for (;;) {
		check(ioctl(vcpu, KVM_RUN, 0), "KVM_RUN");
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.direction == KVM_EXIT_IO_OUT &&
			    run->io.port == 0xe9 && run->io.size == 1)
				putchar(*((uint8_t *)run + run->io.data_offset));
			break;
		case KVM_EXIT_HLT:
			return 0;
		default:
			fprintf(stderr, "hello: exit reason %u\n", run->exit_reason);
			return 1;
		}
	}
}
