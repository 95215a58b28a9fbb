/*
 * triple-fault: crashes the VM on purpose. With an IDT of limit 0 no vector
 * can be delivered: UD2 raises #UD, delivering it raises #GP, delivering
 * that raises #DF, and failing to deliver #DF is a triple fault, which KVM
 * reports as KVM_EXIT_SHUTDOWN. The VMM must exit with status 4 and dump
 * the registers on stderr. (INT3 would be simpler but is not emulated by
 * every software KVM.)
 */
#include "console.h"
#include "platform.h"

void guest_main(void);

void guest_main(void)
{
	static const struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) empty_idt = { 0, 0 };

	con_puts("triple-fault: IDT limit 0, then ud2: #UD, #GP, #DF, shutdown\n");
	asm volatile("lidt %0\n\t"
		     "ud2" : : "m"(empty_idt));

	/* Not reached on a correct CPU. */
	con_puts("triple-fault: still running after ud2\n");
	vm_exit(1);
}
