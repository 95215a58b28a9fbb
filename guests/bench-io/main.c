/*
 * bench-io (and bench-io-0): BENCH_IO_N OUTs to port 0x80 in a tight loop,
 * then exit code 0 (status 1). It prints nothing, so the time of a run is
 * the VMM's start-up plus N port-I/O exits; subtracting the run with N = 0
 * leaves the exits alone (see bench.h).
 */
#include "bench.h"
#include "platform.h"

void guest_main(void);

void guest_main(void)
{
	unsigned int n = BENCH_IO_N;

	/* Three instructions per exit: out, dec, jnz. */
	asm volatile("test %0, %0\n\t"
		     "jz 2f\n"
		     "1:\n\t"
		     "outb %%al, $0x80\n\t"
		     "dec %0\n\t"
		     "jnz 1b\n"
		     "2:"
		     : "+r"(n) : "a"(0) : "cc");
	vm_exit(0);
}
