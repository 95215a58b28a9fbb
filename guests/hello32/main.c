/*
 * hello32: a multiboot v1 ELF32 guest in C. It proves the loader put it at
 * its physical address and entered it the multiboot way: 32-bit protected
 * mode with paging off, the magic in EAX and, in EBX, information with
 * mem_upper (KiB of RAM above 1 MiB). Ends with HLT (status 0).
 */
#include "console.h"
#include "multiboot.h"

#define CR0_PE	(1u << 0)
#define CR0_PG	(1u << 31)

void guest_main(void);

void guest_main(void)
{
	const struct multiboot_info *mbi;
	uint32_t cr0;

	con_puts("Hello from 32-bit protected mode!\n");

	con_printf("EAX at entry: 0x%08x (%s)\n", multiboot_magic,
		   multiboot_magic == MULTIBOOT_LOADER_MAGIC ?
		   "the multiboot magic" : "expected 0x2badb002");

	asm volatile("mov %%cr0, %0" : "=r"(cr0));
	con_printf("CR0.PE=%u CR0.PG=%u\n", !!(cr0 & CR0_PE), !!(cr0 & CR0_PG));

	mbi = (const struct multiboot_info *)multiboot_info;
	if (!(mbi->flags & MULTIBOOT_INFO_MEMORY)) {
		con_printf("multiboot info: flags 0x%x, no memory fields\n",
			   mbi->flags);
		return;
	}
	/* mem_upper counts from 1 MiB, so the RAM size is 1 MiB more. */
	con_printf("multiboot info: mem_upper = %u KiB, so RAM is %u MiB\n",
		   mbi->mem_upper, (mbi->mem_upper + 1024) / 1024);
}
