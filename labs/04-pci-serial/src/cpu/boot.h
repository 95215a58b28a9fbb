/*
 * boot.h - putting the vCPU in the state a guest expects at its first
 * instruction: real mode, 32-bit protected mode, or 64-bit long mode
 * (book §1.5.3-1.5.6, and the Intel SDM vol. 3, ch. 9 "Processor
 * Management and Initialization").
 */
#ifndef VMM_BOOT_H
#define VMM_BOOT_H

#include <stdint.h>
#include <linux/kvm.h>

/* Where the VMM keeps its boot structures, all below 1 MiB. */
#define BOOT_GDT		0x1000ULL
#define BOOT_PML4		0x2000ULL
#define BOOT_PDPT		0x3000ULL
#define BOOT_PD			0x4000ULL	/* four of them, 0x4000-0x7fff */
#define BOOT_NR_PD		4		/* 4 x 1 GiB: the first 4 GiB */
#define BOOT_PD_END		0x70000ULL	/* lab 02: more PDs, up to here */
#define BOOT_MB_INFO		0x9000ULL	/* multiboot information */
#define BOOT_STACK		0x80000ULL
#define BOOT_FLAT_LOAD		0x7c00ULL	/* flat binaries, like a boot sector */
#define BOOT_LOW_END		0x9f000ULL	/* end of conventional memory: the EBDA follows */
#define BOOT_ELF_MIN		0x100000ULL	/* ELF segments go at or above 1 MiB */

#define BOOT_SEL_CODE		0x08
#define BOOT_SEL_DATA		0x10

/* Control register and EFER bits (Intel SDM vol. 3, 2.5 and 2.2.1). */
#define CR0_PE			(1ULL << 0)
#define CR0_ET			(1ULL << 4)
#define CR0_NE			(1ULL << 5)
#define CR0_PG			(1ULL << 31)
#define CR4_PAE			(1ULL << 5)
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)

/* Page-table entry bits (Intel SDM vol. 3, 4.5). */
#define PTE_P			(1ULL << 0)
#define PTE_RW			(1ULL << 1)
#define PTE_PS			(1ULL << 7)
#define PTE_ADDR_MASK		0x000ffffffffff000ULL

void boot_real_mode(struct kvm_sregs *sregs, struct kvm_regs *regs,
		    uint16_t cs, uint16_t ip);
void boot_protected_mode(struct kvm_sregs *sregs, struct kvm_regs *regs,
			 uint32_t entry, uint32_t eax, uint32_t ebx);
void boot_long_mode(struct kvm_sregs *sregs, struct kvm_regs *regs,
		    uint64_t entry);
int boot_gdt_build(uint8_t *ram, uint64_t ram_size, int long_mode);

#endif
