/*
 * floor.c - the floor for `make bench`: the least a VMM can do per exit.
 *
 * It loads a multiboot ELF32's PT_LOAD segments, starts the vCPU in flat
 * protected mode and loops on KVM_RUN, doing nothing for an IO exit but
 * noticing the exit device. No buses, no checks, no error messages worth
 * the name: whatever our VMM costs above this is the price of its
 * structure.
 *
 *   floor GUEST.elf     exits with the same status as the real VMM would
 */
#include <elf.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM (32u << 20)

int main(int argc, char **argv)
{
	static uint8_t file[1 << 20];
	struct kvm_userspace_memory_region mem = { .memory_size = RAM };
	struct kvm_sregs s;
	struct kvm_regs r = { .rflags = 2 };
	struct kvm_run *run;
	Elf32_Ehdr *eh = (Elf32_Ehdr *)file;
	uint8_t *ram;
	int kvm, vm, cpu, fd, i;
	ssize_t len;

	if (argc != 2 || (fd = open(argv[1], O_RDONLY)) < 0 ||
	    (len = read(fd, file, sizeof(file))) < (ssize_t)sizeof(*eh))
		return fprintf(stderr, "usage: floor GUEST.elf\n"), 2;
	ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	for (i = 0; i < eh->e_phnum; i++) {
		Elf32_Phdr *ph = (Elf32_Phdr *)(file + eh->e_phoff) + i;

		if (ph->p_type == PT_LOAD && ph->p_paddr + ph->p_memsz <= RAM &&
		    ph->p_offset + ph->p_filesz <= (size_t)len)
			memcpy(ram + ph->p_paddr, file + ph->p_offset, ph->p_filesz);
	}
	mem.userspace_addr = (uintptr_t)ram;

	kvm = open("/dev/kvm", O_RDWR);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	if (kvm < 0 || vm < 0 || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mem) < 0)
		return perror("kvm"), 6;
	cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0),
		   PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);

	ioctl(cpu, KVM_GET_SREGS, &s);
	s.cs = (struct kvm_segment){ .limit = ~0u, .selector = 8, .type = 11,
				     .present = 1, .s = 1, .db = 1, .g = 1 };
	s.ds = (struct kvm_segment){ .limit = ~0u, .selector = 16, .type = 3,
				     .present = 1, .s = 1, .db = 1, .g = 1 };
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.cr0 |= 1;
	r.rip = eh->e_entry;
	r.rsp = 0x80000;
	ioctl(cpu, KVM_SET_SREGS, &s);
	ioctl(cpu, KVM_SET_REGS, &r);

	for (;;) {
		if (ioctl(cpu, KVM_RUN, 0) < 0)
			return perror("KVM_RUN"), 6;
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0xf4)
			return (*((uint8_t *)run + run->io.data_offset) << 1 | 1) & 0xff;
		if (run->exit_reason != KVM_EXIT_IO &&
		    run->exit_reason != KVM_EXIT_MMIO)
			return run->exit_reason == KVM_EXIT_HLT ? 0 : 4;
	}
}
