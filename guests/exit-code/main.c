/*
 * exit-code: writes 42 to the exit device, so the VMM must exit with status
 * (42 << 1) | 1 = 85. The write is a 4-byte OUT (the library's vm_exit()
 * uses 1 byte), because the platform says any width stops the VM.
 */
#include "console.h"
#include "platform.h"

#define CODE	42

void guest_main(void);

void guest_main(void)
{
	con_printf("exit-code: writing %d to port 0x%x with a 4-byte out\n",
		   CODE, EXIT_PORT);
	outl(EXIT_PORT, CODE);

	/* Not reached when the exit device works: HLT gives status 0. */
	con_puts("exit-code: still running after the write\n");
	halt();
}
